// Password reset: a code to the account's phone or e-mail, then a new password with it.
import { api } from "./api.js";
import { $ } from "./dom.js";

let requestId = null;

function fail(box, error) {
  box.textContent = error.message;
  box.hidden = false;
}

$("reset-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("reset-error").hidden = true;
  $("reset-submit").disabled = true;
  try {
    const answer = await api("/api/auth/reset", { method: "POST", body: { login: $("reset-login").value.trim() } });
    requestId = answer.request_id;
    $("reset-form").hidden = true;
    $("new-password-form").hidden = false;
    $("reset-code").focus();
  } catch (error) {
    fail($("reset-error"), error);
  } finally {
    $("reset-submit").disabled = false;
  }
});

$("new-password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("new-password-error").hidden = true;
  $("new-password-submit").disabled = true;
  try {
    await api("/api/auth/reset/verify", {
      method: "POST",
      body: { request_id: requestId, code: $("reset-code").value.trim(), new_password: $("reset-password").value },
    });
    location.assign("/my/visits");
  } catch (error) {
    fail($("new-password-error"), error);
  } finally {
    $("new-password-submit").disabled = false;
  }
});
