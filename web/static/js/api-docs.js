// Swagger UI for /api/docs, started from a file: the CSP allows no inline script.
(function start() {
  const root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // no badge fetched from swagger.io
  });
})();
