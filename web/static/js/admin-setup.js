// The admin page's set-up screen: edit and deactivate departments, rooms, doctors, users and
// TV boards (the routes of server/api/admin_setup.py). Nothing is deleted: deactivating is
// PATCH {active: false}, and a deactivated row can be reactivated.
import { act, api, formData, toast } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";

let setup = { departments: [], doctors: [], users: [], displays: [] };

const byId = (items, id) => items.find((item) => item.id === id);
const departmentName = (id) => (id === null ? t("All departments") : byId(setup.departments, id)?.name ?? "–");
const roomsOf = (departmentId) => byId(setup.departments, departmentId)?.rooms ?? [];

function statusBadge(active, off = t("Deactivated")) {
  return el("span", { class: `badge ${active ? "text-bg-success" : "text-bg-secondary"} setup-status` }, active ? t("Active") : off);
}

/** A button that asks once more ("Sure?") before it does something that ends access. */
function armedButton(label, question, work, kind = "danger") {
  const button = el("button", { class: `btn btn-sm btn-outline-${kind}`, type: "button" }, label);
  button.addEventListener("click", () => {
    if (button.dataset.armed !== "1") {
      button.dataset.armed = "1";
      button.textContent = question;
      button.classList.replace(`btn-outline-${kind}`, `btn-${kind}`);
      return;
    }
    act(button, work);
  });
  return button;
}

function button(label, onclick, kind = "outline-secondary") {
  return el("button", { class: `btn btn-sm btn-${kind}`, type: "button", onclick }, label);
}

/** Deactivate (asking once more) or reactivate a row through its PATCH route. */
function activeButton(item, path, name) {
  if (!item.active) {
    return button(t("Reactivate"), (event) => act(event.currentTarget, async () => {
      await api(path, { method: "PATCH", body: { active: true } });
      toast(t("{name} reactivated", { name }));
      await load();
    }), "outline-success");
  }
  return armedButton(t("Deactivate"), t("Deactivate {name}?", { name }), async () => {
    await api(path, { method: "PATCH", body: { active: false } });
    toast(t("{name} deactivated", { name }));
    await load();
  });
}

function actions(...buttons) {
  return el("td", { class: "text-end" }, el("div", { class: "d-flex gap-1 justify-content-end flex-wrap" }, ...buttons));
}

function show(formId) {
  const form = $(formId);
  if (!form.hidden) return;
  form.hidden = false;
  form.querySelector("input:not([type=hidden]), select")?.focus();
}

// Departments and rooms

function departmentRow(d) {
  const rooms = d.rooms.map((r) => el("span", { class: `badge ${r.active ? "text-bg-light border" : "text-bg-secondary text-decoration-line-through"} me-1` }, r.name));
  return el("tr", { dataset: { departmentId: d.id } },
    el("th", { scope: "row", class: "fw-normal" }, d.name), el("td", {}, d.code), el("td", {}, d.token_prefix),
    el("td", {}, rooms), el("td", {}, statusBadge(d.active)),
    actions(button(t("Edit"), () => editDepartment(d.id)), activeButton(d, `/api/admin/departments/${d.id}`, d.name)));
}

function roomItem(room) {
  const input = el("input", { class: "form-control form-control-sm", value: room.name, maxlength: 50, "aria-label": t("Room name") });
  const save = button(t("Rename"), (event) => act(event.currentTarget, async () => {
    await api(`/api/admin/rooms/${room.id}`, { method: "PATCH", body: { name: input.value.trim() } });
    toast(t("Room renamed"));
    await load();
  }));
  return el("li", { class: "d-flex gap-1 align-items-center mb-1", dataset: { roomId: room.id } },
    input, save, statusBadge(room.active), activeButton(room, `/api/admin/rooms/${room.id}`, room.name));
}

function editDepartment(id) {
  const d = byId(setup.departments, id);
  if (!d) return;
  $("setup-department-id").value = d.id;
  $("setup-department-name").value = d.name;
  $("setup-department-code").value = d.code;
  $("setup-department-prefix").value = d.token_prefix;
  $("setup-room-rows").replaceChildren(...d.rooms.map(roomItem));
  show("setup-department-form");
}

$("setup-department-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const { id, ...body } = formData(event.target);
  act(event.submitter, async () => {
    await api(`/api/admin/departments/${id}`, { method: "PATCH", body });
    toast(t("Department saved"));
    await load();
  });
});

