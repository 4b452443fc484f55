// Department snapshots for the staff screens, kept live over Socket.IO by live.js.
import { errorText, t } from "./i18n.js";
import { connect } from "./live.js";

const STATUS = {
  connecting: [t("Connecting…"), "secondary"],
  online: [t("Live"), "success"],
  degraded: [t("Degraded · other desks' changes delayed"), "warning"],
  offline: [t("Offline · reconnecting"), "danger"],
  refused: [t("Not connected"), "danger"],
};

function setStatus(badge, status, detail) {
  const [text, kind] = STATUS[status] || STATUS.offline;
  badge.textContent = text;
  badge.className = `badge text-bg-${kind}`;
  badge.dataset.state = status;
  badge.title = detail?.message ? errorText(detail.code, detail.message) : "";
}

/**
 * Call onData(departmentId, snapshot, events) with each department room's whole state: once on
 * connect, after every change, and again after a reconnect or a missed update.
 */
export function watchDepartments(namespace, auth, onData, badge) {
  return connect({
    namespace,
    auth,
    onState(room, data, events) {
      const [kind, id] = room.split(":");
      if (kind === "department") onData(Number(id), data, events);
    },
    onStatus: (status, detail) => setStatus(badge, status, detail),
  });
}

/** Watch one department on the doctor console. */
export function watchDepartment(departmentId, render, badge) {
  return watchDepartments("/console", { department_id: departmentId }, (_, data) => render(data), badge);
}
