"""A stored reference or memo in the reader's language.

A posting keeps the text of its record as it was the day it posted (``reference_text``, in
the poster's language: "分配批次 #1"). The text is hash-chained, so it is never rewritten;
what it says is a system text (a msgid) with parameters. Each app registers its msgids here;
``render`` recognises a stored text as one of them, in any of the site's languages, takes its
parameters back and says it again in the language of the request. A text that is no
registered system text (what a user typed, or a text cut to the column's length) is shown as
stored."""

import re
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.utils import translation

# What a parameter of these names can be; any other is any text.
PARAMETER_PATTERNS = {"id": r"\d+", "symbol": r"\S+", "amount": r"-?[\d.]+"}

# msgid → how to say each parameter again in the reader's language (default: as stored).
_PATTERNS: dict[str, dict[str, Callable[[str], str]]] = {}


def register(msgid: str, **parameters: Callable[[str], str]) -> None:
    """A system text stored with ``msgid % {...}``; ``parameters`` translate a parameter
    whose stored value is itself a system text (a label), given its stored value."""
    _PATTERNS[msgid] = parameters
    _regexes.cache_clear()


def _regex(template: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", template)
    pattern = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            pattern += re.escape(part)
        else:
            pattern += f"(?P<{part}>{PARAMETER_PATTERNS.get(part, '.+?')})"
    return re.compile(pattern, re.S)


@lru_cache(maxsize=1)
def _regexes() -> list[tuple[str, re.Pattern]]:
    found = []
    for msgid in _PATTERNS:
        templates = set()
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                templates.add(translation.gettext(msgid))
        templates.add(msgid)
        found.extend((msgid, _regex(template)) for template in templates)
    return found


def render(text: str) -> str:
    """The stored text in the reader's language when it is a registered system text."""
    if not text:
        return text
    for msgid, regex in _regexes():
        match = regex.fullmatch(text)
        if match:
            values = {
                name: _PATTERNS[msgid].get(name, lambda value: value)(value)
                for name, value in match.groupdict().items()
            }
            return translation.gettext(msgid) % values
    return text


def label_translator(choices) -> Callable[[str], str]:
    """For a parameter stored as a choice's label (in any language): the label in the
    reader's language; anything else as stored."""

    def said_in(code: str, label) -> str:
        with translation.override(code):
            return str(label)

    def translate(stored: str) -> str:
        for _value, label in choices:
            if any(said_in(code, label) == stored for code, _name in settings.LANGUAGES):
                return str(label)
        return stored

    return translate


# The ledger's own.
register(translation.gettext_noop("Reversal of #%(id)s"))
register(translation.gettext_noop("Adjustment proposal #%(id)s"))
