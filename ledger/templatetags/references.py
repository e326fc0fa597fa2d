"""``{{ txn.reference_text|in_reader_language }}``: a stored system text (a posting's
reference, a correction's record) said in the reader's language (``ledger.references``)."""

from django import template

from ledger import references

register = template.Library()


@register.filter
def in_reader_language(text: str) -> str:
    return references.render(text)
