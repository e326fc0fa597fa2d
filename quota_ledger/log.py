"""Logging helpers referenced from ``settings.LOGGING``."""

import logging


class OneLineRefusals(logging.Filter):
    """A refused request (a 4xx response: 400, 403, 404 …) is one line in the log.

    Django passes the exception along with the warning it logs for a refusal, so every 403
    printed a full traceback of an expected, handled event. The traceback is kept for
    server errors (5xx), where it is what one needs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
