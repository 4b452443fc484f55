// The admin page's weekly rotas: templates, closures and leave, each change previewed first.
import { act, api, formData, statusBadge, toast } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { options } from "./pickers.js";
import { clockTime } from "./time.js";

const WEEKDAYS = [t("Monday"), t("Tuesday"), t("Wednesday"), t("Thursday"), t("Friday"), t("Saturday"), t("Sunday")];
const BASE = "/api/admin/rotas";
const NUMBERS = ["weekday", "doctor_id", "slot_minutes", "capacity_per_slot", "overbook_cap"];

let doctors = [];
// The change waiting for the admin's confirmation: how to send it once the bookings are known.
let pending = null;

function doctorName(id) {
  return doctors.find((d) => d.id === id)?.name ?? `#${id}`;
}

function dayText(iso) {
  return iso ? new Date(`${iso}T00:00:00`).toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" }) : "";
}

function range(from, to) {
  return from === to ? dayText(from) : `${dayText(from)} – ${dayText(to)}`;
}

function typed(form) {
  const body = formData(form);
  for (const key of NUMBERS) if (key in body) body[key] = Number(body[key]);
  return body;
}

function templateRow(template) {
  const end = el("button", { type: "button", class: "btn btn-sm btn-outline-danger" }, t("End"));
  end.addEventListener("click", () => act(end, () => preview({
    title: t("End the template of {doctor} on {weekday}s", { doctor: doctorName(template.doctor_id), weekday: t(WEEKDAYS[template.weekday]) }),
    previewPath: `${BASE}/templates/${template.id}/preview`,
    path: `${BASE}/templates/${template.id}`,
    method: "PATCH",
    body: { active: false },
    done: t("Template ended"),
  })));
  const valid = template.valid_to ? range(template.valid_from, template.valid_to) : t("from {day}", { day: dayText(template.valid_from) });
  return el("tr", { class: template.active ? null : "text-body-secondary", dataset: { templateId: template.id } },
    el("td", {}, doctorName(template.doctor_id)),
    el("td", {}, t(WEEKDAYS[template.weekday])),
    el("td", {}, `${template.start_time}–${template.end_time}`),
    el("td", {}, t("{minutes} min × {capacity}", { minutes: template.slot_minutes, capacity: template.capacity_per_slot })),
    el("td", {}, template.active ? valid : t("ended")),
    el("td", { class: "text-end" }, template.active ? end : null));
}

function awayItem(item, kind) {
  const remove = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary" }, kind === "closures" ? t("Reopen") : t("Remove"));
  remove.addEventListener("click", () => act(remove, async () => {
    const result = await api(`${BASE}/${kind}/${item.id}`, { method: "DELETE" });
    toast(t("Removed; {n} session(s) created again", { n: result.created_session_ids.length }));
    await load();
  }));
  const who = item.doctor_id ? `${doctorName(item.doctor_id)}: ` : "";
  return el("li", { class: "list-group-item d-flex align-items-center gap-2 px-0" },
    el("span", { class: "me-auto" }, `${who}${range(item.starts_on, item.ends_on)}`,
      item.reason ? el("span", { class: "text-body-secondary" }, ` · ${item.reason}`) : null),
    remove);
}

async function load() {
  const rota = await api(BASE);
  $("rota-zone").textContent = t("Times in {zone}; {weeks} weeks ahead", { zone: rota.timezone, weeks: rota.weeks_ahead });
  $("rota-template-rows").replaceChildren(...rota.templates.map(templateRow));
  $("rota-closures").replaceChildren(...rota.closures.map((c) => awayItem(c, "closures")));
  $("rota-leave").replaceChildren(...rota.leave.map((l) => awayItem(l, "leave")));
}

function previewRows(sessions) {
  return sessions.flatMap((session) => {
    const when = `${dayText(session.starts_at.slice(0, 10))} ${clockTime(session.starts_at)}–${clockTime(session.ends_at)}`;
    if (session.bookings.length === 0) {
      return [el("tr", {}, el("td", {}, when), el("td", {}, session.doctor_name), el("td", { colspan: 3, class: "text-body-secondary" }, t("no bookings")))];
    }
    return session.bookings.map((b) => el("tr", { dataset: { appointmentId: b.appointment_id } },
      el("td", {}, when), el("td", {}, session.doctor_name),
      el("td", {}, `${b.token} ${clockTime(b.scheduled_at)}`), el("td", {}, b.patient_name), el("td", {}, statusBadge(b.status))));
  });
}

