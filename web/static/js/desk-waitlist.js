// The desk adds the patient on the card to a waitlist: department, doctor and day of the visit
// form (docs/waitlist.md). desk.js puts the patient's id on the card.
import { act, api, toast } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";

const day = el("input", { type: "date", class: "form-control form-control-sm", id: "waitlist-day", "aria-label": t("Waitlist day (optional)") });
const button = el("button", { type: "button", class: "btn btn-outline-secondary btn-sm text-nowrap", id: "waitlist-for-patient" }, t("Add to waitlist"));
$("desk-waitlist").replaceChildren(
  el("div", { class: "input-group input-group-sm" },
    el("span", { class: "input-group-text" }, t("No free time?")), day, button),
  el("div", { class: "form-text" }, t("Without a day: any day in the next two weeks.")),
);

button.addEventListener("click", () => act(button, async () => {
  const patientId = Number($("patient-card").dataset.patientId);
  if (!patientId) return;
  const body = { patient_id: patientId, department_id: Number($("visit-department").value) };
  if ($("visit-doctor").value) body.doctor_id = Number($("visit-doctor").value);
  if (day.value) body.day = day.value;
  const entry = await api("/api/waitlist", { method: "POST", body });
  toast(t("On the waitlist until {day}", { day: entry.last_day }));
}));
