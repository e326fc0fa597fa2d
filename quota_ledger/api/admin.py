"""API tokens in the admin (Tokens): an administrator creates one for a reporting system —
with an expiry — and sees it once, in the message after saving; deleting it revokes it."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from knox.admin import AuthTokenAdmin
from knox.models import AuthToken, get_digest_token
from knox.settings import CONSTANTS

from .middleware import token_id
from .tokens import MAX_DAYS


class TokenAddForm(forms.ModelForm):
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1, max_value=MAX_DAYS, initial=365
    )

    class Meta:
        model = AuthToken
        fields = ["user"]

    def save(self, commit=True):
        token = super().save(commit=False)
        token.digest, self.secret = get_digest_token()
        token.token_key = self.secret[: CONSTANTS.TOKEN_KEY_LENGTH]
        token.expiry = timezone.now() + datetime.timedelta(days=self.cleaned_data["days"])
        if commit:
            token.save()
        return token


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class TokenAdmin(AuthTokenAdmin):
    add_form = TokenAddForm
    list_display = ("token_id", "user", "created", "expiry")
    search_fields = ["user__username"]

    @admin.display(description=gettext_lazy("Token id"))
    def token_id(self, token) -> str:
        return token_id(token)

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.save()
        self.message_user(
            request,
            _("New token for %(user)s — copy it now, it is shown only once: %(token)s")
            % {"user": obj.user, "token": form.secret},
            messages.WARNING,
        )
