"""Pieces of the OpenAPI description shared by the endpoints: the error shape and the
Idempotency-Key header."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """错误 · The one error shape of every failure."""

    status = serializers.IntegerField()
    code = serializers.CharField(
        help_text=_("Stable machine-readable code, e.g. insufficient_quota, maker_checker.")
    )
    detail = serializers.CharField(help_text=_("What went wrong, in the user's language."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Messages per field or query parameter (400)."),
    )
    details = serializers.DictField(
        required=False, help_text=_("Figures of a domain refusal, e.g. the available quota.")
    )


def _error(text) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=text)


ERROR_RESPONSES = {
    400: _error(_("Invalid input: field errors in `errors`.")),
    401: _error(_("No or an invalid/expired token.")),
    403: _error(_("Not permitted (the reason in `detail`).")),
    404: _error(_("Not found, or not visible to you.")),
    409: _error(
        _("The record's state does not allow this now, or the Idempotency-Key was reused.")
    ),
    422: _error(_("Refused by a business rule (e.g. insufficient available quota).")),
}

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=_(
        "Idempotency key: any unique string (≤ 200 characters). The same key with the same body "
        "returns the first successful response without acting again; with a different body: 409."
    ),
)


FORMAT = _("Response format; JSON when left out.")
EXPORT_FORMAT = _(
    "Response format: JSON when left out, or csv / xlsx to export the whole filtered list "
    "(the same as Accept: text/csv or the xlsx media type)."
)

# Every operation may answer these, whatever it declares itself.
COMMON_ERRORS = (400, 401, 403, 404)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema with the error shape documented on every operation.

    The schema is served in the reader's language (``?lang=zh-hans`` / ``?lang=en`` or
    Accept-Language), so descriptions are translated strings: a view's
    ``schema_descriptions[action]`` or ``schema_description`` — never a docstring.
    """

    def get_description(self):
        action = getattr(self.view, "action", None)
        text = getattr(self.view, "schema_descriptions", {}).get(action) or getattr(
            self.view, "schema_description", ""
        )
        return str(text) or super().get_description()

    def _get_format_parameters(self):
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            exports = "csv" in parameter["schema"].get("enum", ())
            parameter["description"] = str(EXPORT_FORMAT if exports else FORMAT)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in COMMON_ERRORS:
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    ERROR_RESPONSES[code], str(code), direction=direction
                )
        return responses
