// Where keyboard focus goes after an action (WCAG 2.4.3): to the next thing to do, never to the
// page's body when the button pressed is disabled or redrawn. Screens redraw from live updates
// that may come before or after the API's answer, so focus waits until its target can take it.

const WAIT_MS = 10000; // a target that never becomes usable is given up on
let pending = null; // {target, from, until}
let observer = null;

/** The element a target names: an id, an element, or a function returning one (or null). */
function resolve(target) {
  if (typeof target === "string") return document.getElementById(target);
  return typeof target === "function" ? target() : target;
}

/** Whether a node can take focus now: in the page, enabled and shown. */
function usable(node) {
  return Boolean(node && node.isConnected && !node.disabled && !node.closest("[hidden]")
    && node.getClientRects().length > 0);
}

/** Whether focus is lost (on the body, or on what was pressed and is now disabled or gone). */
function lost(from) {
  const active = document.activeElement;
  return !active || active === document.body || active === from || Boolean(active.disabled)
    || !active.isConnected;
}

function stop() {
  pending = null;
  observer?.disconnect();
}

function settle() {
  if (!pending) return;
  if (performance.now() > pending.until) {
    stop();
    return;
  }
  const node = resolve(pending.target);
  if (!usable(node)) return;
  const { from } = pending;
  stop();
  if (lost(from)) focusOn(node);
}

/** Focus a node; one that is not focusable by itself (a heading, a row) gets tabindex -1. */
export function focusOn(node) {
  if (!node) return;
  if (node.tabIndex < 0 && !node.hasAttribute("tabindex")) node.setAttribute("tabindex", "-1");
  node.focus();
}

/**
 * Move focus to `target` (an id, an element, or a function returning one or null while it is
 * not there yet) as soon as it can take it, unless the user has moved focus elsewhere meanwhile.
 */
export function focusSoon(target) {
  pending = { target, from: document.activeElement, until: performance.now() + WAIT_MS };
  observer = observer || new MutationObserver(settle);
  observer.observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["disabled", "hidden"],
  });
  settle();
}

/** What stands for `node` after a redraw: the element with its id or its data-* attributes, or
 * its ticket's row, or the button with its text in that row (rows carry data-ticket-id); null
 * when it is gone for good. */
function counterpart(node) {
  if (!node || node.isConnected) return node;
  if (node.id) return document.getElementById(node.id);
  // A control that names what it acts on (data-action, data-session-id, …): the same one again.
  const data = Array.from(node.attributes || []).filter((a) => a.name.startsWith("data-"));
  if (data.some((a) => a.name.endsWith("-id"))) {
    const same = data.map((a) => `[${a.name}="${CSS.escape(a.value)}"]`).join("");
    const found = document.querySelector(node.tagName + same);
    if (found) return found;
  }
  const row = node.closest?.("[data-ticket-id]");
  if (!row) return null;
  const now = document.querySelector(`${row.tagName}[data-ticket-id="${row.dataset.ticketId}"]`);
  if (!now || row === node) return now;
  return Array.from(now.querySelectorAll("button"))
    .find((button) => button.textContent === node.textContent) || null;
}

// The screens redraw their lists on every live update: focus inside a redrawn row moves to the
// same place in the new row instead of falling to the page's body.
let focused = null;
document.addEventListener("focusin", (event) => { focused = event.target; });
new MutationObserver(() => {
  if (!focused || focused.isConnected) return;
  const active = document.activeElement;
  if (active && active !== document.body) return;
  const again = counterpart(focused);
  if (usable(again)) focusOn(again);
}).observe(document.documentElement, { childList: true, subtree: true });

/** When a Bootstrap modal closes, give focus back to what opened it, or to `fallback`. */
export function returnFocusFrom(modal, fallback) {
  let opener = null;
  modal.addEventListener("show.bs.modal", () => { opener = document.activeElement; });
  modal.addEventListener("hidden.bs.modal", () => {
    const back = counterpart(opener);
    focusSoon(usable(back) ? back : fallback);
  });
}
