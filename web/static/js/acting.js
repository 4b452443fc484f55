// Whom a patient's login acts for: their own record or a dependant's (a parent books for a child).
// Shared by the booking page and the visits page; the choice lasts for the browser tab.
import { api } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

const KEY = "clinic.acting";

/** The patients this login may act for: its own record first, then its dependants. */
export async function loadPeople() {
  const { patients } = await api("/api/me/patients");
  return patients;
}

/** The patient chosen last in this tab, if the login still acts for them; else its own. */
export function actingId(people) {
  const stored = Number(sessionStorage.getItem(KEY));
  return people.some((p) => p.id === stored) ? stored : people[0]?.id;
}

/** Remember whom the pages act for. */
export function setActing(id) {
  sessionStorage.setItem(KEY, String(id));
}

/** Fill the "for whom" picker; `onChange(id)` runs when the patient switches. */
export function fillActing(select, people, onChange) {
  const current = actingId(people);
  select.replaceChildren(...people.map((p) => el("option", { value: p.id, selected: p.id === current },
    p.self ? t("{name} (me)", { name: p.full_name }) : p.full_name)));
  select.onchange = () => {
    setActing(select.value);
    onChange(Number(select.value));
  };
  return current;
}
