"""Serializer fields shared by the apps' APIs."""

from rest_framework import serializers


class CodeField(serializers.SlugRelatedField):
    """A record named by its code (entity 310115, plan period 14FYP, industry 26…). A value
    that no code can be — not text, too long, or with a NUL that PostgreSQL cannot compare —
    is refused before any query."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 100 or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)
