/*
 * The waiting-room TV board: tokens being called and their rooms, the next tokens, a clock.
 * URL: /board?key=dk_…[&departments=1,2][&rooms=Room 1,Room 2][&speech=0][&lang=pt-BR]
 * It shows no names (the server sends none), runs for days and keeps no growing state.
 * The server draws the page in the display's language (or `lang`); the board speaks it too.
 */
import { EventKind } from "/static/generated/server.js";
import { $ } from "/static/js/dom.js";
import { errorText, formatTime, language, supported, t } from "/static/js/i18n.js";
import { connect } from "/static/js/live.js";

const params = new URLSearchParams(location.search);
const list = (name) => {
  const raw = params.get(name);
  return raw ? raw.split(",").map((s) => s.trim()).filter(Boolean) : null;
};
const roomFilter = list("rooms");
const departments = list("departments");
const sections = new Map(); // room name -> section element; one per joined room
const CALLS = new Set([EventKind.CALLED, EventKind.RECALLED]); // the events the board speaks
const MAX_ANNOUNCEMENTS = 4;
const NEXT_SHOWN = 8;
let display = { language: params.get("lang") || language, speech: params.get("speech") !== "0" };
let audio = null;
let announcements = 0;

// Spoken calls of displays whose language has no catalogue yet (the page shows English).
const SPOKEN = {
  fr: (token, room) => `Ticket ${token}, veuillez vous rendre ${room}`, // i18n-ignore: speech
  de: (token, room) => `Nummer ${token}, bitte zu ${room}`, // i18n-ignore: speech
};

function phrase(token, room) {
  const spoken = SPOKEN[display.language.slice(0, 2)];
  if (spoken && !supported(display.language)) return spoken(token, room);
  return room ? t("Ticket {token}, please go to {room}", { token, room }) : t("Ticket {token}, please go to the desk", { token });
}

/** The voice of the display's language: its region's if there is one, else any of the language. */
function voiceFor(lang) {
  const voices = window.speechSynthesis.getVoices();
  const norm = (tag) => tag.replace("_", "-").toLowerCase();
  return voices.find((v) => norm(v.lang) === norm(lang))
    || voices.find((v) => norm(v.lang).split("-")[0] === norm(lang).split("-")[0]) || null;
}

function tick() {
  $("clock").textContent = formatTime(new Date());
}

function shown(ticket) { return !roomFilter || !ticket.room || roomFilter.includes(ticket.room); }

function section(room) {
  if (!sections.has(room)) {
    const node = $("department").content.firstElementChild.cloneNode(true);
    $("departments").appendChild(node);
    sections.set(room, node);
  }
  return sections.get(room);
}

function item(tag, ticket, text) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (ticket.urgency === "emergency") node.classList.add("emergency");
  // A neutral marker only: the board never knows which priority category it is.
  if (ticket.priority) node.classList.add("priority");
  return node;
}

function draw(room, data, events) {
  const node = section(room);
  if (node.dataset.department !== String(data.department.id)) {
    node.dataset.department = data.department.id;
    drawCodes();
  }
  node.querySelector(".name").textContent = data.department.name;
  const calls = data.serving.filter(shown).map((t) => {
    const row = item("div", t, "");
    row.className += " call " + t.status;
    const token = document.createElement("span");
    token.textContent = t.token;
    const where = document.createElement("span");
    where.className = "room";
    where.textContent = t.status === "called" ? "→ " + (t.room || "") : t.room || "";
    row.append(token, where);
    return row;
  });
  node.querySelector(".calls").replaceChildren(...calls);
  // Four rows of two fit a 1080p column under two calls; the rest wait their turn.
  node.querySelector(".next").replaceChildren(...data.next.slice(0, NEXT_SHOWN).map((t) => item("li", t, t.token)));
  node.querySelector(".waiting").textContent = t("{n} waiting", { n: data.waiting });
  events.filter((e) => CALLS.has(e.kind) && shown(e)).forEach(announce);
}

