"""structlog configuration: console for development, JSON for production."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_SECRET_KEYS = ("token", "password", "secret", "dsn", "database_url", "redis_url")


def _redact(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    # Belt and braces: settings never log secrets, but a careless field name won't either.
    for key in list(event):
        if any(s in key.lower() for s in _SECRET_KEYS):
            event[key] = "***"
    return event


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Route structlog and the standard library through one renderer on stderr."""
    numeric = logging.getLevelName(level.upper())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer]
        if fmt == "json"
        else [*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # aiogram logs every handled update at INFO; keep that for DEBUG runs only.
    logging.getLogger("aiogram.event").setLevel(max(numeric, logging.WARNING))