$("setup-room-add").addEventListener("click", (event) => {
  const name = $("setup-room-new").value.trim();
  const id = $("setup-department-id").value;
  act(event.currentTarget, async () => {
    await api(`/api/admin/departments/${id}/rooms`, { method: "POST", body: { name } });
    $("setup-room-new").value = "";
    toast(t("Room {name} added", { name }));
    await load();
  });
});

$("setup-department-new").addEventListener("submit", (event) => {
  event.preventDefault();
  const fields = formData(event.target);
  const rooms = (fields.rooms || "").split(",").map((r) => r.trim()).filter(Boolean);
  const body = { name: fields.name || "", code: fields.code || "", token_prefix: fields.token_prefix || "", rooms };
  act(event.submitter, async () => {
    await api("/api/admin/departments", { method: "POST", body });
    event.target.reset();
    toast(t("Department {name} added", { name: body.name }));
    await load();
  });
});

// Doctors

function doctorRow(d) {
  const room = byId(roomsOf(d.department_id), d.room_id);
  const login = byId(setup.users, d.user_id);
  return el("tr", { dataset: { doctorId: d.id } },
    el("th", { scope: "row", class: "fw-normal" }, d.name), el("td", {}, d.specialty), el("td", {}, departmentName(d.department_id)),
    el("td", {}, room ? room.name : "–"), el("td", {}, login ? login.username : "–"), el("td", {}, statusBadge(d.active)),
    actions(button(t("Edit"), () => editDoctor(d.id)), activeButton(d, `/api/admin/doctors/${d.id}`, d.name)));
}

function editDoctor(id) {
  const d = byId(setup.doctors, id);
  if (!d) return;
  $("setup-doctor-id").value = d.id;
  $("setup-doctor-name").value = d.name;
  $("setup-doctor-specialty").value = d.specialty;
  const rooms = roomsOf(d.department_id).filter((r) => r.active || r.id === d.room_id);
  $("setup-doctor-room").replaceChildren(el("option", { value: "" }, t("No room")),
    ...rooms.map((r) => el("option", { value: r.id, selected: r.id === d.room_id }, r.name)));
  const linked = new Set(setup.doctors.filter((x) => x.id !== d.id).map((x) => x.user_id));
  const logins = setup.users.filter((u) => u.role === "doctor" && (u.id === d.user_id || (u.active && !linked.has(u.id))));
  $("setup-doctor-user").replaceChildren(el("option", { value: "" }, t("No login")),
    ...logins.map((u) => el("option", { value: u.id, selected: u.id === d.user_id }, `${u.username} (${u.full_name})`)));
  show("setup-doctor-form");
}

$("setup-doctor-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const body = {
    name: form.name.value.trim(),
    specialty: form.specialty.value.trim(),
    room_id: form.room_id.value ? Number(form.room_id.value) : null,
    user_id: form.user_id.value ? Number(form.user_id.value) : null,
  };
  act(event.submitter, async () => {
    await api(`/api/admin/doctors/${form.id.value}`, { method: "PATCH", body });
    toast(t("Doctor saved"));
    await load();
  });
});

$("setup-doctor-new").addEventListener("submit", (event) => {
  event.preventDefault();
  const fields = formData(event.target);
  const body = { name: fields.name || "", specialty: fields.specialty || "", department_id: Number(fields.department_id) };
  act(event.submitter, async () => {
    await api("/api/admin/doctors", { method: "POST", body });
    event.target.reset();
    toast(t("Doctor {name} added", { name: body.name }));
    await load();
  });
});

// Users

function userRow(u) {
  const path = `/api/admin/users/${u.id}`;
  const logout = armedButton(t("Log out"), t("End {name}'s logins?", { name: u.username }), async () => {
    const { ended } = await api(`${path}/logout`, { method: "POST" });
    toast(t("{n} login(s) ended", { n: ended }));
  }, "warning");
  const tokens = armedButton(t("Revoke tokens"), t("Revoke {name}'s tokens?", { name: u.username }), async () => {
    const { revoked } = await api(`${path}/tokens`, { method: "DELETE" });
    toast(t("{n} token(s) revoked", { n: revoked }));
  }, "warning");
  return el("tr", { dataset: { userId: u.id } },
    el("th", { scope: "row", class: "fw-normal" }, u.username), el("td", {}, u.full_name), el("td", {}, u.role),
    el("td", {}, u.language), el("td", {}, statusBadge(u.active)),
    actions(button(t("Edit"), () => editUser(u.id)), logout, tokens, activeButton(u, path, u.username)));
}

