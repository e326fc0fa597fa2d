"""One structured log line per API request (接口访问日志)."""

import json
import logging
import time

logger = logging.getLogger("api.requests")


def token_id(token) -> str | None:
    """A token's public id: the start of its stored digest, never any part of the secret."""
    digest = getattr(token, "digest", None)
    return digest[:16] if digest else None


class ApiRequestLogMiddleware:
    """Logs method, path, status, duration, user and token id of every ``/api/`` request as
    one JSON line (never the token itself, nor the query values: they may name entities)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        token = getattr(request, "auth", None)
        logger.info(
            json.dumps(
                {
                    "event": "api_request",
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.monotonic() - started) * 1000, 1),
                    "user": user.get_username() if user and user.is_authenticated else None,
                    "user_id": user.pk if user and user.is_authenticated else None,
                    "token_id": token_id(token),
                    "replayed": response.get("Idempotent-Replayed") == "true",
                },
                ensure_ascii=False,
            )
        )
        return response
