// A patient's visits (or a dependant's): upcoming and past, move or cancel one, how to be told.
import { act, api, requireRole, statusBadge, toast } from "./api.js";
import { fillActing, loadPeople, setActing } from "./acting.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { clockTime, localDay } from "./time.js";

const UPCOMING = ["booked", "waiting", "called", "in_consultation"];
const FOLLOWABLE = ["booked", "waiting", "called", "in_consultation"];

await requireRole(["patient"]);
const [{ departments }, { doctors }] = await Promise.all([api("/api/departments"), api("/api/doctors")]);
const doctorName = (id) => doctors.find((d) => d.id === id)?.name || "";
const departmentName = (id) => departments.find((d) => d.id === id)?.name || "";
let people = await loadPeople();
let acting = fillActing($("acting"), people, switchTo);
let moving = null;
$("visits").hidden = false;

/** The patient's live page on this site (the API's link names the configured public host). */
function followHref(link) {
  const url = new URL(link, location.href);
  return url.pathname + url.search;
}

function person() {
  return people.find((p) => p.id === acting);
}

function when(a) {
  return a.scheduled_at ? `${new Date(a.scheduled_at).toLocaleDateString()} ${clockTime(a.scheduled_at)}` : a.day;
}

function visitItem(a) {
  const actions = [];
  if (FOLLOWABLE.includes(a.status)) {
    actions.push(el("a", { class: "btn btn-sm btn-outline-success", href: followHref(a.live_link) }, t("Follow")));
  }
  if (a.status === "booked") {
    actions.push(el("button", { class: "btn btn-sm btn-outline-primary", type: "button", onclick: () => openMove(a) }, t("Move")));
    actions.push(el("button", {
      class: "btn btn-sm btn-outline-danger", type: "button",
      onclick: (event) => act(event.currentTarget, async () => {
        await api(`/api/appointments/${a.appointment_id}/cancel`, { method: "POST", body: { reason: "cancelled by the patient" } }); // i18n-ignore: the audit's reason
        toast(t("{token} cancelled", { token: a.token }));
        await loadVisits();
      }),
    }, t("Cancel")));
  }
  const where = [departmentName(a.department_id), doctorName(a.doctor_id)].filter(Boolean).join(" · ");
  return el("li", { class: "list-group-item", dataset: { appointmentId: a.appointment_id } },
    el("div", { class: "d-flex align-items-center gap-2 flex-wrap" },
      el("span", { class: "font-monospace fw-semibold" }, a.token), statusBadge(a.status),
      el("span", { class: "ms-auto d-flex gap-1" }, actions)),
    el("div", { class: "small text-body-secondary mt-1" }, `${when(a)} · ${where}`));
}

function empty(text) {
  return el("li", { class: "list-group-item text-body-secondary" }, text);
}

async function loadVisits() {
  const { appointments } = await api(`/api/appointments?patient_id=${acting}`);
  const today = localDay();
  const upcoming = appointments.filter((a) => UPCOMING.includes(a.status) && a.day >= today)
    .sort((a, b) => (a.scheduled_at || a.day).localeCompare(b.scheduled_at || b.day));
  const past = appointments.filter((a) => !upcoming.includes(a));
  $("upcoming").replaceChildren(...(upcoming.length ? upcoming.map(visitItem) : [empty(t("No upcoming visits."))]));
  $("past").replaceChildren(...(past.length ? past.map(visitItem) : [empty(t("No past visits."))]));
  $("upcoming").setAttribute("aria-busy", "false");
}

function showPreferences() {
  const p = person();
  $("visits-title").textContent = p.self ? t("My visits") : t("Visits of {name}", { name: p.full_name });
  const form = $("prefs-form");
  for (const radio of form.elements.contact_preference) radio.checked = radio.value === p.contact_preference;
  $("pref-sms").disabled = !p.phone;
  $("pref-email").disabled = !p.email;
  $("pref-phone").textContent = p.phone || t("(no phone on the record)");
  $("pref-address").textContent = p.email || t("(no e-mail on the record)");
  $("pref-language").value = p.language;
}

async function switchTo(id) {
  acting = id;
  closeMove();
  showPreferences();
  await loadVisits();
}

async function loadMoveSlots() {
  const query = new URLSearchParams({ department_id: moving.department_id, date: $("move-day").value });
  const { slots } = await api(`/api/slots?${query}`);
  const choices = slots.filter((s) => s.id !== moving.slot_id);
  $("move-slots").replaceChildren(...choices.map((slot) => el("button", {
    type: "button", class: "btn btn-outline-primary", role: "radio", "aria-checked": "false",
    dataset: { slotId: slot.id },
    onclick: (event) => act(event.currentTarget, async () => {
      const moved = await api(`/api/appointments/${moving.appointment_id}/reschedule`, { method: "POST", body: { slot_id: slot.id } });
      toast(t("Moved to {time}: token {token}", { time: `${new Date(moved.scheduled_at).toLocaleDateString()} ${clockTime(moved.scheduled_at)}`, token: moved.token }));
      closeMove();
      await loadVisits();
    }),
  }, el("div", { class: "fw-semibold" }, clockTime(slot.starts_at)),
  el("div", { class: "small text-truncate" }, doctorName(slot.doctor_id)))));
  $("move-empty").hidden = choices.length > 0;
}

function openMove(a) {
  moving = a;
  $("move-title").textContent = t("Move {token} ({when}) to another free time", { token: a.token, when: when(a) });
  $("move-day").min = localDay();
  $("move-day").value = a.day < localDay() ? localDay() : a.day;
  $("move").hidden = false;
  $("move").scrollIntoView({ block: "nearest" });
  return act(null, loadMoveSlots);
}

function closeMove() {
  moving = null;
  $("move").hidden = true;
}

$("move-day").addEventListener("change", () => act(null, loadMoveSlots));
$("move-close").addEventListener("click", closeMove);

$("prefs-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  act($("prefs-submit"), async () => {
    const updated = await api(`/api/me/patients/${acting}`, {
      method: "PATCH",
      body: { contact_preference: form.elements.contact_preference.value || null, language: $("pref-language").value },
    });
    people = people.map((p) => (p.id === updated.id ? updated : p));
    toast(t("Saved"));
  });
});

$("dependant-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act($("dependant-submit"), async () => {
    const added = await api("/api/me/dependants", {
      method: "POST",
      body: { full_name: $("dependant-name").value.trim(), date_of_birth: $("dependant-born").value },
    });
    $("dependant-form").reset();
    people = await loadPeople();
    setActing(added.id);
    acting = fillActing($("acting"), people, switchTo);
    toast(t("{name} added", { name: added.full_name }));
    await switchTo(added.id);
  });
});

showPreferences();
await loadVisits();
