// The check-in kiosk (/kiosk?key=…): find today's booking and check in, or take a walk-in
// ticket; both print a slip. It shows a token and times, never a name.
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { clockTime } from "./time.js";

const key = new URLSearchParams(location.search).get("key") || "";
const RESET_AFTER_MS = 45000; // the next person must not find the last one's ticket on screen
const STEPS = ["start", "department", "identify", "done"];
let purpose = "checkin"; // or "walkin"
let departmentId = null;
let departments = [];
let byPhone = false;
let resetTimer = null;

async function call(path, body) {
  const headers = { Accept: "application/json", "X-Display-Key": key };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers,
      credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error(t("The kiosk cannot reach the server. Please see the desk."));
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(data?.message || t("Something went wrong. Please see the desk."));
    error.code = data?.code;
    throw error;
  }
  return data;
}

function showError(message) {
  const box = $("kiosk-error");
  box.textContent = message ? message.charAt(0).toUpperCase() + message.slice(1) : "";
  box.hidden = !message;
}

function show(step) {
  for (const name of STEPS) $(`step-${name}`).hidden = name !== step;
  const title = $(`step-${step}`).querySelector("h1");
  $("announce").textContent = title.textContent;
  title.focus(); // a screen reader starts reading the new step
}

function reset() {
  clearTimeout(resetTimer);
  $("identify-form").reset();
  showError("");
  departmentId = departments.length === 1 ? departments[0].id : null;
  setMode(false);
  show("start");
}

function setMode(phone) {
  byPhone = phone;
  $("by-record").setAttribute("aria-pressed", String(!phone));
  $("by-phone").setAttribute("aria-pressed", String(phone));
  $("record-fields").hidden = phone;
  $("phone-fields").hidden = !phone;
}

function identity() {
  if (!byPhone) return { record_number: $("record-number").value.trim() };
  const pad = (value, n) => value.trim().padStart(n, "0");
  const [day, month, year] = [pad($("dob-day").value, 2), pad($("dob-month").value, 2), $("dob-year").value.trim()];
  return { phone: $("phone").value.trim(), date_of_birth: `${year}-${month}-${day}` };
}

function complete(identityValue) {
  if (identityValue.record_number !== undefined) return identityValue.record_number !== "";
  return identityValue.phone !== "" && /^\d{4}-\d{2}-\d{2}$/.test(identityValue.date_of_birth);
}

function detail(ticket) {
  const parts = [];
  if (ticket.scheduled_at) parts.push(t("Appointment {time}", { time: clockTime(ticket.scheduled_at) }));
  if (ticket.late_min) parts.push(t("You are {n} min late: we have fitted you in", { n: ticket.late_min }));
  if (ticket.ahead === 0) parts.push(t("You are next"));
  else if (ticket.ahead !== null && ticket.ahead !== undefined) parts.push(t("{n} ahead of you", { n: ticket.ahead }));
  return parts.join(" · ");
}

function printSlip(url) {
  // The slip prints itself from a frame of this page (?auto=1), so the kiosk stays where it is.
  $("printer").src = `${url}?auto=1`;
}

async function submit(event) {
  event.preventDefault();
  showError("");
  const who = identity();
  if (!complete(who)) {
    showError(byPhone ? t("Please type your phone number and your date of birth.") : t("Please type your record number."));
    return;
  }
  const button = $("identify-submit");
  button.disabled = true;
  try {
    const ticket = purpose === "walkin"
      ? await call("/api/kiosk/walk-in", { ...who, department_id: departmentId })
      : await call("/api/kiosk/check-in", who);
    $("identify-form").reset();
    $("done-title").textContent = purpose === "walkin" ? t("Here is your ticket") : t("You are checked in");
    $("done-token").textContent = ticket.token;
    $("done-department").textContent = ticket.department;
    $("done-detail").textContent = detail(ticket);
    show("done");
    printSlip(ticket.print_url);
    resetTimer = setTimeout(reset, RESET_AFTER_MS);
  } catch (error) {
    showError(error.message);
  } finally {
    button.disabled = false;
  }
}

function chooseDepartment(id) {
  departmentId = id;
  show("identify");
}

async function start() {
  try {
    const info = await call("/api/kiosk");
    $("kiosk-name").textContent = info.name;
    document.documentElement.lang = info.language || "en";
    departments = info.departments;
  } catch (error) {
    showError(error.message);
    for (const name of STEPS) $(`step-${name}`).hidden = true;
    return;
  }
  $("departments").replaceChildren(...departments.map((d) =>
    el("button", { type: "button", class: "btn btn-outline-primary big", onclick: () => chooseDepartment(d.id) }, d.name)));
  $("choose-checkin").addEventListener("click", () => { purpose = "checkin"; show("identify"); });
  $("choose-walkin").addEventListener("click", () => {
    purpose = "walkin";
    if (departments.length === 1) chooseDepartment(departments[0].id);
    else show("department");
  });
  for (const back of document.querySelectorAll(".back")) back.addEventListener("click", reset);
  $("by-record").addEventListener("click", () => setMode(false));
  $("by-phone").addEventListener("click", () => setMode(true));
  $("identify-form").addEventListener("submit", submit);
  $("done").addEventListener("click", reset);
  reset();
  document.body.dataset.ready = "true"; // the buttons answer from now on
}

start();
