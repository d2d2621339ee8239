// Starts the vendored Swagger UI on /docs (api/routers/docs.py). A file, not an inline script: the
// service's Content-Security-Policy allows scripts from the service only. No validator badge: it
// would send the OpenAPI document to an outside service.
/* global SwaggerUIBundle */
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
