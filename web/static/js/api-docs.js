// Swagger UI for /api/docs, started from a file: the CSP allows no inline script.
// swagger-ui-bundle.js (a classic script before this module) defines window.SwaggerUIBundle.
const { SwaggerUIBundle } = window;

window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.openapi,
  dom_id: "#swagger-ui",
  // Deep links put a link inside each operation's toggle button (a control in a control,
  // which screen readers cannot reach): the toggles stay plain buttons (WCAG 4.1.2).
  deepLinking: false,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // no badge fetched from swagger.io
});
