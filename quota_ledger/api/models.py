"""What the API remembers between requests: the first answer to each Idempotency-Key."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotentRequest(models.Model):
    """The first response to a POST carrying an ``Idempotency-Key`` (幂等键), per user.

    The same key with the same body replays this response; with another body it is refused
    with 409 (the semantics TigerBeetle documents for transfer ids). Rows older than
    ``API_IDEMPOTENCY_HOURS`` no longer count and are deleted by a later request."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_response_per_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key} → {self.status_code}"
