// The staff and nurse desk: find or register patients, check in, walk-ins, emergencies, vitals,
// phone bookings, cancelling and moving visits, the day's expected arrivals, patients called but
// not found, doctors running late or leaving early, and the department's queues, live.
import { act, api, formData, requireRole, statusBadge, toast, urgencyBadge } from "./api.js";
import { $, el } from "./dom.js";
import { watchDepartments } from "./feed.js";
import { focusOn, focusSoon, returnFocusFrom } from "./focus.js";
import { formatDate, t } from "./i18n.js";
import { fillDoctors, options } from "./pickers.js";
import { printButton } from "./print-ticket.js";
import { patientCell, queueRow, tokenCell, waitedCell } from "./queue.js";
import { checkInBody, fillPriorityField, loadCategories, priorityPicker } from "./priority.js";
import { presenceButton, sessionButtons, sessionState } from "./sessions.js";
import { clockTime, keepWaitedCurrent } from "./time.js";

const ACTIVE = ["waiting", "called", "in_consultation"];
const CANCELLABLE = ["booked", "waiting", "skipped"];
const RETURNING = ["skipped", "no_show"];

const me = await requireRole(["staff", "nurse", "admin"]);
const canRecordVitals = me.role !== "staff";
const [{ departments }, { doctors }] = await Promise.all([api("/api/departments"), api("/api/doctors"), loadCategories()]);
const departmentName = (id) => departments.find((d) => d.id === id)?.name || t("Department {id}", { id: String(id) });
const doctorName = (id) => doctors.find((d) => d.id === id)?.name || "";
const snapshots = new Map();
let shownDepartment = Number(localStorage.getItem("desk.department")) || departments[0]?.id;
let patient = null;
let vitalsFor = null;
let day = null; // the shown department's day: arrivals, returning patients, vitals, sessions
$("desk").hidden = false;

// ---- the department's queues ----

$("queue-department").replaceChildren(...options(departments, shownDepartment));
$("queue-department").addEventListener("change", (event) => {
  shownDepartment = Number(event.target.value);
  localStorage.setItem("desk.department", String(shownDepartment));
  // New visits usually go to the department the desk is looking at.
  $("visit-department").value = String(shownDepartment);
  fillVisitDoctors();
  day = null;
  renderDay();
  renderQueues();
  loadDay();
});

// ---- the day: expected arrivals, patients called but not found, sessions, vitals ----

let dayAsked = 0;
let dayTimer = null;

/** Read the shown department's day; a newer request wins over an older one. */
async function loadDay() {
  const asked = ++dayAsked;
  const departmentId = shownDepartment;
  const data = await api(`/api/departments/${departmentId}/day`).catch(() => null);
  if (asked !== dayAsked || data === null) return;
  day = data;
  renderDay();
  renderQueues();
}

/** Read the day again shortly: a burst of queue updates costs one request. */
function reloadDay() {
  clearTimeout(dayTimer);
  dayTimer = setTimeout(loadDay, 250);
}

function arrivalRow(row) {
  return el("tr", { dataset: { ticketId: row.ticket_id, token: row.token } },
    el("td", { class: "text-nowrap" }, clockTime(row.scheduled_at)),
    tokenCell(row),
    patientCell(row),
    el("td", { class: "d-none d-md-table-cell small" }, row.doctor_id ? doctorName(row.doctor_id) : t("any doctor")),
    el("td", { class: "text-end" }, el("div", { class: "d-flex gap-1 justify-content-end" }, priorityPicker(row.ticket_id), el("button", {
      class: "btn btn-sm btn-success", type: "button", "aria-label": t("Check in {token}", { token: row.token }),
      dataset: { action: "check-in" },
      onclick: (event) => checkInFrom(event.currentTarget, row),
    }, t("Check in")))));
}

function returningRow(row) {
  return el("tr", { dataset: { ticketId: row.ticket_id, token: row.token } },
    tokenCell(row),
    patientCell(row),
    el("td", {}, statusBadge(row.status)),
    el("td", { class: "text-end" }, el("button", {
      class: "btn btn-sm btn-warning", type: "button", title: t("The patient is back: put them in the queue again"),
      "aria-label": t("Requeue {token}", { token: row.token }),
      onclick: (event) => act(event.currentTarget, () => requeue(row)),
    }, t("Requeue"))));
}

