"""Form widgets every app uses (ledger is the lowest app, so all may import from here)."""

from django import forms

ISO_DATE = "%Y-%m-%d"


class ISODateInput(forms.DateInput):
    """A browser date picker (`<input type="date">`).

    Browsers accept only an ISO value (YYYY-MM-DD) in a date input and show it in the user's
    own locale; the zh-hans input format (2025/09/30) would leave the field blank, so an
    edited record could not be saved without retyping its dates. Django's DateField parses
    ISO in every locale, so the value posts back unchanged.
    """

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=ISO_DATE)