function chime() {
  if (!audio) return;
  const now = audio.currentTime;
  [880, 660].forEach((frequency, i) => {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, now + i * 0.45);
    gain.gain.exponentialRampToValueAtTime(0.4, now + i * 0.45 + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.45 + 0.4);
    tone.connect(gain).connect(audio.destination);
    tone.start(now + i * 0.45);
    tone.stop(now + i * 0.45 + 0.42);
  });
}

function announce(event) {
  chime();
  const lang = display.language;
  // A new node in the live region: a screen reader says each call once, a recall again too.
  const line = document.createElement("p");
  line.textContent = phrase(event.token, event.room || "");
  $("announcer").replaceChildren(line);
  if (!display.speech || !window.speechSynthesis || announcements >= MAX_ANNOUNCEMENTS) return;
  const spokenToken = event.token.split("").join(" ");  // "G 0 1 2", not "G twelve"
  const utterance = new SpeechSynthesisUtterance(phrase(spokenToken, event.room || ""));
  utterance.lang = lang;
  utterance.voice = voiceFor(lang);
  utterance.rate = 0.9;
  announcements += 1;
  utterance.onend = utterance.onerror = () => { announcements -= 1; };
  window.speechSynthesis.speak(utterance);
}

function unlockSound() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
  } catch (_error) {
    return;
  }
  // Browsers start audio suspended until someone touches the page (kiosks can allow it).
  $("sound").hidden = audio.state === "running";
  if (audio.state !== "running") audio.resume().then(() => { $("sound").hidden = true; });
}

function hello(message) {
  // Keep what is drawn across a reconnect (fresh snapshots follow); drop rooms no longer ours.
  sections.forEach((node, room) => {
    if (!message.rooms.includes(room)) { node.remove(); sections.delete(room); }
  });
  if (message.display) {
    display = {
      language: params.get("lang") || message.display.language || "en",
      speech: params.get("speech") !== "0" && message.display.speech,
    };
    $("title").textContent = message.display.name;
    // The display's language changed since the page was drawn: draw it again in the new one.
    const wanted = supported(display.language);
    if (wanted && wanted !== language && !params.get("lang")) window.location.reload();
  }
}

function status(state, info) {
  $("offline").hidden = state !== "offline";
  $("degraded").hidden = state !== "degraded";  // a fixed text: the board shows no names
  document.body.dataset.live = state;
  $("refused").hidden = state !== "refused";
  if (state === "refused") $("refused-text").textContent = errorText(info.code, info.message);
}

// The rotating self check-in code of each department, and a QR code a phone opens with it.
let codes = [];
let codesTimer = null;

function drawCodes() {
  for (const node of sections.values()) {
    const found = codes.find((c) => String(c.department_id) === node.dataset.department);
    const box = node.querySelector(".checkin");
    box.hidden = !found;
    if (!found) continue;
    node.querySelector(".checkin-code").textContent = found.code;
    const qr = node.querySelector(".checkin-qr");
    if (qr.dataset.url !== found.url) {
      qr.dataset.url = found.url;
      qr.src = found.qr;
    }
  }
}

async function fetchCodes() {
  clearTimeout(codesTimer);
  let wait = 30000;
  try {
    const response = await fetch("/api/checkin/codes", {
      headers: { Accept: "application/json", "X-Display-Key": params.get("key") || "" },
      credentials: "omit",
    });
    if (response.ok) {
      const body = await response.json();
      codes = body.codes;
      // Come back just after the next change (every board flips within a second or two).
      const next = Math.min(...codes.map((c) => Date.parse(c.changes_at)));
      if (Number.isFinite(next)) wait = Math.max(1000, Math.min(wait, next - Date.now() + 1000));
    } else if (response.status === 401) {
      codes = [];
      wait = 300000;
    }
  } catch {
    // Offline: keep the last codes (the previous one is still accepted) and try again.
  }
  drawCodes();
  codesTimer = setTimeout(fetchCodes, wait);
}

$("sound").addEventListener("click", unlockSound);
document.addEventListener("keydown", unlockSound);
unlockSound();
tick();
setInterval(tick, 1000);
const auth = { key: params.get("key") || "" };
if (departments) auth.departments = departments.map(Number);
connect({ namespace: "/board", auth, onHello: hello, onState: draw, onStatus: status });
fetchCodes();