/** Ask the server which sessions and bookings a change touches, and show them to confirm. */
async function preview(change) {
  const found = await api(change.previewPath, { method: "POST", body: change.body });
  pending = { ...change, ids: found.appointment_ids };
  const count = found.appointment_ids.length;
  $("rota-preview-title").textContent = change.title;
  $("rota-preview-summary").textContent = count
    ? t("{sessions} session(s) will be removed and {n} booking(s) cancelled; each patient gets a message.", { sessions: found.sessions.length, n: count })
    : t("{sessions} session(s) will be removed; no booking is affected.", { sessions: found.sessions.length });
  $("rota-preview-rows").replaceChildren(...previewRows(found.sessions));
  $("rota-confirm").textContent = count ? t("Confirm and cancel {n} booking(s)", { n: count }) : t("Confirm");
  // With bookings to cancel, the admin may have each patient offered (and held) a new time.
  $("rota-offer-moves-row").hidden = !count;
  $("rota-offer-moves").checked = false;
  $("rota-preview").hidden = false;
  $("rota-preview").focus();
}

async function confirm() {
  if (!pending) return;
  const change = pending;
  const offerMoves = change.ids.length > 0 && $("rota-offer-moves").checked;
  const result = await api(change.path, {
    method: change.method,
    body: { ...change.body, confirm_appointment_ids: change.ids, offer_moves: offerMoves },
  });
  pending = null;
  $("rota-preview").hidden = true;
  const cancelled = result.cancelled_appointment_ids.length;
  toast(offerMoves
    ? t("{done}: {n} booking(s) cancelled, {offers} new time(s) offered", { done: change.done, n: cancelled, offers: result.move_offer_ids.length })
    : t("{done}: {n} booking(s) cancelled", { done: change.done, n: cancelled }));
  await load();
}

function awayForm(form, kind, title) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = typed(form);
    return act(form.querySelector("button[type=submit]"), () => preview({
      title: title(body),
      previewPath: `${BASE}/${kind}/preview`,
      path: `${BASE}/${kind}`,
      method: "POST",
      body,
      done: kind === "closures" ? t("Clinic closed") : t("Leave recorded"),
    }));
  });
}

// admin.js logs the user in and gates the page; this part only starts for an admin.
const me = await api("/api/auth/me").catch(() => null);
if (me?.role === "admin") {
  ({ doctors } = await api("/api/doctors"));
  $("rota-doctor").replaceChildren(...options(doctors));
  $("leave-doctor").replaceChildren(...options(doctors));
  $("rota-weekday").replaceChildren(...WEEKDAYS.map((name, i) => el("option", { value: i }, t(name))));
  $("rota-valid-from").value = new Date().toISOString().slice(0, 10);
  $("rota-template-form").addEventListener("submit", (event) => {
    event.preventDefault();
    return act(event.submitter, async () => {
      await api(`${BASE}/templates`, { method: "POST", body: typed(event.target) });
      toast(t("Template added; press “Create sessions now” or wait for tonight"));
      await load();
    });
  });
  awayForm($("rota-closure-form"), "closures", (b) => t("Close the clinic: {days}", { days: range(b.starts_on, b.ends_on) }));
  awayForm($("rota-leave-form"), "leave", (b) => t("Leave of {doctor}: {days}", { doctor: doctorName(b.doctor_id), days: range(b.starts_on, b.ends_on) }));
  $("rota-confirm").addEventListener("click", (event) => act(event.currentTarget, confirm));
  $("rota-dismiss").addEventListener("click", () => { pending = null; $("rota-preview").hidden = true; });
  $("rota-generate").addEventListener("click", (event) => act(event.currentTarget, async () => {
    const made = await api(`${BASE}/generate`, { method: "POST" });
    $("rota-status").textContent = t("{n} session(s) created, up to {day}", { n: made.created, day: dayText(made.through) });
  }));
  await load();
}
