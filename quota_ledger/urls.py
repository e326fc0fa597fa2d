from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Pollutant quota ledger administration")
admin.site.site_title = _("Quota ledger admin")
admin.site.index_title = _("Reference data, entities and users")

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("ledger.auth_urls")),
    path("ledger/", include("ledger.urls")),
    path("projects/", include("reductions.urls")),
    path("allocations/", include("allocations.urls")),
    path("api/ledger/", include("ledger.api.urls")),
    path("api/reductions/", include("reductions.api.urls")),
    path("", include("ledger.home_urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
