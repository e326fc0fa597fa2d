"""Web sessions: who may have one, and when it ends.

Every user except API-only accounts may sign in to the web pages.

A reporting client (DESIGN §7: "API token only, read-only; no browser login") reads through
the REST API with a token. Its password must not open the web pages: the login forms (site
and admin) refuse it with a clear message, and a session it somehow holds (made before this
rule, or by an administrator) is ended and refused on every page and API call. Token
requests carry no session, so they are unaffected.

A signed-in session ends after SESSION_COOKIE_AGE (SESSION_IDLE_TIMEOUT_MINUTES) without a
request: activity moves its expiry forward, at most once a minute, so an active user is not
logged out and the session table is not written on every request.
"""

import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.http import HttpResponseForbidden, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from .models import Role

API_ONLY_ROLES = (Role.REPORTING_CLIENT,)
API_ONLY_MESSAGE = _(
    "This is a reporting-system account: it reads the ledger through the API with its "
    "token and cannot sign in to the web pages."
)


def is_api_only(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*API_ONLY_ROLES))


def _refuse_api_only(user) -> None:
    if is_api_only(user):
        raise ValidationError(API_ONLY_MESSAGE, code="api_only")


class LoginForm(AuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        _refuse_api_only(user)


class AdminLoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        _refuse_api_only(user)


class RefuseApiOnlySessionsMiddleware:
    """Ends the session of an API-only user and refuses the request (403)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api_only(request.user):
            logout(request)
            message = str(API_ONLY_MESSAGE)
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"status": 403, "code": "api_only", "detail": message}, status=403
                )
            return HttpResponseForbidden(
                render_to_string("403.html", {"message": message}, request=request)
            )
        return self.get_response(request)


IDLE_CLOCK_KEY = "_idle_clock"
# Seconds between two moves of a session's expiry: a minute, or a tenth of a short timeout.
TOUCH_EVERY = 60


def _touch_interval() -> int:
    return max(1, min(TOUCH_EVERY, settings.SESSION_COOKIE_AGE // 10))


@receiver(user_logged_in, dispatch_uid="ledger.web_access.start_idle_clock")
def start_idle_clock(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[IDLE_CLOCK_KEY] = int(time.time())


class IdleSessionMiddleware:
    """Keeps an active signed-in session alive; an idle one expires (Django refuses a session
    past its expiry date and the user is sent to log in)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            if now - request.session.get(IDLE_CLOCK_KEY, 0) >= _touch_interval():
                # A modified session is saved with a new expiry (now + SESSION_COOKIE_AGE),
                # in the database and in the cookie.
                request.session[IDLE_CLOCK_KEY] = now
        return self.get_response(request)
