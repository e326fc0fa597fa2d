"""Domain errors: a refusal a user can act on, with a stable machine code.

Every refusal carries ``code`` (stable, snake_case, for the API and logs), a translated
``message``, optional ``field_errors`` (form field → message) and a ``kind`` that tells the
API which status it is: ``refused`` (422, a business rule said no), ``conflict`` (409, the
record's state does not allow it now), ``forbidden`` (403) or ``invalid`` (400, bad input).
"""

from collections.abc import Mapping


class DomainError(Exception):
    code = "domain_error"
    kind = "refused"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        field_errors: Mapping[str, str] | None = None,
        **details,
    ):
        self.field_errors = {k: str(v) for k, v in (field_errors or {}).items()}
        self.whole = str(message) if message else ""
        self.message = "; ".join(m for m in [self.whole, *self.field_errors.values()] if m)
        if code:
            self.code = code
        self.details = details
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    @property
    def errors(self) -> dict[str | None, str]:
        """Messages per form field, ``None`` for the whole form."""
        errors: dict[str | None, str] = dict(self.field_errors)
        if self.whole or not errors:
            errors[None] = self.whole or self.message
        return errors
