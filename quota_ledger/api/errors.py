"""One JSON shape for every API failure (错误格式):

    {"status": 422, "code": "insufficient_quota", "detail": "…", "errors": {…}, "details": {…}}

``code`` is stable and machine-readable: a domain error's own code (``ledger.errors``), or
DRF's (``not_authenticated``, ``permission_denied``, ``not_found``, ``invalid`` …).
``errors`` maps each field or query parameter to its messages (400); ``details`` carries a
domain refusal's figures (e.g. the available quota). A domain error's ``kind`` picks the
status: invalid 400, forbidden 403, conflict 409, refused 422.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ledger.errors import DomainError

KIND_STATUS = {
    "invalid": status.HTTP_400_BAD_REQUEST,
    "forbidden": status.HTTP_403_FORBIDDEN,
    "conflict": status.HTTP_409_CONFLICT,
    "refused": status.HTTP_422_UNPROCESSABLE_ENTITY,
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _plain(value):
    """Figures of a domain refusal, as JSON: amounts as three-place strings."""
    if isinstance(value, Decimal):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _messages(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as {field: [message, …]}, nested fields joined with dots."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for field, value in detail.items():
            inner = _messages(value)
            for name, messages in inner.items():
                key = str(field) if name == "non_field_errors" else f"{field}.{name}"
                flat.setdefault(key, []).extend(messages)
        return flat
    if isinstance(detail, list):
        flat = {}
        for index, item in enumerate(detail):
            if isinstance(item, dict):
                for name, messages in _messages(item).items():
                    flat.setdefault(f"{index}.{name}", []).extend(messages)
            else:
                flat.setdefault("non_field_errors", []).append(str(item))
        return flat
    return {"non_field_errors": [str(detail)]}


def body(status_code: int, code: str, detail: str, errors=None, details=None) -> dict:
    data = {"status": status_code, "code": code, "detail": detail}
    if errors:
        data["errors"] = errors
    if details:
        data["details"] = details
    return data


def domain_error_response(error: DomainError) -> Response:
    status_code = KIND_STATUS.get(error.kind, status.HTTP_422_UNPROCESSABLE_ENTITY)
    errors = {field: [message] for field, message in error.field_errors.items()}
    return Response(
        body(status_code, error.code, error.message, errors, _plain(error.details)),
        status=status_code,
    )


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def too_large() -> RequestTooLarge:
    return RequestTooLarge(
        _("The request body is larger than the server accepts (%(size)s bytes).")
        % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    )


def not_found(request, exception=None):
    """Django's 404 handler: under ``/api/`` a URL no route matches answers in the API's
    error shape; elsewhere the site's 404 page."""
    if request.path.startswith("/api/"):
        detail = str(exceptions.NotFound.default_detail)
        return JsonResponse(body(404, "not_found", detail), status=404)
    return defaults.page_not_found(request, exception)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        return domain_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):
        exc = too_large()
    if not isinstance(exc, exceptions.APIException):
        # A fault of ours: Django reports it as a 500 with its traceback.
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        errors = _messages(exc.detail)
        detail = _("The request has invalid values: %(fields)s.") % {"fields": ", ".join(errors)}
        return Response(
            body(exc.status_code, "invalid", detail, errors),
            status=exc.status_code,
            headers=headers,
        )
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return Response(
        body(exc.status_code, code, str(exc.detail)), status=exc.status_code, headers=headers
    )
