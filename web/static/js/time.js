// Times on the screens: the server sends ISO times; pages show them in the page's language.
import { formatTime, t } from "./i18n.js";

const pad = (n) => String(n).padStart(2, "0");

/** A time of day in the page's language ("09:05"); `empty` when there is no time. */
export function clockTime(iso, empty = "–") {
  return iso ? formatTime(new Date(iso)) : empty;
}

/** Minutes since an ISO time, as "12 min" or "1 h 05". */
export function waited(iso, now = Date.now()) {
  if (!iso) return "–";
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / 60000));
  if (minutes < 60) return t("{n} min", { n: minutes });
  return t("{h} h {mm}", { h: Math.floor(minutes / 60), mm: pad(minutes % 60) });
}

/** A date's local time of day as "HH:MM" (a time input's value). */
export function hhmm(date) {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A date's local day as "YYYY-MM-DD" (a date input's value). */
export function localDay(date = new Date()) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Keep every "waited" cell ([data-since]) moving on with the clock, not only with events. */
export function keepWaitedCurrent(everyMs = 30000) {
  return setInterval(() => {
    for (const cell of document.querySelectorAll("[data-since]")) cell.textContent = waited(cell.dataset.since);
  }, everyMs);
}