function renderDay() {
  if (!day) {
    // Another department's day is loading: never show this one's rows under its name.
    $("arrival-rows").replaceChildren();
    $("arrivals-empty").hidden = true;
    $("arrivals-count").textContent = "…";
    $("returning-rows").replaceChildren();
    $("returning-card").hidden = true;
    return;
  }
  $("arrival-rows").replaceChildren(...day.arrivals.map(arrivalRow));
  $("arrivals-empty").hidden = day.arrivals.length > 0;
  $("arrivals-count").textContent = String(day.arrivals.length);
  $("returning-rows").replaceChildren(...day.returning.map(returningRow));
  $("returning-card").hidden = day.returning.length === 0;
}

async function requeue(row) {
  await api(`/api/tickets/${row.ticket_id}/requeue`, { method: "POST", body: { reason: "came back to the desk" } }); // i18n-ignore: the audit's reason
  toast(t("{token} is back in the queue", { token: row.token }));
  reloadDay();
  await refreshPatient();
}

/** The doctor's session that is on now or next (their last one once the day is over). */
function sessionOf(doctorId) {
  const mine = (day?.sessions || []).filter((s) => s.doctor_id === doctorId);
  return mine.find((s) => Date.parse(s.closed_early_at || s.ends_at) > Date.now()) || mine[mine.length - 1];
}

function doctorCard(doctor, tickets) {
  const waiting = tickets.filter((t) => t.status === "waiting" && (t.doctor_id ?? t.expected_doctor_id) === doctor.id).length;
  const current = doctor.current;
  const session = sessionOf(doctor.id);
  const state = session ? sessionState(session) : "";
  return el("div", { class: "col-sm-6 col-xxl-4" },
    el("div", { class: "card h-100 doctor-card", dataset: { doctorId: doctor.id } },
      el("div", { class: "card-body py-2" },
        el("div", { class: "d-flex align-items-center gap-2" },
          el("div", { class: "fw-semibold me-auto" }, doctor.name),
          el("span", { class: "badge text-bg-light border" }, doctor.room || t("no room"))),
        el("div", { class: "d-flex align-items-center gap-2 mt-1 small" },
          current ? [el("span", { class: "font-monospace fw-semibold" }, current.token), statusBadge(current.status),
            el("span", { class: "text-truncate" }, current.patient?.name || "")]
            : el("span", { class: "text-body-secondary" }, t("free")),
          el("span", { class: "ms-auto text-body-secondary text-nowrap" }, t("{n} waiting", { n: waiting }))),
        session ? el("div", { class: "d-flex align-items-center gap-1 mt-2 flex-wrap" },
          doctor.late ? el("span", { class: "badge text-bg-danger" }, t("late")) : null,
          state ? el("span", { class: "badge text-bg-warning session-state" }, state) : null,
          el("span", { class: "ms-auto d-flex gap-1 flex-wrap" }, presenceButton(session, loadDay), sessionButtons(session, loadDay))) : null)));
}