function editUser(id) {
  const u = byId(setup.users, id);
  if (!u) return;
  $("setup-user-id").value = u.id;
  $("setup-user-fullname").value = u.full_name;
  $("setup-user-role").value = u.role;
  $("setup-user-language").value = u.language;
  $("setup-user-password").value = "";
  show("setup-user-form");
}

$("setup-user-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const body = { full_name: form.full_name.value.trim(), role: form.role.value, language: form.language.value };
  const password = form.password.value;
  act(event.submitter, async () => {
    await api(`/api/admin/users/${form.id.value}`, { method: "PATCH", body });
    if (password) {
      await api(`/api/admin/users/${form.id.value}/password`, { method: "POST", body: { password } });
      form.password.value = "";
    }
    toast(password ? t("User saved; the new password is set") : t("User saved"));
    await load();
  });
});

// TV boards

function showKey(display) {
  const url = new URL(display.url, location.href);
  $("setup-display-key").replaceChildren(
    el("div", { class: "fw-semibold" }, t("New key for “{name}”, shown only once:", { name: display.name })),
    el("code", { id: "setup-display-new-key" }, display.key),
    el("div", { class: "mt-1" }, t("Open on the TV: "), el("a", { href: url.pathname + url.search }, url.pathname + url.search)));
  $("setup-display-key").hidden = false;
}

function displayRow(d) {
  const path = `/api/admin/displays/${d.id}`;
  const newKey = armedButton(t("New key"), t("Replace the key?"), async () => {
    showKey(await api(`${path}/key`, { method: "POST" }));
    await load();
  }, "primary");
  const revoke = d.active
    ? armedButton(t("Revoke"), t("Revoke {name}'s key?", { name: d.name }), async () => {
      await api(`${path}/revoke`, { method: "POST" });
      toast(t("{name}'s key revoked", { name: d.name }));
      await load();
    })
    : null;
  return el("tr", { dataset: { displayId: d.id } },
    el("th", { scope: "row", class: "fw-normal" }, d.name), el("td", {}, departmentName(d.department_id)),
    el("td", {}, d.language), el("td", {}, d.speech ? t("on") : t("off")), el("td", {}, statusBadge(d.active, t("Revoked"))),
    actions(button(t("Edit"), () => editDisplay(d.id)), newKey, revoke));
}

function editDisplay(id) {
  const d = byId(setup.displays, id);
  if (!d) return;
  $("setup-display-id").value = d.id;
  $("setup-display-name").value = d.name;
  const departments = setup.departments.filter((x) => x.active || x.id === d.department_id);
  $("setup-display-department").replaceChildren(el("option", { value: "" }, t("All departments")),
    ...departments.map((x) => el("option", { value: x.id, selected: x.id === d.department_id }, x.name)));
  $("setup-display-language").value = d.language;
  $("setup-display-speech").checked = d.speech;
  show("setup-display-form");
}

$("setup-display-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const body = {
    name: form.name.value.trim(),
    department_id: form.department_id.value ? Number(form.department_id.value) : null,
    language: form.language.value.trim(),
    speech: form.speech.checked,
  };
  act(event.submitter, async () => {
    await api(`/api/admin/displays/${form.id.value}`, { method: "PATCH", body });
    toast(t("TV board saved"));
    await load();
  });
});

// The page

document.querySelectorAll("#setup [data-close]").forEach((close) => {
  close.addEventListener("click", () => { $(close.dataset.close).hidden = true; });
});

/** Read the set-up again and redraw every list (an open edit form is refilled). */
async function load() {
  setup = await api("/api/admin/setup");
  $("setup-department-rows").replaceChildren(...setup.departments.map(departmentRow));
  $("setup-doctor-rows").replaceChildren(...setup.doctors.map(doctorRow));
  $("setup-user-rows").replaceChildren(...setup.users.map(userRow));
  $("setup-display-rows").replaceChildren(...setup.displays.map(displayRow));
  const active = setup.departments.filter((d) => d.active);
  const chosen = $("setup-new-doctor-department").value;
  $("setup-new-doctor-department").replaceChildren(...active.map((d) => el("option", { value: d.id, selected: String(d.id) === chosen }, d.name)));
  if (!$("setup-department-form").hidden) editDepartment(Number($("setup-department-id").value));
}

$("setup-refresh").addEventListener("click", (event) => act(event.currentTarget, load));
// admin.js announces a board or user it created.
document.addEventListener("setup:changed", () => act(null, load));

// admin.js logs the user in and gates the page; this part only starts for an admin.
const me = await api("/api/auth/me").catch(() => null);
if (me?.role === "admin") await act(null, load);
