// The login form: log in, then go back where the user came from or to their role's page.
import { api, HOME } from "./api.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

function destination(role) {
  const next = new URLSearchParams(location.search).get("next") || "";
  // Only same-site paths: an open redirect would let a link send users elsewhere after login.
  if (next.startsWith("/") && !next.startsWith("//")) return next;
  return HOME[role] || "/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const button = document.getElementById("login-submit");
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
