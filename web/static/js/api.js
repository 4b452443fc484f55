// The REST client and small page helpers shared by the staff and booking screens.
import { $, el } from "./dom.js";
import { errorText, t } from "./i18n.js";

/**
 * An API refusal: the server's {code, message, details}. `message` is the code's text in the
 * page's language (the catalogue's "errors"), else the server's English message.
 */
export class ApiError extends Error {
  constructor(status, body) {
    super(errorText(body?.code, body?.message || t("The server answered {status}.", { status: String(status) })));
    this.serverMessage = body?.message || "";
    this.status = status;
    this.code = body?.code || "HTTP_" + status;
    this.details = body?.details || {};
  }
}

let csrfFallback = "";

// A page whose start failed (server down, a bug) says so instead of staying blank.
window.addEventListener("unhandledrejection", (event) => showError(event.reason || t("Something went wrong")));

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

/** Call the API with the session cookie; writes carry the CSRF header. */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = cookie("csrf_token") || csrfFallback;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { code: "OFFLINE", message: "The server cannot be reached. Try again." }); // i18n-ignore: English message, the code is translated
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Where each role starts after logging in. */
export const HOME = { doctor: "/console", nurse: "/desk", staff: "/desk", patient: "/book", admin: "/admin" };

/** Return the logged-in user, or go to the login page; refuse roles the page is not for. */
export async function requireRole(roles) {
  let me;
  try {
    me = await api("/api/auth/me");
  } catch (error) {
    if (error.status === 401) {
      location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
      return new Promise(() => {}); // the page is leaving: nothing else should run
    }
    throw error;
  }
  csrfFallback = me.csrf_token;
  showUser(me);
  if (!roles.includes(me.role)) {
    $("gate-text").textContent =
      t("You are logged in as {name} ({role}). This page is for: {roles}.",
        { name: me.name, role: roleName(me.role), roles: roles.map(roleName).join(", ") });
    $("gate").hidden = false;
    return new Promise(() => {});
  }
  return me;
}

function showUser(me) {
  $("who-name").textContent = `${me.name} · ${roleName(me.role)}`;
  $("who").hidden = false;
  $("logout").addEventListener("click", async () => {
    await api("/api/auth/logout", { method: "POST" }).catch(() => null);
    location.assign("/login");
  });
}

/** Show a short message in the corner. */
export function toast(message, kind = "success") {
  const body = el("div", { class: "d-flex" },
    el("div", { class: "toast-body" }, message),
    el("button", { type: "button", class: "btn-close btn-close-white me-2 m-auto", "data-bs-dismiss": "toast", "aria-label": t("Close") }));
  const node = el("div", { class: `toast align-items-center text-bg-${kind} border-0`, role: "alert" }, body);
  $("toasts").append(node);
  node.addEventListener("hidden.bs.toast", () => node.remove());
  new window.bootstrap.Toast(node, { delay: kind === "danger" ? 6000 : 3000 }).show();
}

/** Show an API error's message to the user. */
export function showError(error) {
  toast(error.message || String(error), "danger");
}

/** Run an async action from a button: disable it meanwhile, toast failures. */
export async function act(button, work) {
  // A disabled button loses focus (to the page's body): give it back when it is enabled again.
  const focused = Boolean(button) && document.activeElement === button;
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
    const active = document.activeElement;
    if (focused && button.isConnected && (!active || active === document.body)) button.focus();
  }
}

const URGENCY_CLASS = { emergency: "text-bg-danger", urgent: "text-bg-warning", routine: "text-bg-secondary" };
const STATUS_LABEL = {
  booked: t("Booked"), waiting: t("Waiting"), called: t("Called"), in_consultation: t("In consultation"),
  completed: t("Completed"), no_show: t("No-show"), skipped: t("Skipped"), cancelled: t("Cancelled"),
  transferred: t("Transferred"),
};
const URGENCY_LABEL = { emergency: t("emergency"), urgent: t("urgent"), routine: t("routine") };
const ROLE_LABEL = { admin: t("admin"), doctor: t("doctor"), nurse: t("nurse"), staff: t("staff"), patient: t("patient") };

/** A role's name in the page's language. */
export function roleName(role) {
  return ROLE_LABEL[role] || role;
}

/** A ticket status's name in the page's language. */
export function statusName(status) {
  return STATUS_LABEL[status] || status;
}
const STATUS_CLASS = {
  booked: "text-bg-light border", waiting: "text-bg-info", called: "text-bg-primary",
  in_consultation: "text-bg-success", completed: "text-bg-secondary", no_show: "text-bg-dark",
  skipped: "text-bg-dark", cancelled: "text-bg-dark",
};

/** A badge for an urgency. */
export function urgencyBadge(urgency) {
  return el("span", { class: `badge ${URGENCY_CLASS[urgency] || "text-bg-secondary"}` }, URGENCY_LABEL[urgency] || urgency);
}

/** A badge for a ticket status. */
export function statusBadge(status) {
  return el("span", { class: `badge ${STATUS_CLASS[status] || "text-bg-light"}` }, STATUS_LABEL[status] || status);
}

/** Read a form's fields as an object, leaving out blanks. */
export function formData(form) {
  const out = {};
  for (const [key, value] of new FormData(form).entries()) {
    if (typeof value === "string" && value.trim() !== "") out[key] = value.trim();
  }
  return out;
}
