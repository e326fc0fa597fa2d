"""``Idempotency-Key`` (幂等键) on every POST that may post to the ledger or change a record.

The first successful (2xx) response to a key is kept, per user, for ``API_IDEMPOTENCY_HOURS``.
The same key with the same method, path and body returns that response again (with
``Idempotent-Replayed: true``) and does nothing; the same key with anything else is a 409
``idempotency_key_reused``; a key whose first request is still running is a 409
``idempotency_key_in_use``. A refused request (4xx) changed nothing and is not kept: it may be
sent again with the same key.
"""

import datetime
import functools
import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .errors import Conflict
from .models import IdempotentRequest

HEADER = "Idempotency-Key"
IN_PROGRESS = 0
# A request still "running" after this long died half-way: its key may be used again.
ABANDONED_AFTER = datetime.timedelta(minutes=2)


def _describe(value):
    if hasattr(value, "read"):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    return str(value)


def fingerprint(request) -> str:
    data = request.data
    if hasattr(data, "lists"):
        data = {key: values for key, values in data.lists()}
    text = json.dumps(
        [request.method, request.path, data], sort_keys=True, default=_describe, ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200 or not key.isprintable():
        raise ValidationError({HEADER: [_("An Idempotency-Key is 1 to 200 printable characters.")]})
    return key


def _claim(user, key: str, print_: str, request) -> IdempotentRequest | Response:
    """The stored response to replay, or the claim of a new key (a row marked running)."""
    now = timezone.now()
    IdempotentRequest.objects.filter(
        created_at__lt=now - datetime.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    ).delete()
    earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
    if earlier is not None:
        if earlier.fingerprint != print_:
            raise Conflict(
                _(
                    "This Idempotency-Key was used for another request; use a new key for a "
                    "new request."
                ),
                code="idempotency_key_reused",
            )
        if earlier.status_code != IN_PROGRESS:
            return Response(
                earlier.body,
                status=earlier.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
        if earlier.created_at > now - ABANDONED_AFTER:
            raise Conflict(
                _("A request with this Idempotency-Key is still running; try again shortly."),
                code="idempotency_key_in_use",
            )
        earlier.delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                user=user,
                key=key,
                method=request.method,
                path=request.path[:500],
                fingerprint=print_,
                status_code=IN_PROGRESS,
            )
    except IntegrityError:
        raise Conflict(
            _("A request with this Idempotency-Key is still running; try again shortly."),
            code="idempotency_key_in_use",
        ) from None


def idempotent(method):
    """Decorates a view method (``create``, ``update``, an action) with Idempotency-Key."""

    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        key = _key(request)
        if key is None:
            return method(self, request, *args, **kwargs)
        claim = _claim(request.user, key, fingerprint(request), request)
        if isinstance(claim, Response):
            return claim
        try:
            response = method(self, request, *args, **kwargs)
        except BaseException:
            claim.delete()
            raise
        if 200 <= response.status_code < 300:
            claim.status_code = response.status_code
            claim.body = json.loads(JSONRenderer().render(response.data) or b"null")
            claim.save(update_fields=["status_code", "body"])
        else:
            claim.delete()
        return response

    wrapper.idempotent = True
    return wrapper
