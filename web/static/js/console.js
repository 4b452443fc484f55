// The doctor console: the doctor's current patient and queue, live, with keyboard shortcuts.
import { act, api, requireRole, statusBadge, toast, urgencyBadge } from "./api.js";
import { $, el } from "./dom.js";
import { watchDepartment } from "./feed.js";
import { focusSoon, returnFocusFrom } from "./focus.js";
import { formatDateTime, formatNumber, t } from "./i18n.js";
import { patientCell, queueRow, tokenCell, waitedCell } from "./queue.js";
import { bindShortcuts } from "./shortcuts.js";
import { keepWaitedCurrent } from "./time.js";

const BUSY = ["called", "in_consultation"];

const me = await requireRole(["doctor", "admin"]);
const doctorId = me.doctor_id ?? Number(new URLSearchParams(location.search).get("doctor"));
if (!doctorId) {
  $("gate-text").textContent =
    t("Your login is not linked to a doctor. Open the console as /console?doctor=<doctor id>.");
  $("gate").hidden = false;
  throw new Error("no doctor");
}

const [{ doctors }, { departments }] = await Promise.all([
  api("/api/doctors"), api("/api/departments"),
]);
const doctor = doctors.find((d) => d.id === doctorId);
if (!doctor) {
  $("gate-text").textContent = t("There is no active doctor {id}.", { id: String(doctorId) });
  $("gate").hidden = false;
  throw new Error("unknown doctor");
}
const department = departments.find((d) => d.id === doctor.department_id);
let snapshot = null;
let current = null;
let historyOf = null;

$("doctor-name").textContent = doctor.name;
$("doctor-where").textContent = [department?.name, doctor.room].filter(Boolean).join(" · ");
$("console").hidden = false;

/** The waiting tickets this doctor may call, in the order "Call next" offers them. */
function myQueue() {
  // The server's plan gives each doctor their line (theirs first, then shared patients planned
  // on a colleague); the console draws it as it is, it never sorts.
  const tickets = new Map((snapshot?.tickets || []).map((t) => [t.ticket_id, t]));
  const me = (snapshot?.doctors || []).find((d) => d.id === doctorId);
  return (me?.line || []).map((id) => tickets.get(id)).filter(Boolean);
}

function renderDesk() {
  const me = (snapshot?.doctors || []).find((d) => d.id === doctorId);
  const open = Boolean(me?.desk_open);
  const badge = $("desk-state");
  badge.dataset.open = String(open);
  badge.className = `badge ${open ? "text-bg-success" : me?.late ? "text-bg-warning" : "text-bg-secondary"}`;
  badge.textContent = open ? t("Desk open") : me?.late ? t("Desk closed · late") : t("Desk closed");
  $("desk-toggle").textContent = open ? t("Close my desk") : t("Open my desk");
}

function render(next) {
  snapshot = next;
  current = snapshot.tickets.find((t) => t.doctor_id === doctorId && BUSY.includes(t.status)) || null;
  renderCurrent();
  renderQueue();
  renderDesk();
}

$("desk-toggle").addEventListener("click", (event) => act(event.currentTarget, async () => {
  const me = (snapshot?.doctors || []).find((d) => d.id === doctorId);
  const open = !me?.desk_open;
  await api(`/api/doctors/${doctorId}/desk`, { method: "POST", body: { open } });
  toast(open ? t("Your desk is open: patients are planned on you") : t("Your desk is closed"));
}));

function renderCurrent() {
  const card = $("current");
  card.dataset.status = current?.status || "";
  card.dataset.ticketId = current?.ticket_id || "";
  $("current-empty").hidden = Boolean(current);
  $("current-patient").hidden = !current;
  $("current-status").replaceChildren(current ? statusBadge(current.status) : "");
  if (current) {
    $("current-token").textContent = current.token;
    $("current-name").textContent = current.patient?.name || "";
    $("current-record").textContent = current.patient?.record_number || "";
    $("current-reason").textContent = current.reason || t("no reason given");
    $("current-urgency").replaceChildren(urgencyBadge(current.urgency));
  }
  const status = current?.status;
  $("do-start").disabled = status !== "called";
  $("do-recall").disabled = status !== "called";
  $("do-no-show").disabled = status !== "called";
  $("do-complete").disabled = status !== "in_consultation";
  $("do-transfer").disabled = !current;
  $("call-next").disabled = Boolean(current);
  const patientId = current?.patient?.id ?? null;
  if (patientId !== historyOf) loadHistory(patientId);
}

function waitingRow(ticket, index) {
  const call = el("button", {
    class: "btn btn-sm btn-outline-primary", type: "button", "aria-label": t("Call {token}", { token: ticket.token }),
    disabled: Boolean(current),
    onclick: (event) => run(event.currentTarget, () => callTicket(ticket), "do-start"),
  }, t("Call"));
  return queueRow(ticket,
    el("td", { class: "text-body-secondary" }, String(index + 1)),
    tokenCell(ticket),
    patientCell(ticket),
    el("td", {}, urgencyBadge(ticket.urgency)),
    waitedCell(ticket),
    el("td", { class: "d-none d-md-table-cell small" }, ticket.reason || ""),
    el("td", { class: "text-end" }, call));
}

function renderQueue() {
  const rows = myQueue().map(waitingRow);
  $("queue-rows").replaceChildren(...rows);
  $("queue-empty").hidden = rows.length > 0;
  $("queue-count").textContent = t("{n} waiting", { n: rows.length });
}

async function loadHistory(patientId) {
  historyOf = patientId;
  $("history").hidden = patientId === null;
  if (patientId === null) return;
  try {
    const history = await api(`/api/patients/${patientId}/history`);
    if (historyOf === patientId) renderHistory(history);
  } catch (error) {
    toast(error.message, "danger");
  }
}

