// The login form: log in, then go back where the user came from or to their role's page.
import { api, HOME } from "./api.js";
import { $ } from "./dom.js";

const form = $("login-form");
const error = $("login-error");

// Same rules as the server's (server/auth/redirects.py): a path on this site, nothing else.
// Browsers read a backslash as "/" and drop tabs and newlines, so "/\evil" and "/<tab>/evil"
// are other sites: control characters, whitespace and backslashes are refused, encoded or not.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0020\u007f\\]/;

export function safeNext(value) {
  if (!value || value.length > 2000) return null;
  let decoded = value;
  for (let i = 0; i < 3; i += 1) {
    if (UNSAFE.test(decoded) || !decoded.startsWith("/") || decoded.startsWith("//")) return null;
    try {
      if (new URL(decoded, location.origin).origin !== location.origin) return null;
      decoded = decodeURIComponent(decoded);
    } catch {
      return null;
    }
  }
  return value;
}

function destination(role) {
  // The server checked `next` already (data-next); checking again costs nothing.
  return safeNext(form.dataset.next) || HOME[role] || "/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const button = $("login-submit");
  button.disabled = true;
  try {
    const answer = await api("/api/auth/login", {
      method: "POST",
      body: { username: form.username.value.trim(), password: form.password.value },
    });
    location.assign(destination(answer.user.role));
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
    button.disabled = false;
  }
});
