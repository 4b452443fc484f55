// The entrance QR code's page (/checkin?c=…): take the code to this phone's ticket page.
import { $ } from "./dom.js";

const code = (new URLSearchParams(location.search).get("c") || "").replace(/\D/g, "").slice(0, 8);
let saved;
try {
  if (code) localStorage.setItem("clinic.checkin_code", JSON.stringify({ code, at: Date.now() }));
  saved = JSON.parse(localStorage.getItem("clinic.ticket") || "null");
} catch {
  saved = null;
}
const today = new Date().toISOString().slice(0, 10); // ticket days are UTC days
if (saved && saved.link && saved.day === today) {
  // In the fragment: the code never reaches a server log.
  location.replace(`/t/${encodeURIComponent(saved.link)}#code=${code}`);
} else {
  $("checkin-opening").hidden = true;
  $("checkin-code").textContent = code;
  $("checkin-how").hidden = false;
}
