// The printed ticket's page: prints itself when opened with ?auto=1 (the desk, the kiosk).
import { $ } from "./dom.js";

const params = new URLSearchParams(location.search);

$("print")?.addEventListener("click", () => window.print());

if (params.get("auto") === "1" && $("slip-token")) {
  // The desk opens the slip in a window of its own: close it once printed.
  if (params.get("then") === "close") window.addEventListener("afterprint", () => window.close());
  window.print();
}
