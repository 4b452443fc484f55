// The rows of a waiting list, shared by the doctor console and the desk.
import { el } from "./dom.js";
import { priorityBadge } from "./priority.js";
import { waited } from "./time.js";

/** A ticket's row; an emergency's stands out. `cells` are the screen's own columns. */
export function queueRow(ticket, ...cells) {
  return el("tr", {
    class: ticket.urgency === "emergency" ? "table-danger" : undefined,
    dataset: { ticketId: ticket.ticket_id, token: ticket.token, urgency: ticket.urgency },
  }, ...cells);
}

/** The token, in the monospace the boards and tickets use; `extra` goes below it. */
export function tokenCell(ticket, ...extra) {
  return el("td", { class: "fw-semibold font-monospace" }, ticket.token, ...extra);
}

/** The patient's name (then their priority category and `extra`) and record number. */
export function patientCell(ticket, ...extra) {
  return el("td", {}, ticket.patient?.name || "", priorityBadge(ticket), ...extra,
    el("div", { class: "small text-body-secondary" }, ticket.patient?.record_number || ""));
}

/** How long the patient has waited since they arrived; time.keepWaitedCurrent moves it on. */
export function waitedCell(ticket, className = "text-nowrap") {
  return el("td", { class: className, dataset: { since: ticket.arrived_at || "" } }, waited(ticket.arrived_at));
}
