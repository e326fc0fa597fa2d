from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat

from ledger.templatetags.amounts import tonnes


@pytest.mark.parametrize(
    "value",
    [
        Decimal("0"),
        Decimal("-0.000"),
        Decimal("1.5"),
        Decimal("-2.25"),
        Decimal("123456789012.345"),
        Decimal("0.0005"),
        Decimal("-0.0005"),
        Decimal("2.0004"),
        Decimal("1E+3"),
        3,
        2.5,
        "4.125",
    ],
)
def test_tonnes_shows_what_floatformat_3u_shows(value):
    assert tonnes(value) == floatformat(value, "3u")


@pytest.mark.parametrize("value", [None, "", "abc", object()])
def test_tonnes_shows_nothing_for_what_is_no_number(value):
    assert tonnes(value) == ""
