// The admin page's priority categories: add, edit, deactivate; and the waits per category.
import { act, api, formData, toast } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";

const REFRESH_MS = 60000;

function numberInput(value, min, max, label, placeholder = "") {
  return el("input", {
    class: "form-control form-control-sm", type: "number", min, max, step: 1,
    value: value ?? "", placeholder, "aria-label": label, style: "width: 6rem", // i18n-ignore: a style
  });
}

function categoryRow(category) {
  const name = el("input", { class: "form-control form-control-sm", value: category.name, maxlength: 60, "aria-label": t("Name of {name}", { name: category.name }) });
  const weight = numberInput(category.weight, 1, 10, t("Weight of {name}", { name: category.name }));
  const maxWait = numberInput(category.max_wait_min, 1, 720, t("Maximum wait of {name}", { name: category.name }), t("none"));
  const save = el("button", {
    class: "btn btn-sm btn-outline-primary", type: "button",
    onclick: (event) => act(event.currentTarget, async () => {
      await api(`/api/admin/priority-categories/${category.id}`, {
        method: "PATCH",
        body: { name: name.value.trim(), weight: Number(weight.value), max_wait_min: maxWait.value ? Number(maxWait.value) : null },
      });
      toast(t("{name} saved", { name: name.value.trim() }));
      await load();
    }),
  }, t("Save"));
  const toggle = el("button", {
    class: `btn btn-sm ${category.active ? "btn-outline-danger" : "btn-outline-success"}`, type: "button",
    onclick: (event) => act(event.currentTarget, async () => {
      await api(`/api/admin/priority-categories/${category.id}`, { method: "PATCH", body: { active: !category.active } });
      await load();
    }),
  }, category.active ? t("Deactivate") : t("Reactivate"));
  return el("tr", { class: category.active ? undefined : "text-body-secondary", dataset: { categoryId: category.id } },
    el("td", {}, name, category.active ? null : el("span", { class: "badge text-bg-light border mt-1" }, t("not offered"))),
    el("td", {}, weight),
    el("td", {}, maxWait),
    el("td", { class: "text-end" }, el("div", { class: "d-flex gap-1 justify-content-end" }, save, toggle)));
}

async function load() {
  const { categories } = await api("/api/admin/priority-categories");
  $("priority-rows").replaceChildren(...categories.map(categoryRow));
  $("priority-empty").hidden = categories.length > 0;
  await loadWaits();
}

const spread = (s) => (s.median === null ? "–" : `${s.median} / ${s.p90}`);

/** The dashboard's waits per category, for the days and department its filters show. */
async function loadWaits() {
  const query = new URLSearchParams();
  if ($("dash-day")?.value) query.set("from", $("dash-day").value);
  if ($("dash-to")?.value) query.set("to", $("dash-to").value);
  if ($("dash-department")?.value) query.set("department_id", $("dash-department").value);
  const data = await api(`/api/admin/dashboard?${query}`).catch(() => null);
  if (!data) return;
  $("priority-wait-rows").replaceChildren(...data.categories.map((row) => el("tr", { dataset: { categoryId: row.id ?? "" } },
    el("td", {}, row.id === null ? t("No priority category") : row.name),
    el("td", { class: "text-end" }, String(row.tickets)),
    el("td", { class: "text-end" }, spread(row.wait_min)),
    el("td", { class: "text-end" }, row.max_wait_min === null ? "–" : String(row.over_max_wait)))));
}

$("priority-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act(event.submitter, async () => {
    const fields = formData(event.target);
    const body = { name: fields.name || "", weight: Number(fields.weight || 2) };
    body.max_wait_min = fields.max_wait_min ? Number(fields.max_wait_min) : null;
    const created = await api("/api/admin/priority-categories", { method: "POST", body });
    event.target.reset();
    toast(t("{name} added", { name: created.name }));
    await load();
  });
});

// admin.js logs the user in and gates the page; this part only starts for an admin.
const me = await api("/api/auth/me").catch(() => null);
if (me?.role === "admin") {
  $("dash-filters")?.addEventListener("change", loadWaits);
  $("dash-refresh")?.addEventListener("click", loadWaits);
  setInterval(loadWaits, REFRESH_MS);
  await load();
}
