// The staff and nurse desk: find or register patients, check in, walk-ins, emergencies, vitals,
// and the department's queues, live.
import {
  act, api, el, formData, requireRole, statusBadge, toast, urgencyBadge, waited, clockTime,
} from "./api.js";
import { watchDepartments } from "./feed.js";

const $ = (id) => document.getElementById(id);
const ACTIVE = ["waiting", "called", "in_consultation"];

const me = await requireRole(["staff", "nurse", "admin"]);
const canRecordVitals = me.role !== "staff";
const [{ departments }, { doctors }] = await Promise.all([api("/api/departments"), api("/api/doctors")]);
const departmentName = (id) => departments.find((d) => d.id === id)?.name || `Department ${id}`;
const doctorName = (id) => doctors.find((d) => d.id === id)?.name || "";
const snapshots = new Map();
let shownDepartment = Number(localStorage.getItem("desk.department")) || departments[0]?.id;
let patient = null;
let vitalsFor = null;
$("desk").hidden = false;

// ---- the department's queues ----

const options = (items, selected) => items.map((d) => el("option", { value: d.id, selected: d.id === selected }, d.name));
$("queue-department").replaceChildren(...options(departments, shownDepartment));
$("queue-department").addEventListener("change", (event) => {
  shownDepartment = Number(event.target.value);
  localStorage.setItem("desk.department", String(shownDepartment));
  // New visits usually go to the department the desk is looking at.
  $("visit-department").value = String(shownDepartment);
  fillDoctors();
  renderQueues();
});

function doctorCard(doctor, tickets) {
  const waiting = tickets.filter((t) => t.status === "waiting" && (t.doctor_id ?? t.expected_doctor_id) === doctor.id).length;
  const current = doctor.current;
  return el("div", { class: "col-sm-6 col-xxl-4" },
    el("div", { class: "card h-100 doctor-card", dataset: { doctorId: doctor.id } },
      el("div", { class: "card-body py-2" },
        el("div", { class: "d-flex align-items-center gap-2" },
          el("div", { class: "fw-semibold me-auto" }, doctor.name),
          el("span", { class: "badge text-bg-light border" }, doctor.room || "no room")),
        el("div", { class: "d-flex align-items-center gap-2 mt-1 small" },
          current ? [el("span", { class: "font-monospace fw-semibold" }, current.token), statusBadge(current.status),
            el("span", { class: "text-truncate" }, current.patient?.name || "")]
            : el("span", { class: "text-body-secondary" }, "free"),
          el("span", { class: "ms-auto text-body-secondary text-nowrap" }, `${waiting} waiting`)))));
}

function queueRow(ticket, index) {
  const buttons = [];
  if (canRecordVitals) {
    buttons.push(el("button", { class: "btn btn-sm btn-outline-secondary", type: "button", onclick: () => openVitals(ticket.appointment_id, ticket.patient?.name) }, "Vitals"));
  }
  if (ticket.urgency !== "emergency") {
    buttons.push(el("button", {
      class: "btn btn-sm btn-outline-danger", type: "button", title: "Move to the head of the queue as an emergency",
      onclick: (event) => act(event.currentTarget, () => escalate(ticket)),
    }, "Emergency"));
  }
  const forWhom = ticket.doctor_id ? doctorName(ticket.doctor_id) : "any doctor";
  return el("tr", { class: ticket.urgency === "emergency" ? "table-danger" : undefined, dataset: { ticketId: ticket.ticket_id, token: ticket.token } },
    el("td", { class: "text-body-secondary" }, String(index + 1)),
    el("td", { class: "fw-semibold font-monospace" }, ticket.token),
    el("td", {}, ticket.patient?.name || "", el("div", { class: "small text-body-secondary" }, ticket.patient?.record_number || "")),
    el("td", {}, urgencyBadge(ticket.urgency)),
    el("td", { class: "d-none d-sm-table-cell small" }, forWhom),
    el("td", { class: "text-nowrap", dataset: { since: ticket.arrived_at || "" } }, waited(ticket.arrived_at)),
    el("td", { class: "d-none d-md-table-cell small text-nowrap" }, ticket.wait_min === null ? "–" : `~${Math.round(ticket.wait_min)} min`),
    el("td", { class: "text-end text-nowrap" }, el("div", { class: "btn-group" }, buttons)));
}

function renderQueues() {
  const snapshot = snapshots.get(shownDepartment);
  if (!snapshot) return;
  $("doctor-cards").replaceChildren(...snapshot.doctors.map((d) => doctorCard(d, snapshot.tickets)));
  // The plan's order, by expected time of call: the same on every screen (no sort here).
  const waiting = snapshot.tickets.filter((t) => t.status === "waiting");
  $("desk-rows").replaceChildren(...waiting.map(queueRow));
  $("desk-empty").hidden = waiting.length > 0;
  $("waiting-count").textContent = String(waiting.length);
  if (patient && snapshot.tickets.some((t) => t.patient?.id === patient.id)) refreshPatient();
}

