"""The OpenAPI schema and its two documentation pages, served from our own origin
(drf-spectacular-sidecar: no CDN). Our templates load every script from a file, so the
strict CSP stays on; only these two pages allow the inline styles the viewers inject."""

from django.conf import settings
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

DOCS_POLICY = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "worker-src": [CSP.SELF, "blob:"],
}


@method_decorator(csp_override(DOCS_POLICY), name="dispatch")
class SwaggerView(SpectacularSwaggerView):
    template_name = "api/swagger.html"


@method_decorator(csp_override(DOCS_POLICY), name="dispatch")
class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"
