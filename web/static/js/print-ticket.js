// The desk's "Print" button: open a ticket's 80 mm slip in a window that prints itself.
import { act, api } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

/** Open the slip of a ticket; the window prints and then closes itself. */
export async function printTicket(ticketId) {
  // Opened at once, inside the click: a window opened after an await is a blocked pop-up.
  const slip = window.open("", "_blank");
  try {
    const { url } = await api(`/api/tickets/${ticketId}/print`);
    if (!slip) {
      window.location.assign(`${url}?auto=1`);
      return;
    }
    slip.opener = null;
    slip.location.replace(`${url}?auto=1&then=close`);
  } catch (error) {
    slip?.close();
    throw error;
  }
}

/** A small button that prints a ticket's slip. */
export function printButton(ticket) {
  return el("button", {
    class: "btn btn-sm btn-outline-dark", type: "button", title: t("Print the ticket with its QR code"),
    onclick: (event) => act(event.currentTarget, () => printTicket(ticket.ticket_id)),
  }, t("Print"));
}
