"""Request body parsers: JSON whose strings are valid Unicode, or a 400.

JSON may escape a lone surrogate (``"\\ud800"``) that no UTF-8 text can hold; it would fail
later, in an error message or an idempotency fingerprint, as a 500. It is refused here.
"""

import json

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class UnicodeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError(_("The request body holds text that is not valid Unicode.")) from None
        return data
