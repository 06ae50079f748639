"""structlog configuration: console for development, JSON for production.

Every entry, ours or a library's (aiogram, aiohttp, asyncpg, redis-py, alembic),
goes through one chain that renders exceptions as plain text tracebacks (never
the local variables of frames: aiogram's hold the token URL, asyncpg's the
password), then masks secrets (`diana_bot.redaction`) and bounds the size of
every value, then renders a console line or a JSON object.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any, Final

import structlog

from diana_bot.redaction import MASK, Redactor

_SECRET_KEYS = ("token", "password", "secret", "dsn", "database_url", "redis_url")
# Bounds per entry: a traceback keeps its start and its end (the exception raised).
MAX_EXCEPTION_CHARS: Final = 12_000
_EXCEPTION_HEAD: Final = 3_000
MAX_VALUE_CHARS: Final = 4_000
_PLAIN = (int, float, bool, type(None))

_redactor = Redactor()


def _mask_secret_keys(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    # Belt and braces: settings never log secrets, but a careless field name won't either.
    for key in list(event):
        if any(s in key.lower() for s in _SECRET_KEYS):
            event[key] = MASK
    return event


def _cut(text: str, limit: int, head: int) -> str:
    if len(text) <= limit:
        return text
    tail = limit - head
    return f"{text[:head]}\n[... {len(text) - limit} characters cut ...]\n{text[-tail:]}"


def _clean(value: object, limit: int) -> object:
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {str(k): _clean(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v, limit) for v in value]
    text = value if isinstance(value, str) else repr(value)
    return _redactor(_cut(text, limit, min(limit // 2, _EXCEPTION_HEAD)))


def _scrub(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Mask secrets in every value and bound its size; objects become their repr first."""
    for key, value in list(event.items()):
        if key.startswith("_"):
            continue  # "_record" and friends: the stdlib bridge's own, never rendered
        limit = MAX_EXCEPTION_CHARS if key == "exception" else MAX_VALUE_CHARS
        event[key] = _clean(value, limit)
    return event


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(
    level: str = "INFO", fmt: str = "console", secrets: Iterable[str] = ()
) -> None:
    """Route structlog and the standard library through one renderer on stderr.

    ``secrets`` are the configured values to mask wherever they appear
    (`Settings.secret_values`); shapes such as tokens and URL passwords are masked
    whatever their value.
    """
    global _redactor
    _redactor = Redactor(secrets)
    numeric = logging.getLevelName(level.upper())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _mask_secret_keys,
        # The traceback as text, without frame locals, before it is masked.
        structlog.processors.format_exc_info,
        _scrub,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            # Standard library records keep their fields (aiogram_durable logs that way).
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
                *shared,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # Warnings (e.g. a library's deprecation) take the same chain instead of raw stderr.
    logging.captureWarnings(True)
    # aiogram logs every handled update at INFO; keep that for DEBUG runs only.
    logging.getLogger("aiogram.event").setLevel(max(numeric, logging.WARNING))


def redact(text: str) -> str:
    """``text`` with every secret the logging knows of masked (for other outputs)."""
    return _redactor(text)


__all__ = ["MAX_EXCEPTION_CHARS", "MAX_VALUE_CHARS", "configure_logging", "redact"]
