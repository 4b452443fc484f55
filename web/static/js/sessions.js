// Running late and leaving early: the buttons of a doctor's session of the day, used by the
// desk and the admin page (POST /api/admin/sessions/<id>/delay and …/close).
import { api, toast } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { clockTime, hhmm } from "./time.js";

let dialog = null;

function field(id, label, input) {
  return el("div", { class: "col-12" }, el("label", { class: "form-label small", for: id }, label), input);
}

/** Build the one dialog both actions share, once, at the end of the page. */
function build() {
  const error = el("div", { class: "alert alert-danger py-2 small mb-0", role: "alert", id: "session-error", hidden: true });
  const body = el("div", { class: "modal-body row g-2" });
  const title = el("h2", { class: "modal-title h5", id: "session-title" });
  const submit = el("button", { type: "submit", class: "btn btn-primary", id: "session-submit" }, t("Save"));
  const form = el("form", { class: "modal-content", id: "session-form", novalidate: true },
    el("div", { class: "modal-header" }, title,
      el("button", { type: "button", class: "btn-close", "data-bs-dismiss": "modal", "aria-label": t("Close") })),
    body,
    el("div", { class: "modal-footer" },
      el("button", { type: "button", class: "btn btn-outline-secondary", "data-bs-dismiss": "modal" }, t("Cancel")), submit));
  const root = el("div", { class: "modal fade", id: "session-modal", tabindex: "-1", "aria-labelledby": "session-title", "aria-hidden": "true" },
    el("div", { class: "modal-dialog" }, form));
  document.body.append(root);
  const modal = new window.bootstrap.Modal(root);
  let submitHandler = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await submitHandler();
      modal.hide();
    } catch (problem) {
      error.textContent = problem.message || String(problem);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return {
    open(heading, fields, onSubmit) {
      title.textContent = heading;
      error.hidden = true;
      body.replaceChildren(...fields, el("div", { class: "col-12" }, error));
      submitHandler = onSubmit;
      modal.show();
    },
  };
}

/** Today's local time "HH:MM" as an aware ISO time (the API stores UTC). */
function todayAt(hhmm) {
  const [hours, minutes] = hhmm.split(":").map(Number);
  const moment = new Date();
  moment.setHours(hours, minutes, 0, 0);
  return moment.toISOString();
}

function runningLate(session, onDone) {
  const minutes = el("input", {
    class: "form-control", id: "session-minutes", type: "number", min: "0", max: "600", step: "5",
    value: String(session.delay_minutes || 15), required: true, inputmode: "numeric",
  });
  dialog.open(t("{doctor} is running late", { doctor: session.doctor_name }), [
    field("session-minutes", t("Starts how many minutes late? (0 clears it)"), minutes),
  ], async () => {
    const answer = await api(`/api/admin/sessions/${session.id}/delay`, {
      method: "POST", body: { delay_minutes: Number(minutes.value) },
    });
    toast(answer.delay_minutes ? t("{doctor}: {n} min late", { doctor: session.doctor_name, n: answer.delay_minutes })
      : t("{doctor} is on time", { doctor: session.doctor_name }));
    await onDone();
  });
}

function leavingEarly(session, onDone) {
  // Offer the next quarter hour: a time in the past is refused, and "now" is by the time it arrives.
  const soon = new Date(Math.ceil((Date.now() + 60000) / 900000) * 900000);
  const at = el("input", { class: "form-control", id: "session-leave-at", type: "time", value: hhmm(soon), required: true });
  const reason = el("input", { class: "form-control", id: "session-reason", maxlength: "500", value: t("leaving early"), required: true });
  dialog.open(t("{doctor} leaves early", { doctor: session.doctor_name }), [
    field("session-leave-at", t("Leaves at"), at),
    field("session-reason", t("Reason"), reason),
    el("p", { class: "small text-body-secondary mb-0" }, t("Their later bookings go to the department's other doctors.")),
  ], async () => {
    const answer = await api(`/api/admin/sessions/${session.id}/close`, {
      method: "POST", body: { at: todayAt(at.value), reason: reason.value.trim() },
    });
    toast(t("{doctor} leaves at {time}; {n} bookings shared", {
      doctor: session.doctor_name, time: clockTime(answer.closed_early_at), n: answer.moved_ticket_ids.length,
    }));
    await onDone();
  });
}

/** What a session's state is, in a few words: "20 min late", "leaves 14:00". */
export function sessionState(session) {
  const parts = [];
  if (!session.doctor_has_login) parts.push(session.desk_open ? t("desk open") : t("desk closed"));
  if (session.delay_minutes) parts.push(t("{n} min late", { n: session.delay_minutes }));
  if (session.closed_early_at) parts.push(t("leaves {time}", { time: clockTime(session.closed_early_at) }));
  return parts.join(" · ");
}

/** The "Running late" and "Leaving early" buttons of one session; onDone runs after a change. */
export function sessionButtons(session, onDone) {
  dialog = dialog || build();
  const ended = Date.parse(session.closed_early_at || session.ends_at) <= Date.now();
  return [
    el("button", {
      type: "button", class: "btn btn-sm btn-outline-warning", dataset: { action: "late", sessionId: session.id },
      title: t("Record that this doctor starts late"), disabled: ended, onclick: () => runningLate(session, onDone),
    }, t("Running late")),
    el("button", {
      type: "button", class: "btn btn-sm btn-outline-secondary", dataset: { action: "leave", sessionId: session.id },
      title: t("Record that this doctor leaves before the session ends"), disabled: ended, onclick: () => leavingEarly(session, onDone),
    }, t("Leaving early")),
  ];
}

/**
 * "Open desk" / "Close desk" for a doctor without a login (one with a login opens their desk
 * from the console): the plan counts only the doctors whose desk is open.
 */
export function presenceButton(session, onDone) {
  if (session.doctor_has_login) return null;
  const opening = !session.desk_open;
  return el("button", {
    type: "button", class: `btn btn-sm ${opening ? "btn-outline-success" : "btn-outline-dark"}`,
    dataset: { action: "desk", doctorId: session.doctor_id },
    title: opening ? t("The doctor is at work: plan patients on them") : t("The doctor stepped away: plan their patients on others"),
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        await api(`/api/doctors/${session.doctor_id}/desk`, { method: "POST", body: { open: opening } });
        toast(opening ? t("{doctor}: desk open", { doctor: session.doctor_name }) : t("{doctor}: desk closed", { doctor: session.doctor_name }));
        await onDone();
      } catch (error) {
        toast(error.message, "danger");
      } finally {
        button.disabled = false;
      }
    },
  }, opening ? t("Open desk") : t("Close desk"));
}
