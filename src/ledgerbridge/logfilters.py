"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import logging


class ForbiddenAsInfo(logging.Filter):
    """A 403 is a person trying a page their role does not open, not a fault: log it at INFO in
    one line ("Forbidden (Permission denied): /configuration/"), without the traceback Django
    attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = record.exc_text = None
        return True