function waitingRow(ticket, index) {
  const buttons = [];
  if (canRecordVitals) {
    buttons.push(el("button", { class: "btn btn-sm btn-outline-secondary", type: "button", "aria-label": t("Vitals {token}", { token: ticket.token }), onclick: () => openVitals(ticket.appointment_id, ticket.patient?.name) }, t("Vitals")));
  }
  if (ticket.urgency !== "emergency") {
    buttons.push(el("button", {
      class: "btn btn-sm btn-outline-danger", type: "button", title: t("Move to the head of the queue as an emergency"),
      "aria-label": t("Emergency {token}", { token: ticket.token }),
      onclick: (event) => act(event.currentTarget, async () => {
        await escalate(ticket);
        focusRow("desk-rows", ticket.ticket_id);
      }),
    }, t("Emergency")));
  }
  buttons.push(printButton(ticket));
  const forWhom = ticket.doctor_id ? doctorName(ticket.doctor_id) : t("any doctor");
  const measured = day?.vitals_taken.includes(ticket.appointment_id);
  return queueRow(ticket,
    el("td", { class: "text-body-secondary d-none d-sm-table-cell" }, String(index + 1)),
    // On a phone the urgency column is hidden: a non-routine urgency shows under the token.
    tokenCell(ticket, ticket.urgency !== "routine" ? el("div", { class: "d-sm-none" }, urgencyBadge(ticket.urgency)) : null),
    patientCell(ticket, measured ? el("span", { class: "badge text-bg-success ms-1 vitals-taken", title: t("Vitals taken") }, t("vitals ✓")) : null),
    el("td", { class: "d-none d-sm-table-cell" }, urgencyBadge(ticket.urgency)),
    el("td", { class: "d-none d-lg-table-cell small" }, forWhom),
    waitedCell(ticket, "text-nowrap small"),
    el("td", { class: "d-none d-md-table-cell small text-nowrap" }, ticket.wait_min === null ? "–" : t("~{n} min", { n: Math.round(ticket.wait_min) })),
    el("td", { class: "text-end" }, el("div", { class: "d-flex flex-column flex-sm-row justify-content-end gap-1" }, buttons)));
}

function renderQueues() {
  const snapshot = snapshots.get(shownDepartment);
  if (!snapshot) return;
  renderDay();
  $("doctor-cards").replaceChildren(...snapshot.doctors.map((d) => doctorCard(d, snapshot.tickets)));
  // The plan's order, by expected time of call: the same on every screen (no sort here).
  const waiting = snapshot.tickets.filter((t) => t.status === "waiting");
  $("desk-rows").replaceChildren(...waiting.map(waitingRow));
  $("desk-empty").hidden = waiting.length > 0;
  $("waiting-count").textContent = String(waiting.length);
  if (patient && snapshot.tickets.some((t) => t.patient?.id === patient.id)) refreshPatient();
}

async function escalate(ticket) {
  await api("/api/emergencies", {
    method: "POST", body: { department_id: shownDepartment, ticket_id: ticket.ticket_id, reason: "raised at the desk" }, // i18n-ignore: the audit's reason
  });
  toast(t("{token} is now an emergency", { token: ticket.token }), "danger");
}

// ---- finding and registering patients ----

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act(event.submitter, async () => {
    const { patients } = await api(`/api/patients?q=${encodeURIComponent($("search-q").value.trim())}`);
    $("search-results").replaceChildren(...(patients.length ? patients.map((p) => el("button", {
      type: "button", class: "list-group-item list-group-item-action", dataset: { patientId: p.id },
      onclick: () => selectPatient(p.id),
    }, el("div", { class: "fw-semibold" }, p.full_name),
    el("div", { class: "small text-body-secondary" }, [p.record_number, p.date_of_birth && formatDate(new Date(`${p.date_of_birth}T00:00`)), p.phone].filter(Boolean).join(" · "))))
      : [el("div", { class: "list-group-item text-body-secondary" }, t("No patient found."))]));
  });
});

$("new-patient").addEventListener("submit", (event) => {
  event.preventDefault();
  act(event.submitter, async () => {
    const created = await api("/api/patients", { method: "POST", body: formData(event.target) });
    event.target.reset();
    window.bootstrap.Collapse.getOrCreateInstance(event.target).hide();
    toast(t("{name} registered as {record}", { name: created.full_name, record: created.record_number }));
    await selectPatient(created.id);
  });
});

async function selectPatient(id) {
  patient = await api(`/api/patients/${id}`);
  $("walk-in-token").hidden = true;
  renderPatient();
  $("patient-card").hidden = false;
  $("patient-card").scrollIntoView({ block: "nearest" });
  focusOn($("patient-name")); // the card just shown: its heading says whose it is
}

async function refreshPatient() {
  if (!patient) return;
  patient = await api(`/api/patients/${patient.id}`).catch(() => patient);
  renderPatient();
}

function today() {
  return snapshots.get(shownDepartment)?.day || new Date().toISOString().slice(0, 10);
}

