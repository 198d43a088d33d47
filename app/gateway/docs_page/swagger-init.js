// Starts Swagger UI from a file, not an inline script, so the page's Content-Security-Policy can forbid those.
// Deferred after swagger-ui-bundle.js: the DOM is parsed and SwaggerUIBundle is defined when this runs.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null // never send the document to an outside validator: the page works offline
  });
})();
