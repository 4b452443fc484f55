// The administration page: API links, new boards and users, and a first queue chart.
import { act, api, el, formData, requireRole, toast } from "./api.js";

const $ = (id) => document.getElementById(id);
const STATUSES = [
  ["waiting", "Waiting", "#0dcaf0"],
  ["called", "Called", "#0d6efd"],
  ["in_consultation", "In consultation", "#198754"],
];
const REFRESH_MS = 30000;

await requireRole(["admin"]);
const { departments } = await api("/api/departments");
$("admin").hidden = false;

$("display-department").replaceChildren(el("option", { value: "" }, "All departments"),
  ...departments.map((d) => el("option", { value: d.id }, d.name)));

const chart = new window.Chart($("dash-chart"), {
  type: "bar",
  data: { labels: [], datasets: STATUSES.map(([, label, color]) => ({ label, data: [], backgroundColor: color })) },
  options: {
    responsive: true, maintainAspectRatio: false, animation: false,
    scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    plugins: { legend: { position: "bottom" } },
  },
});

/** Count a department's live tickets per status, from its queue snapshot. */
function counts(snapshot) {
  const out = { emergency: 0 };
  for (const [status] of STATUSES) out[status] = 0;
  for (const ticket of snapshot.tickets) {
    out[ticket.status] = (out[ticket.status] || 0) + 1;
    if (ticket.urgency === "emergency") out.emergency += 1;
  }
  return out;
}

async function refresh() {
  const snapshots = await Promise.all(departments.map((d) => api(`/api/departments/${d.id}/queue`)));
  const rows = snapshots.map((s) => ({ name: s.department.name, ...counts(s) }));
  chart.data.labels = rows.map((r) => r.name);
  STATUSES.forEach(([status], i) => { chart.data.datasets[i].data = rows.map((r) => r[status]); });
  chart.update();
  $("dash-rows").replaceChildren(...rows.map((r) => el("tr", {},
    el("td", {}, r.name), ...[...STATUSES.map(([s]) => r[s]), r.emergency].map((n) => el("td", { class: "text-end" }, String(n))))));
  $("dash-updated").textContent = `updated ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}`;
}

$("dash-refresh").addEventListener("click", (event) => act(event.currentTarget, refresh));

$("display-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const fields = formData(event.target);
  const body = { name: fields.name || "", language: fields.language || "en", speech: $("display-speech").checked };
  if (fields.department_id) body.department_id = Number(fields.department_id);
  act(event.submitter, async () => {
    const display = await api("/api/admin/displays", { method: "POST", body });
    const url = new URL(display.url, location.href);
    $("display-created").replaceChildren(
      el("div", { class: "fw-semibold" }, `Board “${display.name}” created. Its key is shown only once:`),
      el("code", { id: "display-key" }, display.key),
      el("div", { class: "mt-1" }, "Open on the TV: ", el("a", { href: url.pathname + url.search, id: "display-url" }, url.pathname + url.search)));
    $("display-created").hidden = false;
    event.target.name.value = "";
  });
});

$("user-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act(event.submitter, async () => {
    const user = await api("/api/admin/users", { method: "POST", body: formData(event.target) });
    event.target.reset();
    toast(`User ${user.username} (${user.role}) created`);
  });
});

await act(null, refresh);
setInterval(() => refresh().catch(() => null), REFRESH_MS);
