"""Logging through the standard library, with structured fields.

Each record's message is an event name (``session.started``); its fields are record
attributes (``record.session_id``), so structlog's ``ExtraAdder``, a JSON formatter or
``%(session_id)s`` in a format string shows them. The library never configures
logging: that is the application's choice. Loggers are ``aiogram_durable.*``.
"""

from __future__ import annotations

import logging
from typing import Any

# LogRecord's own attributes: a field by one of these names is renamed, not lost.
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}


class EventLogger:
    """``log.info("event.name", field=value)`` on a standard library logger."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)

    def _log(self, level: int, event: str, fields: dict[str, Any], exc_info: bool) -> None:
        if not self.logger.isEnabledFor(level):
            return
        extra = {(f"{k}_" if k in _RESERVED else k): v for k, v in fields.items()}
        self.logger.log(level, event, exc_info=exc_info, extra=extra, stacklevel=3)

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, fields, False)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, event, fields, False)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, event, fields, False)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields, False)

    def exception(self, event: str, **fields: Any) -> None:
        """An error with the exception being handled."""
        self._log(logging.ERROR, event, fields, True)


def get_logger(name: str) -> EventLogger:
    """The event logger called ``name``."""
    return EventLogger(name)
