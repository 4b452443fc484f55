// The patients' booking page: department, doctor, day, a free time; then the token and live link.
import { fillActing, loadPeople } from "./acting.js";
import { act, api, requireRole, statusBadge, toast } from "./api.js";
import { $, el } from "./dom.js";
import { formatDate, t } from "./i18n.js";
import { fillDoctors, options } from "./pickers.js";
import { clockTime, localDay } from "./time.js";

const CANCELLABLE = ["booked"];
const FOLLOWABLE = ["booked", "waiting", "called", "in_consultation"];

await requireRole(["patient"]);
const [{ departments }, { doctors }] = await Promise.all([api("/api/departments"), api("/api/doctors")]);
const doctorName = (id) => doctors.find((d) => d.id === id)?.name || "";
const departmentName = (id) => departments.find((d) => d.id === id)?.name || "";
let chosen = null;
// A parent books for a child: the picker names whom the booking and the list are for.
let acting = fillActing($("acting"), await loadPeople(), (id) => { acting = id; loadMine(); });
$("book").hidden = false;

/** The patient's live page on this site (the API's link names the configured public host). */
function followHref(link) {
  const url = new URL(link, location.href);
  return url.pathname + url.search;
}

$("book-department").replaceChildren(...options(departments));
$("book-day").value = localDay();
$("book-day").min = localDay();

function fillBookDoctors() {
  fillDoctors($("book-doctor"), doctors, Number($("book-department").value));
}

function choose(slot, button) {
  chosen = slot;
  for (const other of $("slots").querySelectorAll(".btn")) {
    other.classList.replace("btn-primary", "btn-outline-primary");
    other.setAttribute("aria-checked", "false");
  }
  button.classList.replace("btn-outline-primary", "btn-primary");
  button.setAttribute("aria-checked", "true");
  $("book-choice").textContent = t("{time} with {doctor}", { time: clockTime(slot.starts_at), doctor: doctorName(slot.doctor_id) });
  $("book-submit").disabled = false;
}

function slotButton(slot) {
  const button = el("button", {
    type: "button", class: "btn btn-outline-primary", role: "radio", "aria-checked": "false",
    dataset: { slotId: slot.id },
  }, el("div", { class: "fw-semibold" }, clockTime(slot.starts_at)),
  el("div", { class: "small text-truncate" }, doctorName(slot.doctor_id)));
  button.addEventListener("click", () => choose(slot, button));
  return button;
}

let slotsAsked = 0;

async function loadSlots() {
  const asked = ++slotsAsked;
  $("slots").setAttribute("aria-busy", "true");
  chosen = null;
  $("book-submit").disabled = true;
  $("book-choice").textContent = t("Choose a free time.");
  const query = new URLSearchParams({ department_id: $("book-department").value, date: $("book-day").value });
  if ($("book-doctor").value) query.set("doctor_id", $("book-doctor").value);
  try {
    const { slots } = await api(`/api/slots?${query}`);
    if (asked !== slotsAsked) return; // the patient changed their choice meanwhile
    $("slots").replaceChildren(...slots.map(slotButton));
    $("slots-empty").hidden = slots.length > 0;
  } catch (error) {
    if (asked !== slotsAsked) return;
    $("slots").replaceChildren();
    $("slots-empty").hidden = false;
    toast(error.message, "danger");
  }
  $("slots").setAttribute("aria-busy", "false");
}

$("book-department").addEventListener("change", () => { fillBookDoctors(); loadSlots(); });
$("book-doctor").addEventListener("change", loadSlots);
$("book-day").addEventListener("change", loadSlots);

$("book-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!chosen) return;
  act($("book-submit"), async () => {
    const ticket = await api("/api/appointments", {
      method: "POST", body: { slot_id: chosen.id, patient_id: acting, reason: $("book-reason").value.trim() },
    });
    $("booked-token").textContent = ticket.token;
    $("booked-when").textContent = t("{date} at {time}", { date: formatDate(new Date(ticket.scheduled_at)), time: clockTime(ticket.scheduled_at) });
    $("booked-where").textContent = `${departmentName(ticket.department_id)} · ${doctorName(ticket.doctor_id)}`;
    $("booked-link").href = followHref(ticket.live_link);
    // The slot grid folds away: on a phone the confirmation would be below dozens of buttons.
    $("book-form").hidden = true;
    $("booked").hidden = false;
    $("booked").scrollIntoView({ block: "nearest" });
    $("book-reason").value = "";
    toast(t("Booked: {token}", { token: ticket.token }));
    await Promise.all([loadSlots(), loadMine()]);
  });
});

$("book-again").addEventListener("click", () => {
  $("booked").hidden = true;
  $("book-form").hidden = false;
  $("book-form").scrollIntoView({ block: "nearest" });
});

function appointmentItem(a) {
  const actions = [];
  if (FOLLOWABLE.includes(a.status)) {
    actions.push(el("a", { class: "btn btn-sm btn-outline-success", href: followHref(a.live_link) }, t("Follow")));
  }
  if (CANCELLABLE.includes(a.status)) {
    actions.push(el("button", {
      class: "btn btn-sm btn-outline-danger", type: "button",
      onclick: (event) => act(event.currentTarget, async () => {
        await api(`/api/appointments/${a.appointment_id}/cancel`, { method: "POST", body: { reason: "cancelled by the patient" } }); // i18n-ignore: the audit's reason
        toast(t("{token} cancelled", { token: a.token }));
        await Promise.all([loadSlots(), loadMine()]);
      }),
    }, t("Cancel")));
  }
  const when = a.scheduled_at ? `${formatDate(new Date(a.scheduled_at))} ${clockTime(a.scheduled_at)}` : formatDate(new Date(`${a.day}T00:00`));
  return el("li", { class: "list-group-item", dataset: { appointmentId: a.appointment_id } },
    el("div", { class: "d-flex align-items-center gap-2" },
      el("span", { class: "font-monospace fw-semibold" }, a.token), statusBadge(a.status),
      el("span", { class: "ms-auto d-flex gap-1" }, actions)),
    el("div", { class: "small text-body-secondary mt-1" }, `${when} · ${departmentName(a.department_id)}${a.doctor_id ? " · " + doctorName(a.doctor_id) : ""}`));
}

async function loadMine() {
  const { appointments } = await api(`/api/appointments?patient_id=${acting}`);
  $("mine").replaceChildren(...(appointments.length ? appointments.map(appointmentItem)
    : [el("li", { class: "list-group-item text-body-secondary" }, t("No appointments yet."))]));
}

fillBookDoctors();
await Promise.all([loadSlots(), loadMine()]);
