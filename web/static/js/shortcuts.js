// Keyboard shortcuts each user can turn off, put behind Alt+Shift or remap (WCAG 2.1.4), kept in
// this browser per user and screen (localStorage "shortcuts.<screen>.<user id>").
//
// The page has, from web/templates/shortcuts.html: a select #shortcuts-mode ("single",
// "alt-shift", "off"), an input[data-action] per action (its key), #shortcut-error, a button
// #shortcuts-reset; kbd[data-shortcut="<action>"] elements show an action's key and
// #shortcut-hint lists them. An action's name is the id of its button.
import { $ } from "./dom.js";
import { t } from "./i18n.js";

const MODES = ["single", "alt-shift", "off"];

/** A key an action may have: one visible character. */
const valid = (key) => typeof key === "string" && key.length === 1 && key.trim() !== "";

/** Read a user's shortcuts for a screen ({mode, keys}), with the defaults for what is missing. */
export function loadShortcuts(storageKey, defaults) {
  let saved;
  try {
    saved = JSON.parse(localStorage.getItem(storageKey) || "{}") || {};
  } catch {
    saved = {}; // unreadable: the defaults
  }
  const keys = { ...defaults };
  for (const [action, key] of Object.entries(saved.keys || {})) {
    if (action in defaults && valid(key)) keys[action] = key.toLowerCase();
  }
  return { mode: MODES.includes(saved.mode) ? saved.mode : "single", keys };
}

/** How a key is written for people ("N", "Alt+Shift+N") and for aria-keyshortcuts. */
function label(mode, key) {
  return (mode === "alt-shift" ? "Alt+Shift+" : "") + key.toUpperCase(); // i18n-ignore: key names
}

/** The key a keydown means, or null when the mode says the press is not a shortcut. */
function pressed(mode, event) {
  if (mode === "off" || event.repeat || event.ctrlKey || event.metaKey) return null;
  const withAltShift = event.altKey && event.shiftKey;
  if (mode === "alt-shift" ? !withAltShift : event.altKey) return null;
  // With Alt+Shift the character may be another one (macOS): read the key's place instead.
  const code = /^(Key|Digit)(.)$/.exec(event.code || "");
  if (mode === "alt-shift" && code) return code[2].toLowerCase();
  return event.key.length === 1 ? event.key.toLowerCase() : null;
}

/**
 * Run `run(action)` when the user presses an action's key, except while typing in a field or in
 * a dialog; `run` returns false when the action cannot be done now (the key then does nothing).
 */
export function bindShortcuts({ screen, userId, defaults, run }) {
  const storageKey = `shortcuts.${screen}.${userId}`; // i18n-ignore: a storage key
  let settings = loadShortcuts(storageKey, defaults);

  function save() {
    localStorage.setItem(storageKey, JSON.stringify(settings));
    show();
  }

  function show() {
    const on = settings.mode !== "off";
    document.querySelectorAll("kbd[data-shortcut]").forEach((kbd) => {
      kbd.textContent = label(settings.mode, settings.keys[kbd.dataset.shortcut] || "");
      kbd.hidden = !on;
    });
    if ($("shortcut-hint")) $("shortcut-hint").hidden = !on;
    for (const action of Object.keys(defaults)) {
      const button = $(action);
      if (button && on) button.setAttribute("aria-keyshortcuts", label(settings.mode, settings.keys[action]));
      else if (button) button.removeAttribute("aria-keyshortcuts");
    }
    if ($("shortcuts-mode")) $("shortcuts-mode").value = settings.mode;
    document.querySelectorAll("input[data-action]").forEach((input) => {
      input.value = settings.keys[input.dataset.action].toUpperCase();
      input.disabled = !on;
      input.removeAttribute("aria-invalid");
    });
  }

  function remap(input, key) {
    const action = input.dataset.action;
    const taken = Object.keys(settings.keys).find((other) => other !== action && settings.keys[other] === key);
    if (taken) {
      input.setAttribute("aria-invalid", "true");
      $("shortcut-error").textContent = t("{key} is already the key of another action", { key: key.toUpperCase() });
      return;
    }
    $("shortcut-error").textContent = "";
    settings = { ...settings, keys: { ...settings.keys, [action]: key } };
    save();
  }

  document.addEventListener("keydown", (event) => {
    if (event.target.closest?.("input, textarea, select, [contenteditable], .modal")) return; // i18n-ignore: a selector
    const key = pressed(settings.mode, event);
    const action = key && Object.keys(settings.keys).find((name) => settings.keys[name] === key);
    if (action && run(action) !== false) event.preventDefault();
  });
  $("shortcuts-mode")?.addEventListener("change", (event) => {
    settings = { ...settings, mode: event.target.value };
    save();
  });
  document.querySelectorAll("input[data-action]").forEach((input) => {
    // The field takes the next key pressed in it; Tab and the like move on as usual.
    input.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || !valid(event.key)) {
        if (event.key === "Backspace" || event.key === "Delete") event.preventDefault();
        return;
      }
      event.preventDefault();
      remap(input, event.key.toLowerCase());
    });
  });
  $("shortcuts-reset")?.addEventListener("click", () => {
    settings = { mode: "single", keys: { ...defaults } };
    $("shortcut-error").textContent = "";
    save();
  });
  show();
}
