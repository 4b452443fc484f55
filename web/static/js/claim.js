// An invited patient sets their password; the link works once.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";

$("claim-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("claim-error").hidden = true;
  $("claim-submit").disabled = true;
  try {
    const answer = await api("/api/auth/claim", {
      method: "POST", body: { link: $("claim-form").dataset.link, password: $("claim-password").value },
    });
    $("claim-form").hidden = true;
    $("claimed").replaceChildren(
      el("p", {}, t("Done. Your username is {username}.", { username: answer.user.username })),
      el("a", { class: "btn btn-success", href: "/my/visits" }, t("See my visits")));
    $("claimed").hidden = false;
  } catch (error) {
    $("claim-error").textContent = error.message;
    $("claim-error").hidden = false;
    $("claim-submit").disabled = false;
  }
});
