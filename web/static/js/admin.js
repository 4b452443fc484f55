// The administration page: the performance dashboard, API links, new boards and users.
import { act, api, formData, requireRole, roleName, toast } from "./api.js";
import { $, el } from "./dom.js";
import { formatNumber, formatTime, t } from "./i18n.js";
import { options } from "./pickers.js";

// Every key of the dashboard's by_status, in the order of a ticket's life, with its colour.
const STATUSES = [
  ["booked", t("Booked"), "#adb5bd"],
  ["waiting", t("Waiting"), "#0dcaf0"],
  ["called", t("Called"), "#0d6efd"],
  ["in_consultation", t("In consultation"), "#198754"],
  ["completed", t("Completed"), "#20c997"],
  ["no_show", t("No-show"), "#dc3545"],
  ["skipped", t("Skipped"), "#fd7e14"],
  ["cancelled", t("Cancelled"), "#6c757d"],
  ["transferred", t("Transferred"), "#6f42c1"],
];
const REFRESH_MS = 60000;

await requireRole(["admin"]);
const { departments } = await api("/api/departments");
$("admin").hidden = false;

$("display-department").replaceChildren(el("option", { value: "" }, t("All departments")), ...options(departments));
$("dash-department").append(...options(departments));

const chartOptions = (extra = {}) => ({
  responsive: true, maintainAspectRatio: false, animation: false,
  scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
  plugins: { legend: { display: false } },
  ...extra,
});
const hoursChart = new window.Chart($("dash-hours"), {
  type: "bar",
  data: { labels: [], datasets: [{ label: t("Patients seen"), data: [], backgroundColor: "#198754" }] },
  options: chartOptions(),
});
const statusChart = new window.Chart($("dash-status"), {
  type: "bar",
  data: { labels: STATUSES.map(([, label]) => label), datasets: [{ label: t("Tickets"), data: [], backgroundColor: STATUSES.map(([, , c]) => c) }] },
  options: chartOptions({ indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }),
});

const minutes = (v) => (v === null || v === undefined ? "–" : t("{n} min", { n: v }));
const percent = (v) => (v === null || v === undefined ? "–" : formatNumber(v, { style: "percent", maximumFractionDigits: 0 }));
const pair = (a, b) => `${a} / ${b}`;
const spread = (s) => pair(minutes(s.median), minutes(s.p90));
const noShow = (n) => pair(percent(n.rate), percent(n.predicted));
const cell = (text) => el("td", { class: "text-end" }, typeof text === "number" ? formatNumber(text) : String(text));
const overtime = (c) => pair(minutes(c.overtime_mean_min), minutes(c.overtime_p90_min));
const hour = (h) => `${String(h).padStart(2, "0")}:00`;

// Until a day is picked the dashboard follows the clinic's today (its clock, not the browser's),
// so a page left open overnight moves on to the new day by itself.
let followToday = true;
let today = null;

function showCapacity(totals) {
  const c = totals.capacity;
  $("tile-use").textContent = percent(c.utilisation);
  $("tile-use-note").textContent = c.doctor_days
    ? t("{consulted} of {session} session min · idle {idle}", { consulted: c.consulted_min, session: c.session_min, idle: c.idle_min })
    : t("no session has started");
  $("tile-overtime").textContent = minutes(c.overtime_mean_min);
  $("tile-overtime-note").textContent = t("p90 {p90} · {n} doctor-days", { p90: minutes(c.overtime_p90_min), n: c.doctor_days });
}

function showTiles(totals, isToday) {
  const e = totals.emergencies;
  $("tile-seen").textContent = formatNumber(totals.by_status.completed);
  $("tile-seen-note").textContent = t("of {n} tickets", { n: totals.tickets });
  $("tile-waiting-label").textContent = isToday ? t("Waiting now") : t("Left waiting");
  $("tile-waiting").textContent = formatNumber(totals.by_status.waiting);
  $("tile-waiting-note").textContent = t("{n} emergencies", { n: e });
  $("tile-wait").textContent = minutes(totals.wait_min.median);
  $("tile-wait-note").textContent = t("p90 {p90} · {n} called", { p90: minutes(totals.wait_min.p90), n: totals.wait_min.count });
  const n = totals.no_shows;
  $("tile-noshow").textContent = percent(n.rate);
  $("tile-noshow-note").textContent = n.due
    ? t("predicted {predicted} · {missed} of {n} past bookings", { predicted: percent(n.predicted), missed: n.missed, n: n.due })
    : t("no booking's slot is over yet");
}

