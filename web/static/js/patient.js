// The patient's phone page: one ticket, live (token, status, position, wait, room).
import { EventKind } from "/static/generated/server.js";
import { selfCheckIn } from "./checkin-phone.js";
import { $ } from "./dom.js";
import { errorText, t } from "./i18n.js";
import { connect } from "./live.js";
import { clockTime } from "./time.js";

const body = document.body;
const auth = body.dataset.link
  ? { link: body.dataset.link }
  : { ticket_id: Number(body.dataset.ticket) };
const card = $("card");
const drawCheckIn = selfCheckIn(auth);
let lastStatus = null;

const HEADLINES = {
  booked: t("Booked: check in at the desk when you arrive"),
  waiting: t("You are in the queue"),
  called: t("It is your turn"),
  in_consultation: t("You are with the doctor"),
  completed: t("Your visit is complete"),
  skipped: t("You were called but not found: please see the desk"),
  no_show: t("You were called but not found: please see the desk"),
  cancelled: t("This appointment was cancelled"),
};

// Events after which the server draws another page: the appointment block has moved.
const REDRAWN = new Set([EventKind.RESCHEDULED, EventKind.TRANSFERRED]);

function minutes(value) {
  if (value === null || value === undefined) return "";
  const rounded = Math.max(0, Math.round(value));
  return rounded < 1 ? t("any moment now") : t("about {n} min", { n: rounded });
}

// Why more patients are ahead than the last time (server/scheduling/planning.py).
const REASONS = {
  emergency_ahead: t("An emergency was taken before you"),
  returning_ahead: t("A patient who had been called came back before you"),
  urgent_ahead: t("An urgent patient was taken before you"),
  priority_ahead: t("A patient with priority was taken before you"),
  doctor_away: t("Your doctor is not at their desk: another doctor will see you"),
  replanned: t("The queue was re-planned"),
};

function detail(ticket) {
  if (ticket.status === "called") return ticket.room ? t("Go to {room} now", { room: ticket.room }) : t("Go to the desk now");
  if (ticket.status === "in_consultation" && ticket.room) return ticket.room;
  if (ticket.status !== "waiting" || ticket.ahead === null || ticket.ahead === undefined) return "";
  // "Ahead": how many the doctor you are planned on calls before you (docs/architecture.md).
  const ahead = ticket.ahead > 0 ? t("{n} ahead of you", { n: ticket.ahead }) : t("You are next");
  const wait = minutes(ticket.wait_min);
  const at = clockTime(ticket.eta, "");
  const when = !wait ? "" : at ? ` · ${t("wait {wait} (about {at})", { wait, at })}` : ` · ${t("wait {wait}", { wait })}`;
  const why = REASONS[ticket.moved_reason];
  return ahead + when + (why ? ` · ${why}` : "");
}

// The appointment block (time, doctor, room) is drawn by the server; a move redraws it.
const FINISHED = ["completed", "cancelled", "no_show", "skipped"];

function drawVisit(status) {
  const visit = $("visit");
  if (!visit) return;
  visit.hidden = FINISHED.includes(status);
  $("visit-hint").hidden = status !== "booked";
}

function draw(_room, data, events) {
  if (events.some((e) => REDRAWN.has(e.kind))) {
    window.location.reload();
    return;
  }
  const ticket = data.ticket;
  drawVisit(ticket.status);
  drawCheckIn(data);
  $("department").textContent = data.department.name;
  $("token").textContent = ticket.token;
  $("headline").textContent = HEADLINES[ticket.status] || ticket.status;
  $("detail").textContent = detail(ticket);
  const called = ticket.status === "called";
  card.classList.toggle("called", called);
  card.classList.toggle("text-white", called);
  alertCall(ticket, events);
  if (called && lastStatus !== "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
  lastStatus = ticket.status;
  document.title = `${ticket.token} · ${HEADLINES[ticket.status] || ticket.status}`;
}

/**
 * Say "It is your turn · Go to Room 1 now" assertively when the patient is called (or called
 * again); the card's polite region stays quiet meanwhile so that it is not said twice.
 */
function alertCall(ticket, events) {
  const called = ticket.status === "called";
  const again = events.some((e) => e.kind === EventKind.RECALLED);
  card.setAttribute("aria-live", called ? "off" : "polite");
  if (called && (lastStatus !== "called" || again)) {
    const line = document.createElement("p");
    line.textContent = `${$("headline").textContent} · ${$("detail").textContent}`;
    $("call-alert").replaceChildren(line);
  } else if (!called) {
    $("call-alert").replaceChildren();
  }
}

function status(state, info) {
  $("offline").hidden = state !== "offline";
  const refused = $("refused");
  refused.hidden = state !== "refused";
  if (state === "refused") refused.textContent = errorText(info.code, info.message);
}

connect({ namespace: "/patient", auth, onState: draw, onStatus: status });