/** A cancel button that asks once more before it cancels. */
function cancelButton(visit) {
  const button = el("button", { class: "btn btn-sm btn-outline-danger", type: "button" }, t("Cancel"));
  button.addEventListener("click", () => {
    if (button.dataset.armed !== "1") {
      button.dataset.armed = "1";
      button.textContent = t("Cancel visit?");
      button.classList.replace("btn-outline-danger", "btn-danger");
      return;
    }
    act(button, async () => {
      await api(`/api/tickets/${visit.ticket_id}/cancel`, { method: "POST", body: { reason: "cancelled at the desk" } }); // i18n-ignore: the audit's reason
      toast(t("{token} cancelled", { token: visit.token }));
      reloadDay();
      await refreshPatient();
    });
  });
  return button;
}

function visitItem(visit) {
  const buttons = [];
  if (visit.status === "booked" && visit.day === today()) {
    buttons.push(priorityPicker(visit.ticket_id), el("button", { class: "btn btn-sm btn-success", type: "button", dataset: { action: "check-in" }, onclick: (event) => checkInFrom(event.currentTarget, visit) }, t("Check in")));
  }
  if (RETURNING.includes(visit.status) && visit.day === today()) {
    buttons.push(el("button", { class: "btn btn-sm btn-warning", type: "button", onclick: (event) => act(event.currentTarget, () => requeue(visit)) }, t("Requeue")));
  }
  if (ACTIVE.includes(visit.status) && canRecordVitals) {
    buttons.push(el("button", { class: "btn btn-sm btn-outline-secondary", type: "button", onclick: () => openVitals(visit.appointment_id, patient.full_name) }, t("Vitals")));
  }
  if (visit.status === "booked") {
    buttons.push(el("button", { class: "btn btn-sm btn-outline-primary", type: "button", onclick: () => openBooking(visit) }, t("Reschedule")));
  }
  if (CANCELLABLE.includes(visit.status)) buttons.push(cancelButton(visit));
  const when = visit.day === today() ? "" : `${formatDate(new Date(`${visit.day}T00:00`))} `;
  return el("li", { class: "list-group-item d-flex align-items-center gap-2 flex-wrap", dataset: { ticketId: visit.ticket_id, appointmentId: visit.appointment_id } },
    el("span", { class: "font-monospace fw-semibold" }, visit.token),
    el("span", { class: "small" }, departmentName(visit.department_id),
      visit.scheduled_at ? ` · ${when}${clockTime(visit.scheduled_at)}` : "",
      visit.doctor_id ? ` · ${doctorName(visit.doctor_id)}` : ""),
    statusBadge(visit.status),
    el("span", { class: "ms-auto d-flex gap-1 flex-wrap" }, buttons));
}

/** Today's visits and the open ones of later days (a phone booking, a rescheduled one). */
function shownVisits() {
  return patient.appointments.filter((a) => a.day === today() || (a.day > today() && a.status === "booked"))
    .sort((a, b) => (a.day === b.day ? 0 : a.day < b.day ? -1 : 1));
}

function renderPatient() {
  $("patient-name").textContent = patient.full_name;
  $("patient-card").dataset.patientId = patient.id; // desk-waitlist.js adds this patient
  $("patient-meta").textContent = [patient.record_number, t("born {date}", { date: formatDate(new Date(`${patient.date_of_birth}T00:00`)) }), patient.phone].filter(Boolean).join(" · ");
  const visits = shownVisits();
  $("patient-today").replaceChildren(...(visits.length ? visits.map(visitItem)
    : [el("li", { class: "list-group-item text-body-secondary small" }, t("No visit today."))]));
}

// ---- where focus goes after an action (WCAG 2.4.3) ----

/** A row of a list by its ticket, or null. */
function rowOf(listId, ticketId) {
  return $(listId)?.querySelector(`[data-ticket-id="${ticketId}"]`) || null;
}

/** Focus a ticket's row once it is drawn again as an emergency (at the head of the queue). */
function focusRow(listId, ticketId) {
  focusSoon(() => {
    const row = rowOf(listId, ticketId);
    return row?.dataset.urgency === "emergency" ? row : null;
  });
}

/**
 * Check in from a button. Focus then goes, in the expected arrivals, to the next arrival's
 * button (or the list's title when none is left) once the row is gone; in the patient's visits,
 * to the visit's line once it shows the visit checked in.
 */
