// The pickers of departments and doctors on the desk, booking and admin screens.
import { el } from "./dom.js";
import { t } from "./i18n.js";

/** One option per department (or anything with an id and a name), `selected` chosen. */
export function options(items, selected) {
  return items.map((d) => el("option", { value: d.id, selected: d.id === selected }, d.name));
}

/** Fill a doctor picker: "Any doctor", then the doctors of the department. */
export function fillDoctors(select, doctors, departmentId) {
  select.replaceChildren(el("option", { value: "" }, t("Any doctor")),
    ...options(doctors.filter((d) => d.department_id === departmentId)));
}
