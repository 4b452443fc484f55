// "I'm here" on the patient's phone page: check in with the waiting-room board's code.
import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { clockTime } from "./time.js";

const SAVED_TICKET = "clinic.ticket"; // this phone's ticket link, for the entrance QR code
const SAVED_CODE = "clinic.checkin_code"; // a code the entrance QR code brought
const CODE_FRESH_MS = 10 * 60 * 1000;

function store(name, value) {
  try {
    localStorage.setItem(name, JSON.stringify(value));
  } catch {
    // Private browsing: the QR code then asks for the link, nothing else breaks.
  }
}

function read(name) {
  try {
    return JSON.parse(localStorage.getItem(name) || "null");
  } catch {
    return null;
  }
}

/** The code the entrance QR code brought (in the page's #code= or saved), if fresh. */
function broughtCode() {
  const fragment = new URLSearchParams(location.hash.slice(1)).get("code");
  if (fragment) return fragment;
  const saved = read(SAVED_CODE);
  return saved && Date.now() - saved.at < CODE_FRESH_MS ? saved.code : "";
}

async function send(body, csrf) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const response = await fetch("/api/checkin", {
    method: "POST", headers, credentials: "same-origin", body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(data?.message || t("Something went wrong. Please see the desk."));
    error.code = data?.code;
    error.details = data?.details || {};
    throw error;
  }
  return data;
}

function csrfCookie() {
  const found = document.cookie.split("; ").find((part) => part.startsWith("csrf_token="));
  return found ? decodeURIComponent(found.slice("csrf_token=".length)) : "";
}

function refusal(error) {
  if (error.code === "CHECKIN_TOO_EARLY" && error.details.opens_at) {
    return t("Too early: you can check in from {time}.", { time: clockTime(error.details.opens_at) });
  }
  const message = error.message || "";
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** Wire the "I'm here" card; call `update(data)` with each snapshot of the ticket. */
export function selfCheckIn(auth) {
  const section = $("here");
  if (!section) return () => {};
  const code = broughtCode();
  if (code) $("here-code").value = code;
  $("here-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = $("here-message");
    message.hidden = true;
    const value = $("here-code").value.trim();
    if (!/^\d{4,8}$/.test(value)) {
      message.textContent = t("Type the digits shown on the waiting-room screen.");
      message.hidden = false;
      return;
    }
    $("here-submit").disabled = true;
    try {
      const body = auth.link ? { link: auth.link, code: value } : { ticket_id: auth.ticket_id, code: value };
      const done = await send(body, auth.link ? "" : csrfCookie());
      store(SAVED_CODE, null);
      $("here-done").textContent = done.late_min
        ? t("You are checked in, {n} min late: we have fitted you into the queue.", { n: done.late_min })
        : t("You are checked in. Please have a seat.");
      $("here-done").hidden = false;
      section.hidden = true;
    } catch (error) {
      message.textContent = refusal(error);
      message.hidden = false;
    } finally {
      $("here-submit").disabled = false;
    }
  });
  return (data) => {
    const ticket = data.ticket;
    // Offered on the day of a booking not yet checked in; the server decides the window.
    const today = (data.generated_at || "").slice(0, 10) === data.day;
    section.hidden = !(ticket.status === "booked" && today);
    if (auth.link && ticket.status === "booked") store(SAVED_TICKET, { link: auth.link, day: data.day });
  };
}