function checkInFrom(button, visit) {
  const id = visit.ticket_id;
  const inArrivals = Boolean(button.closest("#arrival-rows"));
  const row = button.closest("[data-ticket-id]");
  const nextId = (row?.nextElementSibling || row?.previousElementSibling)?.dataset.ticketId;
  const target = inArrivals
    ? () => {
      if (rowOf("arrival-rows", id)) return null;
      return rowOf("arrival-rows", nextId)?.querySelector("[data-action=check-in]") || $("arrivals-title");
    }
    : () => {
      const line = rowOf("patient-today", id);
      return line && !line.querySelector("[data-action=check-in]") ? line : null;
    };
  act(button, async () => {
    await checkIn(visit);
    focusSoon(target);
  });
}

async function checkIn(visit) {
  await api(`/api/tickets/${visit.ticket_id}/check-in`, { method: "POST", body: checkInBody(visit.ticket_id) });
  toast(t("{token} checked in", { token: visit.token }));
  reloadDay();
  await refreshPatient();
}

// ---- walk-ins and emergencies ----

function fillVisitDoctors() {
  fillDoctors($("visit-doctor"), doctors, Number($("visit-department").value));
}
$("visit-department").replaceChildren(...options(departments, shownDepartment));
$("visit-department").addEventListener("change", fillVisitDoctors);
fillVisitDoctors();
fillPriorityField($("visit-priority"), $("visit-priority-box"));

function visitBody(withUrgency) {
  const fields = formData($("visit-form"));
  const body = { patient_id: patient.id, department_id: Number(fields.department_id), reason: fields.reason || "" };
  if (fields.doctor_id) body.doctor_id = Number(fields.doctor_id);
  if (withUrgency) body.urgency = fields.urgency;
  if (withUrgency && fields.priority_category_id) body.priority_category_id = Number(fields.priority_category_id);
  return body;
}

function showToken(ticket, emergency) {
  $("walk-in-token").className = `alert text-center ${emergency ? "alert-danger" : "alert-success"}`;
  $("walk-in-token-value").textContent = ticket.token;
  $("walk-in-token-where").textContent = `${departmentName(ticket.department_id)}${ticket.doctor_id ? " · " + doctorName(ticket.doctor_id) : ""}`;
  $("walk-in-token").hidden = false;
}

$("visit-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act($("register-walk-in"), async () => {
    const ticket = await api("/api/walk-ins", { method: "POST", body: visitBody(true) });
    showToken(ticket, false);
    toast(t("Walk-in registered: {token}", { token: ticket.token }));
    await refreshPatient();
  });
});

$("insert-emergency").addEventListener("click", (event) => {
  act(event.currentTarget, async () => {
    const ticket = await api("/api/emergencies", { method: "POST", body: visitBody(false) });
    showToken(ticket, true);
    toast(t("Emergency {token} is at the head of the queue", { token: ticket.token }), "danger");
    await refreshPatient();
  });
});

// ---- vitals ----

const vitalsModal = new window.bootstrap.Modal($("vitals-modal"));
returnFocusFrom($("vitals-modal"), "queues-title");

function openVitals(appointmentId, name) {
  vitalsFor = appointmentId;
  $("vitals-form").reset();
  $("vitals-error").hidden = true;
  $("vitals-who").textContent = name || "";
  vitalsModal.show();
}

/** Show the API's message and, per field, what was wrong, named as the form names it. */
function showFieldErrors(error) {
  const label = (field) => document.querySelector(`#vitals-form [name="${field}"]`)?.labels?.[0]?.textContent || field;
  const problems = Object.entries(error.details || {}).filter(([, text]) => typeof text === "string");
  $("vitals-error").replaceChildren(el("div", {}, error.message),
    problems.length ? el("ul", { class: "mb-0 ps-3" }, problems.map(([field, text]) => el("li", {}, t("{field}: {problem}", { field: label(field), problem: text })))) : null);
  $("vitals-error").hidden = false;
}

$("vitals-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const body = Object.fromEntries(Object.entries(formData(event.target)).map(([k, v]) => [k, Number(v)]));
  act(event.submitter, async () => {
    try {
      await api(`/api/appointments/${vitalsFor}/vitals`, { method: "POST", body });
    } catch (error) {
      showFieldErrors(error);
      return;
    }
    vitalsModal.hide();
    toast(t("Vitals saved"));
    reloadDay();
  });
});

