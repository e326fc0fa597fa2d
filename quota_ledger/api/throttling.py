"""Throttling per token (限流): each API token has its own budget (``API_THROTTLE_RATE``,
e.g. ``6000/hour``); a browser session shares its user's budget."""

from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from .middleware import token_id


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    @property
    def cache(self):
        # Shared by every worker when Redis is configured (settings.CACHES["api"]).
        return caches["api"]

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        token = token_id(request.auth)
        ident = f"token:{token}" if token else f"user:{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
