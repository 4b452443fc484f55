// Priority categories on the staff screens: the badge in queue rows, the picker at check-in.
// Boards and phones get only the neutral `priority` marker, never a category's name.
import { api } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

let categories = [];

/** A staff badge naming the ticket's priority category (nothing for a ticket without one). */
export function priorityBadge(ticket) {
  const category = ticket.priority_category;
  if (!category) return null;
  return el("span", { class: "badge text-bg-primary ms-1 priority-category", title: t("Priority category") }, category.name);
}

/** Read the categories the desk may choose; the desk works on without them. */
export async function loadCategories() {
  const found = await api("/api/priority-categories").catch(() => null);
  categories = found?.categories || [];
  return categories;
}

// The category chosen per ticket: the rows are redrawn on every live update, the choice stays.
const chosen = new Map();

/** A picker of the priority category a patient checks in with (null when none is defined). */
export function priorityPicker(ticketId) {
  if (!categories.length) return null;
  const remember = (event) => {
    if (event.target.value) chosen.set(ticketId, Number(event.target.value));
    else chosen.delete(ticketId);
  };
  return el("select", {
    class: "form-select form-select-sm w-auto priority-picker",
    "aria-label": t("Priority category at check-in"),
    dataset: { priorityFor: ticketId },
    onchange: remember,
  }, el("option", { value: "" }, t("No priority")),
  ...categories.map((c) => el("option", { value: c.id, selected: c.id === chosen.get(ticketId) }, c.name)));
}

/** The check-in body: the category chosen for this ticket, if any. */
export function checkInBody(ticketId) {
  const id = chosen.get(ticketId);
  return id ? { priority_category_id: id } : {};
}

/** Fill the walk-in form's category picker; it stays hidden while no category is defined. */
export function fillPriorityField(select, box) {
  select.replaceChildren(el("option", { value: "" }, t("No priority")),
    ...categories.map((c) => el("option", { value: c.id }, c.name)));
  box.hidden = categories.length === 0;
}