function showCharts(totals) {
  const busy = totals.seen_per_hour.flatMap((count, h) => (count ? [h] : []));
  // Office hours at least, widened to any hour someone was seen in.
  const first = Math.min(7, ...busy), last = Math.max(19, ...busy);
  const hours = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  hoursChart.data.labels = hours.map(hour);
  hoursChart.data.datasets[0].data = hours.map((h) => totals.seen_per_hour[h]);
  hoursChart.update();
  $("dash-hours-text").textContent = busy.length
    ? busy.map((h) => `${hour(h)}: ${totals.seen_per_hour[h]}`).join(", ")
    : t("Nobody seen yet.");
  statusChart.data.datasets[0].data = STATUSES.map(([key]) => totals.by_status[key]);
  statusChart.update();
  $("dash-status-text").textContent = STATUSES.map(([key, label]) => `${label}: ${totals.by_status[key]}`).join(", ");
}

function showTables(data) {
  const empty = (columns, text) => el("tr", {}, el("td", { colspan: columns, class: "text-body-secondary" }, text));
  $("dash-rows").replaceChildren(...data.departments.map((d) => el("tr", {},
    el("th", { scope: "row", class: "fw-normal" }, d.name), cell(d.tickets), cell(d.by_status.completed),
    cell(d.by_status.waiting), cell(pair(d.walk_ins, d.online)), cell(d.emergencies),
    cell(spread(d.wait_min)), cell(spread(d.consultation_min)), cell(noShow(d.no_shows)), cell(d.overbooked),
    cell(percent(d.capacity.utilisation)), cell(overtime(d.capacity)))));
  const doctors = data.doctors.map((d) => el("tr", {},
    el("th", { scope: "row", class: d.id === null ? "fw-normal fst-italic" : "fw-normal" }, d.name),
    el("td", {}, d.department), cell(d.tickets), cell(d.by_status.completed),
    cell(pair(d.by_status.called, d.by_status.in_consultation)),
    cell(spread(d.wait_min)), cell(spread(d.consultation_min)), cell(noShow(d.no_shows)),
    cell(percent(d.capacity.utilisation)), cell(overtime(d.capacity))));
  $("dash-doctor-rows").replaceChildren(...(doctors.length ? doctors : [empty(10, t("No tickets on these days."))]));
}

let loading = null;

/** Fetch the chosen day's figures and redraw the dashboard (one request at a time). */
function refresh() {
  loading ??= (async () => {
    const query = new URLSearchParams();
    if (!followToday) query.set("from", $("dash-day").value);
    if ($("dash-to").value) query.set("to", $("dash-to").value);
    if ($("dash-department").value) query.set("department_id", $("dash-department").value);
    const data = await api(`/api/admin/dashboard?${query}`);
    if (followToday) $("dash-day").value = today = data.day;
    const exported = new URLSearchParams(query);
    exported.set("from", data.from);
    exported.set("to", data.to);
    $("dash-csv").href = `/api/admin/dashboard.csv?${exported}`;
    showTiles(data.totals, data.from === today && data.to === today);
    showCapacity(data.totals);
    showCharts(data.totals);
    showTables(data);
    $("dash-updated").textContent = t("updated {time}", { time: formatTime(new Date(), { second: "2-digit" }) });
  })().finally(() => { loading = null; });
  return loading;
}

$("dash-refresh").addEventListener("click", (event) => act(event.currentTarget, refresh));
$("dash-day").addEventListener("change", (event) => { followToday = !event.target.value; });
$("dash-filters").addEventListener("change", () => act(null, refresh));
$("dash-filters").addEventListener("submit", (event) => { event.preventDefault(); act(null, refresh); });

$("display-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const fields = formData(event.target);
  const body = { name: fields.name || "", language: fields.language || "en", speech: $("display-speech").checked };
  if (fields.department_id) body.department_id = Number(fields.department_id);
  if (fields.kind) body.kind = fields.kind;
  act(event.submitter, async () => {
    const display = await api("/api/admin/displays", { method: "POST", body });
    const { kind } = display; // a display's kind (board, kiosk), not an event's
    const url = new URL(display.url, location.href);
    $("display-created").replaceChildren(
      el("div", { class: "fw-semibold" }, kind === "kiosk" ? t("Kiosk “{name}” created. Its key is shown only once:", { name: display.name }) : t("Board “{name}” created. Its key is shown only once:", { name: display.name })),
      el("code", { id: "display-key" }, display.key),
      el("div", { class: "mt-1" }, `${kind === "kiosk" ? t("Open on the kiosk:") : t("Open on the TV:")} `, el("a", { href: url.pathname + url.search, id: "display-url" }, url.pathname + url.search)));
    $("display-created").hidden = false;
    event.target.name.value = "";
    document.dispatchEvent(new Event("setup:changed")); // the set-up screen lists it
  });
});

$("user-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act(event.submitter, async () => {
    const user = await api("/api/admin/users", { method: "POST", body: formData(event.target) });
    event.target.reset();
    toast(t("User {username} ({role}) created", { username: user.username, role: roleName(user.role) }));
    document.dispatchEvent(new Event("setup:changed"));
  });
});

await act(null, refresh);
setInterval(() => refresh().catch(() => null), REFRESH_MS);
