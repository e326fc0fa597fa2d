"""Unified social credit code (统一社会信用代码, GB 32100-2015) with its check digit."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_digit(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 18 or any(c not in ALPHABET for c in code):
        raise ValidationError(
            _(
                "A unified social credit code has 18 characters "
                "(digits and capital letters, no I, O, S, V, Z)."
            ),
            code="credit_code_format",
        )
    if credit_code_check_digit(code[:17]) != code[17]:
        raise ValidationError(
            _("The unified social credit code %(code)s fails its check digit; please check it.")
            % {"code": code},
            code="credit_code_check",
        )
    return code
