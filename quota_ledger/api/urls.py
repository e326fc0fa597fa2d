"""/api/: version 1 of the REST API, its OpenAPI schema and documentation pages."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from allocations.api.urls import router as allocations_router
from ledger.api.urls import router as ledger_router
from reductions.api.urls import router as reductions_router

from .docs import RedocView, SwaggerView

app_name = "api"

router = DefaultRouter()
router.include_format_suffixes = False
for app_router in (ledger_router, reductions_router, allocations_router):
    router.registry.extend(app_router.registry)

urlpatterns = [
    path("v1/", include(router.urls)),
    # The API's description is public (it names no data); every endpoint needs a user.
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="schema",
    ),
    path(
        "docs/",
        SwaggerView.as_view(
            url_name="api:schema", permission_classes=[AllowAny], authentication_classes=[]
        ),
        name="docs",
    ),
    path(
        "redoc/",
        RedocView.as_view(
            url_name="api:schema", permission_classes=[AllowAny], authentication_classes=[]
        ),
        name="redoc",
    ),
]
