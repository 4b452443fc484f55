// "Join the waitlist" on /book when the chosen day has no free time (docs/waitlist.md).
import { act, api, toast } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";

const box = $("waitlist-join");
const empty = $("slots-empty");
const button = el("button", { type: "button", class: "btn btn-outline-primary btn-sm mt-2", id: "waitlist-join-button" },
  t("Join the waitlist for this day"));
const note = el("p", { class: "small text-body-secondary mt-1 mb-0", id: "waitlist-join-note", role: "status" });
box.replaceChildren(button, note);

// Shown exactly when book.js says the day is full; a new choice of day clears the note.
function sync() {
  box.hidden = empty.hidden;
  if (empty.hidden) note.textContent = "";
}
new MutationObserver(sync).observe(empty, { attributes: true, attributeFilter: ["hidden"] });
sync();

button.addEventListener("click", () => act(button, async () => {
  const body = { department_id: Number($("book-department").value), day: $("book-day").value };
  if ($("book-doctor").value) body.doctor_id = Number($("book-doctor").value);
  await api("/api/waitlist", { method: "POST", body });
  note.textContent = t("You are on the waitlist: we will send you a message with a link when a place frees up.");
  toast(t("Added to the waitlist"));
}));
