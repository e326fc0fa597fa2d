from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from ledger import views as ledger_views
from ledger.web_access import AdminLoginForm
from quota_ledger.api.tokens import token_page

admin.site.site_header = _("Pollutant quota ledger administration")
admin.site.site_title = _("Quota ledger admin")
admin.site.index_title = _("Reference data, entities and users")
# A reporting client (API token only) cannot sign in to the admin either.
admin.site.login_form = AdminLoginForm

urlpatterns = [
    # The language switch remembers a signed-in user's choice (ledger.views.set_language).
    path("i18n/setlang/", ledger_views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("ledger.auth_urls")),
    path("ledger/", include("ledger.urls")),
    path("projects/", include("reductions.urls")),
    path("allocations/", include("allocations.urls")),
    path("imports/", include("allocations.import_urls")),
    path("reports/", include("allocations.report_urls")),
    path("accounts/tokens/", token_page, name="api_tokens"),
    path("api/", include("quota_ledger.api.urls")),
    # The unversioned read-only API of before v1: its lists live on under /api/v1/.
    path(
        "api/ledger/<path:rest>",
        RedirectView.as_view(url="/api/v1/%(rest)s", permanent=True, query_string=True),
    ),
    path(
        "api/reductions/<path:rest>",
        RedirectView.as_view(url="/api/v1/%(rest)s", permanent=True, query_string=True),
    ),
    path("", include("ledger.home_urls")),
]
# No /media/ route, in any mode: evidence and exports are served only by views that check
# permissions (ledger/files.py).

# Under /api/, a URL no route matches is the API's JSON 404 (quota_ledger/api/errors.py).
handler404 = "quota_ledger.api.errors.not_found"
# The 403 page says what was refused and offers a way back (home, the previous page).
handler403 = "ledger.views.permission_denied"
