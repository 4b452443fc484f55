// The admin page's "Doctors today": each doctor's session of the day, running late, leaving early.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { options } from "./pickers.js";
import { presenceButton, sessionButtons, sessionState } from "./sessions.js";
import { clockTime } from "./time.js";

function sessionRow(session) {
  return el("tr", { dataset: { sessionId: session.id, doctorId: session.doctor_id } },
    el("td", {}, el("div", { class: "fw-semibold" }, session.doctor_name),
      el("div", { class: "text-body-secondary" }, `${clockTime(session.starts_at)}–${clockTime(session.ends_at)}`,
        sessionState(session) ? el("span", { class: "badge text-bg-warning ms-1 session-state" }, sessionState(session)) : null)),
    el("td", { class: "text-end" }, el("div", { class: "d-flex gap-1 justify-content-end flex-wrap" }, presenceButton(session, load), sessionButtons(session, load))));
}

let asked = 0;

async function load() {
  const mine = ++asked;
  const { sessions } = await api(`/api/departments/${$("sessions-department").value}/day`);
  if (mine !== asked) return; // another department was chosen meanwhile
  $("session-rows").replaceChildren(...sessions.map(sessionRow));
  $("sessions-empty").hidden = sessions.length > 0;
}

// admin.js logs the user in and gates the page; this part only starts for an admin.
const me = await api("/api/auth/me").catch(() => null);
if (me?.role === "admin") {
  const { departments } = await api("/api/departments");
  $("sessions-department").replaceChildren(...options(departments));
  $("sessions-department").addEventListener("change", load);
  await load();
}
