// Swagger UI for /api/docs/, from a file so the page needs no inline script (CSP).
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }
  window.ui = SwaggerUIBundle({
    url: node.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    // A signed-in browser tries requests with its session: send the CSRF token with them.
    requestInterceptor: function (request) {
      if (request.method && request.method.toUpperCase() !== "GET") {
        request.headers[node.dataset.csrfHeader || "X-CSRFToken"] = cookie("csrftoken");
      }
      return request;
    }
  });
})();
