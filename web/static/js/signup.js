// Sign-up: name, date of birth, phone or e-mail, password; then the code sent to them.
import { api } from "./api.js";
import { $ } from "./dom.js";
import { t } from "./i18n.js";

let requestId = null;

function fail(box, error) {
  box.textContent = error.message;
  box.hidden = false;
}

function field(name) {
  return $("signup-form").elements[name];
}

$("signup-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("signup-error").hidden = true;
  const body = {
    full_name: field("full_name").value.trim(),
    date_of_birth: field("date_of_birth").value,
    password: field("password").value,
    language: field("language").value,
    channel: field("channel").value,
  };
  const phone = field("phone").value.replace(/[\s()-]/g, "");
  const email = field("email").value.trim();
  if (phone) body.phone = phone;
  if (email) body.email = email;
  $("signup-submit").disabled = true;
  try {
    const answer = await api("/api/auth/register", { method: "POST", body });
    requestId = answer.request_id;
    $("code-sent").textContent = answer.channel === "email"
      ? t("We sent a 6-digit code to {to}. It works for 15 minutes.", { to: email })
      : t("We sent a 6-digit code by SMS to {to}. It works for 15 minutes.", { to: phone });
    $("signup-form").hidden = true;
    $("code-form").hidden = false;
    $("code").focus();
  } catch (error) {
    fail($("signup-error"), error);
  } finally {
    $("signup-submit").disabled = false;
  }
});

$("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("code-error").hidden = true;
  $("code-submit").disabled = true;
  try {
    await api("/api/auth/register/verify", {
      method: "POST", body: { request_id: requestId, code: $("code").value.trim() },
    });
    location.assign("/my/visits");
  } catch (error) {
    fail($("code-error"), error);
    if (error.code === "CODE_EXPIRED") {
      $("code-form").hidden = true;
      $("signup-form").hidden = false;
    }
  } finally {
    $("code-submit").disabled = false;
  }
});
