"""Logs without partners' update links: a link's token is its owner's only key, so the access
log (gunicorn's, or the development server's) and the error log name `/r/[link]` instead."""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

_LINK = re.compile(r"/r/[^/\s?\"']+")
HIDDEN = "/r/[link]"


def redact(text: str) -> str:
    """`text` with every update link's token replaced."""
    return _LINK.sub(HIDDEN, text)


class RedactingLogger(Logger):
    """gunicorn's logger, its access lines without update links' tokens (`--logger-class`)."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        found = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in found.items()}


class RedactingFilter(logging.Filter):
    """A logging filter that takes update links' tokens out of a record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/r/" in message:
            record.msg, record.args = redact(message), None
        return True


def install(app_logger: logging.Logger) -> None:
    """Keep tokens out of the development server's access log and the app's error log."""
    for logger in (logging.getLogger("werkzeug"), app_logger):
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