const VITALS = [
  ["temperature_c", t("Temp"), "°C"], ["pulse_bpm", t("Pulse"), "bpm"], ["spo2_pct", t("SpO₂"), "%"],
  ["height_cm", t("Height"), "cm"], ["weight_kg", t("Weight"), "kg"],
];

function renderHistory({ vitals, notes }) {
  const latest = vitals[0];
  if (!latest) {
    $("vitals").replaceChildren(el("p", { class: "text-body-secondary small mb-0" }, t("No vitals recorded.")));
  } else {
    const cells = VITALS.filter(([key]) => latest[key] !== null).map(([key, label, unit]) =>
      el("div", { class: "vital" }, el("div", { class: "vital-label" }, label), el("div", { class: "vital-value" }, `${formatNumber(latest[key])} ${unit}`)));
    if (latest.systolic_mmhg !== null) {
      cells.splice(2, 0, el("div", { class: "vital" }, el("div", { class: "vital-label" }, t("BP")),
        el("div", { class: "vital-value" }, t("{systolic}/{diastolic} mmHg", { systolic: latest.systolic_mmhg, diastolic: latest.diastolic_mmhg ?? "–" }))));
    }
    $("vitals").replaceChildren(...cells);
  }
  $("notes").replaceChildren(...(notes.length ? notes.map((n) => el("li", { class: "note" },
    el("div", { class: "text-body-secondary" }, formatDateTime(new Date(n.created_at))), n.text))
    : [el("li", { class: "text-body-secondary" }, t("No previous notes."))]));
}

async function callNext() {
  const ticket = await api(`/api/doctors/${doctorId}/call-next`, { method: "POST" });
  toast(t("Called {token}", { token: ticket.token }));
}

async function callTicket(ticket) {
  await api(`/api/tickets/${ticket.ticket_id}/call`, { method: "POST", body: { doctor_id: doctorId } });
  toast(t("Called {token}", { token: ticket.token }));
}

function step(verb, message, body) {
  return async () => {
    if (!current) return;
    const token = current.token;
    await api(`/api/tickets/${current.ticket_id}/${verb}`, { method: "POST", body });
    toast(t("{token}: {what}", { token, what: message }));
  };
}

const ACTIONS = {
  n: ["call-next", callNext],
  s: ["do-start", step("start", t("consultation started"))],
  c: ["do-complete", step("complete", t("consultation completed"))],
  r: ["do-recall", step("recall", t("called again"))],
  x: ["do-no-show", step("no-show", t("marked as no-show"), { reason: "did not come" })], // i18n-ignore: the audit's reason
  t: ["do-transfer", openTransfer],
};

// Where focus goes once an action is done (WCAG 2.4.3): to the next step of the consultation.
const FOCUS_AFTER = {
  "call-next": "do-start", "do-start": "do-complete", "do-complete": "call-next",
  "do-recall": "do-start", "do-no-show": "call-next",
};

/** Run a console action; the buttons then follow the queue's state again, not act()'s reset. */
async function run(button, work, focusNext = FOCUS_AFTER[button.id]) {
  const done = await act(button, async () => { await work(); return true; });
  if (snapshot) render(snapshot);
  if (done && focusNext) focusSoon(focusNext);
}

for (const [button, work] of Object.values(ACTIONS)) {
  $(button).addEventListener("click", () => run($(button), work));
}

// Single-key shortcuts, each user's to turn off or remap (web/static/js/shortcuts.js).
bindShortcuts({
  screen: "console",
  userId: me.user_id,
  defaults: Object.fromEntries(Object.entries(ACTIONS).map(([key, [button]]) => [button, key])),
  run(button) {
    const work = Object.values(ACTIONS).find(([id]) => id === button)?.[1];
    if (!work || $(button).disabled) return false;
    run($(button), work);
    return true;
  },
});

const transferModal = new window.bootstrap.Modal($("transfer-modal"));
returnFocusFrom($("transfer-modal"), "call-next");

function openTransfer() {
  if (!current) return;
  $("transfer-token").textContent = current.token;
  const colleagues = doctors.filter((d) => d.department_id === doctor.department_id && d.id !== doctorId);
  const others = departments.filter((d) => d.id !== doctor.department_id);
  $("transfer-to").replaceChildren(
    el("optgroup", { label: t("Another doctor") }, colleagues.map((d) =>
      el("option", { value: `doctor:${d.id}` }, d.room ? `${d.name} (${d.room})` : d.name))),
    el("optgroup", { label: t("Another department") }, others.map((d) =>
      el("option", { value: `department:${d.id}` }, d.name))));
  transferModal.show();
}

$("transfer-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const button = event.submitter;
  act(button, async () => {
    const [kind, id] = $("transfer-to").value.split(":");
    const body = { reason: $("transfer-reason").value.trim() };
    body[kind === "doctor" ? "to_doctor_id" : "to_department_id"] = Number(id);
    const token = current.token;
    await api(`/api/tickets/${current.ticket_id}/transfer`, { method: "POST", body });
    transferModal.hide();
    toast(t("{token} transferred", { token }));
  });
});

$("note-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!current) return;
  const text = $("note-text").value.trim();
  if (!text) return;
  act(event.submitter, async () => {
    await api(`/api/appointments/${current.appointment_id}/notes`, { method: "POST", body: { text } });
    $("note-text").value = "";
    toast(t("Note saved"));
    historyOf = null;
    await loadHistory(current.patient.id);
  });
});

keepWaitedCurrent();

watchDepartment(doctor.department_id, render, $("live-status"));