async function escalate(ticket) {
  await api("/api/emergencies", {
    method: "POST", body: { department_id: shownDepartment, ticket_id: ticket.ticket_id, reason: "raised at the desk" },
  });
  toast(`${ticket.token} is now an emergency`, "danger");
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
    el("div", { class: "small text-body-secondary" }, [p.record_number, p.date_of_birth, p.phone].filter(Boolean).join(" · "))))
      : [el("div", { class: "list-group-item text-body-secondary" }, "No patient found.")]));
  });
});

$("new-patient").addEventListener("submit", (event) => {
  event.preventDefault();
  act(event.submitter, async () => {
    const created = await api("/api/patients", { method: "POST", body: formData(event.target) });
    event.target.reset();
    window.bootstrap.Collapse.getOrCreateInstance(event.target).hide();
    toast(`${created.full_name} registered as ${created.record_number}`);
    await selectPatient(created.id);
  });
});

async function selectPatient(id) {
  patient = await api(`/api/patients/${id}`);
  $("walk-in-token").hidden = true;
  renderPatient();
  $("patient-card").hidden = false;
  $("patient-card").scrollIntoView({ block: "nearest" });
}

async function refreshPatient() {
  if (!patient) return;
  patient = await api(`/api/patients/${patient.id}`).catch(() => patient);
  renderPatient();
}

function today() {
  return snapshots.get(shownDepartment)?.day || new Date().toISOString().slice(0, 10);
}

function visitItem(visit) {
  const buttons = [];
  if (visit.status === "booked") {
    buttons.push(el("button", { class: "btn btn-sm btn-success", type: "button", onclick: (event) => act(event.currentTarget, () => checkIn(visit)) }, "Check in"));
  }
  if (ACTIVE.includes(visit.status) && canRecordVitals) {
    buttons.push(el("button", { class: "btn btn-sm btn-outline-secondary", type: "button", onclick: () => openVitals(visit.appointment_id, patient.full_name) }, "Vitals"));
  }
  return el("li", { class: "list-group-item d-flex align-items-center gap-2 flex-wrap", dataset: { ticketId: visit.ticket_id } },
    el("span", { class: "font-monospace fw-semibold" }, visit.token),
    el("span", { class: "small" }, departmentName(visit.department_id), visit.scheduled_at ? ` · ${clockTime(visit.scheduled_at)}` : ""),
    statusBadge(visit.status),
    el("span", { class: "ms-auto d-flex gap-1" }, buttons));
}

function renderPatient() {
  $("patient-name").textContent = patient.full_name;
  $("patient-meta").textContent = [patient.record_number, `born ${patient.date_of_birth}`, patient.phone].filter(Boolean).join(" · ");
  const visits = patient.appointments.filter((a) => a.day === today());
  $("patient-today").replaceChildren(...(visits.length ? visits.map(visitItem)
    : [el("li", { class: "list-group-item text-body-secondary small" }, "No visit today.")]));
}

async function checkIn(visit) {
  await api(`/api/tickets/${visit.ticket_id}/check-in`, { method: "POST" });
  toast(`${visit.token} checked in`);
  await refreshPatient();
}

// ---- walk-ins and emergencies ----

function fillDoctors() {
  const departmentId = Number($("visit-department").value);
  $("visit-doctor").replaceChildren(el("option", { value: "" }, "Any doctor"),
    ...doctors.filter((d) => d.department_id === departmentId).map((d) => el("option", { value: d.id }, d.name)));
}
$("visit-department").replaceChildren(...options(departments, shownDepartment));
$("visit-department").addEventListener("change", fillDoctors);
fillDoctors();

function visitBody(withUrgency) {
  const fields = formData($("visit-form"));
  const body = { patient_id: patient.id, department_id: Number(fields.department_id), reason: fields.reason || "" };
  if (fields.doctor_id) body.doctor_id = Number(fields.doctor_id);
  if (withUrgency) body.urgency = fields.urgency;
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
    toast(`Walk-in registered: ${ticket.token}`);
    await refreshPatient();
  });
});

$("insert-emergency").addEventListener("click", (event) => {
  act(event.currentTarget, async () => {
    const ticket = await api("/api/emergencies", { method: "POST", body: visitBody(false) });
    showToken(ticket, true);
    toast(`Emergency ${ticket.token} is at the head of the queue`, "danger");
    await refreshPatient();
  });
});

// ---- vitals ----

const vitalsModal = new window.bootstrap.Modal($("vitals-modal"));

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
    problems.length ? el("ul", { class: "mb-0 ps-3" }, problems.map(([field, text]) => el("li", {}, `${label(field)}: ${text}`))) : null);
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
    toast("Vitals saved");
  });
});

setInterval(() => {
  for (const cell of document.querySelectorAll("[data-since]")) cell.textContent = waited(cell.dataset.since);
}, 30000);

watchDepartments("/desk", {}, (departmentId, data) => {
  snapshots.set(departmentId, data);
  if (departmentId === shownDepartment) renderQueues();
}, $("live-status"));
