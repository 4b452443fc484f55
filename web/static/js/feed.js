// Department snapshots for the staff screens. TEMPORARY: polls the REST snapshot until live.js lands.
import { api } from "./api.js";

const POLL_MS = 3000;

function setStatus(badge, state) {
  if (!badge) return;
  const [text, kind] = { live: ["Live", "success"], offline: ["Offline", "danger"], connecting: ["Connecting…", "secondary"] }[state];
  badge.textContent = text;
  badge.className = `badge text-bg-${kind}`;
  badge.dataset.state = state;
}

/** Call onData(departmentId, snapshot) with each department's state, now and on every change. */
export function watchDepartments(namespace, auth, departmentIds, onData, badge) {
  setStatus(badge, "connecting");
  const poll = async () => {
    try {
      for (const id of departmentIds) onData(id, await api(`/api/departments/${id}/queue`));
      setStatus(badge, "live");
    } catch {
      setStatus(badge, "offline");
    }
  };
  poll();
  return setInterval(poll, POLL_MS);
}

/** Watch one department on the doctor console. */
export function watchDepartment(departmentId, render, badge) {
  return watchDepartments("/console", { department_id: departmentId }, [departmentId], (_, data) => render(data), badge);
}
