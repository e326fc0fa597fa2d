"""API tokens on the user's own page (我的接口令牌): create one (shown once), list, revoke.

Tokens are django-rest-knox tokens: only a hash is stored, each expires. A token acts as
its user, so the permission module decides what it may read and do. A reporting client
cannot sign in to pages: an administrator creates its tokens in the admin (the token is
shown once there too).
"""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from knox.models import get_token_model

from .middleware import token_id

MAX_DAYS = 365


class TokenForm(forms.Form):
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=90,
        help_text=gettext_lazy("The token stops working after this many days."),
    )


def create_token(*, user, days: int) -> tuple[object, str]:
    """A new token for ``user`` valid ``days`` days: (stored token, the secret, shown once)."""
    return get_token_model().objects.create(user=user, expiry=datetime.timedelta(days=days))


def user_tokens(user) -> list[dict]:
    return [
        {"id": token_id(t), "created": t.created, "expiry": t.expiry, "digest": t.digest}
        for t in get_token_model().objects.filter(user=user).order_by("-created")
    ]


@login_required
@require_http_methods(["GET", "POST"])
def token_page(request):
    secret = None
    form = TokenForm()
    if request.method == "POST" and "revoke" in request.POST:
        revoked, _count = (
            get_token_model()
            .objects.filter(user=request.user, digest=request.POST.get("revoke", ""))
            .delete()
        )
        if revoked:
            messages.success(request, _("The token was revoked; it no longer works."))
        return redirect("api_tokens")
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                _token, secret = create_token(user=request.user, days=form.cleaned_data["days"])
            form = TokenForm()
    response = render(
        request,
        "api/tokens.html",
        {"form": form, "secret": secret, "tokens": user_tokens(request.user)},
    )
    # The secret is on this page only: no cache keeps it.
    response["Cache-Control"] = "no-store"
    return response
