"""Request checks that apply to every page and API call."""

from urllib.parse import unquote

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _


def wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string is refused with a 400 before any view runs.

    PostgreSQL cannot store or compare text containing NUL, so `/ledger/entity/a%00b/` or
    `?q=a%00` reached the database and ended as a 500 (DataError). No legitimate address of
    ours contains one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote(query, errors="replace"):
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request):
        message = _(
            "The address contains a NUL character, which is not allowed. "
            "Please check the link or the search terms."
        )
        if wants_json(request):
            return JsonResponse({"status": 400, "code": "nul_byte", "detail": message}, status=400)
        return HttpResponseBadRequest(
            render_to_string("400.html", {"message": message}, request=request)
        )


class HealthCheckMiddleware:
    """``GET /healthz`` answers 200 "ok" when the database answers, 503 otherwise.

    First in the chain, for the container health check: it needs no host name from
    ALLOWED_HOSTS, no HTTPS and no session, and it logs nothing while all is well.
    """

    PATH = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != self.PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            return HttpResponse("database unavailable", status=503, content_type="text/plain")
        return HttpResponse("ok", content_type="text/plain")


class UserLanguageMiddleware:
    """The signed-in user's chosen language (``User.language``) over the browser's cookie.

    After ``LocaleMiddleware`` and ``AuthenticationMiddleware``: when the user chose a
    language, this request is answered in it, and the language cookie is set to it so that the
    choice follows the user to a new browser (and to the login page after signing out).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if chosen and chosen in dict(settings.LANGUAGES) and chosen != request.LANGUAGE_CODE:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        # set_language answers with the new cookie itself; the user's choice was saved there.
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if (
            chosen
            and chosen in dict(settings.LANGUAGES)
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != chosen
            and settings.LANGUAGE_COOKIE_NAME not in response.cookies
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