keepWaitedCurrent();

// ---- phone bookings and rescheduling ----

const bookingModal = new window.bootstrap.Modal($("booking-modal"));
returnFocusFrom($("booking-modal"), "patient-name");
let moving = null; // the booked visit being rescheduled, or null for a new booking
let slotsAsked = 0;

function fillBookingDoctors() {
  fillDoctors($("booking-doctor"), doctors, Number($("booking-department").value));
}

async function loadBookingSlots() {
  const asked = ++slotsAsked;
  const query = new URLSearchParams({ department_id: $("booking-department").value, date: $("booking-day").value });
  if ($("booking-doctor").value) query.set("doctor_id", $("booking-doctor").value);
  $("booking-slot").replaceChildren(el("option", { value: "" }, t("Loading…")));
  const { slots } = await api(`/api/slots?${query}`).catch((error) => {
    $("booking-error").textContent = error.message;
    $("booking-error").hidden = false;
    return { slots: [] };
  });
  if (asked !== slotsAsked) return;
  $("booking-slot").replaceChildren(...(slots.length
    ? slots.map((slot) => el("option", { value: slot.id }, t("{time} · {doctor} ({n} free)", { time: clockTime(slot.starts_at), doctor: doctorName(slot.doctor_id), n: slot.free })))
    : [el("option", { value: "" }, t("No free time on this day"))]));
}

function openBooking(visit = null) {
  moving = visit;
  $("booking-form").reset();
  $("booking-error").hidden = true;
  $("booking-who").textContent = patient.full_name;
  $("booking-title").firstChild.textContent = `${visit ? t("Move {token} of", { token: visit.token }) : t("Book for")} `;
  $("booking-reason-box").hidden = Boolean(visit);
  $("booking-submit").textContent = visit ? t("Move") : t("Book");
  const departmentId = visit ? visit.department_id : Number($("visit-department").value) || shownDepartment;
  $("booking-department").value = String(departmentId);
  fillBookingDoctors();
  if (visit?.doctor_id) $("booking-doctor").value = String(visit.doctor_id);
  $("booking-day").value = visit ? visit.day : today();
  $("booking-day").min = today();
  bookingModal.show();
  loadBookingSlots();
}

$("booking-department").replaceChildren(...options(departments, shownDepartment));
$("booking-department").addEventListener("change", () => { fillBookingDoctors(); loadBookingSlots(); });
$("booking-doctor").addEventListener("change", loadBookingSlots);
$("booking-day").addEventListener("change", loadBookingSlots);
$("book-for-patient").addEventListener("click", () => openBooking(null));

$("booking-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const slotId = Number($("booking-slot").value);
  if (!slotId) {
    $("booking-error").textContent = t("Choose a free time.");
    $("booking-error").hidden = false;
    return;
  }
  act($("booking-submit"), async () => {
    let ticket;
    try {
      ticket = moving
        ? await api(`/api/appointments/${moving.appointment_id}/reschedule`, { method: "POST", body: { slot_id: slotId } })
        : await api("/api/appointments", { method: "POST", body: { patient_id: patient.id, slot_id: slotId, reason: $("booking-reason").value.trim() } });
    } catch (error) {
      $("booking-error").textContent = error.message;
      $("booking-error").hidden = false;
      return;
    }
    bookingModal.hide();
    const when = `${ticket.day === today() ? "" : formatDate(new Date(`${ticket.day}T00:00`)) + " "}${clockTime(ticket.scheduled_at)}`;
    toast(moving ? t("{token} moved to {when}", { token: ticket.token, when })
      : t("Booked {token} at {when} with {doctor}", { token: ticket.token, when, doctor: doctorName(ticket.doctor_id) }));
    reloadDay();
    await refreshPatient();
  });
});

watchDepartments("/desk", {}, (departmentId, data) => {
  snapshots.set(departmentId, data);
  if (departmentId === shownDepartment) {
    renderQueues();
    reloadDay();
  }
}, $("live-status"));
loadDay();
