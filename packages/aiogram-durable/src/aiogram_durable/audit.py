"""The audit trail of session lifecycle events.

Events are buffered and written in batches by a background task, so a session step
does not pay for a second database write. The cost: a crash loses at most the last
``flush_interval`` seconds of audit rows (never session state). Shutdown flushes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from aiogram_durable.logs import get_logger
from aiogram_durable.rows import sqlite_time
from aiogram_durable.schema import events

log = get_logger(__name__)

# A session has a handful of events per step; a note older than this many is stale.
_NOTE_SEARCH_LIMIT = 50
# The batch insert on SQLite as the driver's own statement (see ``SqlAuditLog.flush``).
_SQLITE_INSERT = (
    "INSERT INTO durable_session_events (session_id, user_id, session_type, event, step, "
    "at, detail) VALUES (?, ?, ?, ?, ?, ?, ?)"
)

EventKind = Literal[
    "started", "step", "completed", "cancelled", "expired", "cleared", "corrupt", "incompatible"
]
EVENT_KINDS: tuple[EventKind, ...] = (
    "started",
    "step",
    "completed",
    "cancelled",
    "expired",
    "cleared",
    "corrupt",
    "incompatible",
)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One line of the audit trail."""

    session_id: str
    user_id: int
    session_type: str
    event: EventKind
    step: str | None
    at: datetime
    detail: dict[str, Any] | None = None


class AuditLog(Protocol):
    """Where audit events go."""

    def record(self, event: AuditEvent) -> None:
        """Queue an event; never blocks and never raises."""

    async def flush(self) -> None:
        """Write everything queued so far."""

    async def recent(self, limit: int = 20) -> list[AuditEvent]:
        """The newest events, newest first (flushes first)."""

    async def latest_note(self, session_id: str, name: str) -> Any:
        """``detail[name]`` of the newest event of the session that has it, or None."""

    async def close(self) -> None:
        """Flush and stop."""


class MemoryAuditLog:
    """Audit events kept in a list, the newest ``limit`` (default: all): for tests, the
    benchmark and stores with no SQL database beside them."""

    def __init__(self, *, limit: int | None = None) -> None:
        self.events: list[AuditEvent] = []
        self.limit = limit

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)
        if self.limit is not None and len(self.events) > self.limit:
            del self.events[: len(self.events) - self.limit]

    async def flush(self) -> None:
        return None

    async def recent(self, limit: int = 20) -> list[AuditEvent]:
        return list(reversed(self.events[-limit:]))

    async def latest_note(self, session_id: str, name: str) -> Any:
        for event in reversed(self.events):
            if event.session_id == session_id and event.detail and name in event.detail:
                return event.detail[name]
        return None

    async def close(self) -> None:
        return None


_EVENT_COLUMNS = ("session_id", "user_id", "session_type", "event", "step", "at", "detail")


class SqlAuditLog:
    """Audit events in ``durable_session_events``, written in batches."""

    def __init__(
        self, engine: AsyncEngine, *, flush_interval: float = 0.5, max_buffer: int = 10_000
    ) -> None:
        self._engine = engine
        self._interval = flush_interval
        self._max_buffer = max_buffer
        self._buffer: list[AuditEvent] = []
        self._timer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def record(self, event: AuditEvent) -> None:
        if len(self._buffer) >= self._max_buffer:
            # The database has been away for a while: keep the newest events.
            del self._buffer[: len(self._buffer) // 10]
            log.warning("audit.buffer_full", dropped=self._max_buffer // 10)
        self._buffer.append(event)
        if self._timer is None or self._timer.done():
            self._timer = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._interval)  # batching window, not synchronisation
        try:
            await self.flush()
        except Exception:  # the next event schedules another attempt
            log.exception("audit.flush_failed", queued=len(self._buffer))

    async def flush(self) -> None:
        async with self._lock:
            if not self._buffer:
                return
            batch, self._buffer = self._buffer, []
            try:
                async with self._engine.begin() as conn:
                    if conn.dialect.name == "sqlite":
                        # Values as SQLAlchemy's DateTime and JSON types store them, made
                        # here: its per-row processing costs ~10 µs of the loop's time
                        # per event, one event per step.
                        await conn.exec_driver_sql(
                            _SQLITE_INSERT,
                            [
                                (
                                    e.session_id,
                                    e.user_id,
                                    e.session_type,
                                    e.event,
                                    e.step,
                                    sqlite_time(e.at),
                                    "null" if e.detail is None else json.dumps(e.detail),
                                )
                                for e in batch
                            ],
                        )
                        return
                    if conn.dialect.name == "postgresql":
                        # COPY on the driver's connection: a flush of 650 events took
                        # 7-12 ms of the loop's CPU through SQLAlchemy's executemany and
                        # ~3.5 ms so (measured); every update in flight waits for it.
                        # JSON as SQLAlchemy's JSON type writes it (None is JSON null).
                        driver: Any = (await conn.get_raw_connection()).driver_connection
                        await driver.copy_records_to_table(
                            "durable_session_events",
                            columns=_EVENT_COLUMNS,
                            records=[
                                (
                                    e.session_id,
                                    e.user_id,
                                    e.session_type,
                                    e.event,
                                    e.step,
                                    e.at,
                                    json.dumps(e.detail),
                                )
                                for e in batch
                            ],
                        )
                        return
                    await conn.execute(
                        insert(events),
                        [
                            {
                                "session_id": e.session_id,
                                "user_id": e.user_id,
                                "session_type": e.session_type,
                                "event": e.event,
                                "step": e.step,
                                "at": e.at,
                                "detail": e.detail,
                            }
                            for e in batch
                        ],
                    )
            except BaseException:
                self._buffer[:0] = batch
                raise

    async def database_identity(self) -> str:
        """Which database the events go to, in the terms of ``AuditingSweep``."""
        async with self._engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                # The absolute path SQLite opened, as the store's connection reports it.
                rows: list[Any] = list(await conn.exec_driver_sql("PRAGMA database_list"))
                path = next((str(r[2]) for r in rows if r[1] == "main"), "")
                # An in-memory database ('') is never another connection's.
                return f"sqlite:{path or id(self)}"
            if conn.dialect.name == "postgresql":
                from aiogram_durable.postgres import DATABASE_IDENTITY

                return f"postgresql:{(await conn.exec_driver_sql(DATABASE_IDENTITY)).scalar()}"
        return f"{self._engine.url.get_backend_name()}:?"

    async def recent(self, limit: int = 20) -> list[AuditEvent]:
        await self.flush()
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(select(events).order_by(events.c.id.desc()).limit(limit))
            ).all()
        return [
            AuditEvent(
                session_id=r.session_id,
                user_id=r.user_id,
                session_type=r.session_type,
                event=r.event,
                step=r.step,
                at=r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC),
                detail=r.detail,
            )
            for r in rows
        ]

    async def latest_note(self, session_id: str, name: str) -> Any:
        await self.flush()
        async with self._engine.connect() as conn:
            details = (
                await conn.execute(
                    select(events.c.detail)
                    .where(events.c.session_id == session_id)
                    .order_by(events.c.id.desc())
                    .limit(_NOTE_SEARCH_LIMIT)
                )
            ).scalars()
            for detail in details:
                if isinstance(detail, dict) and name in detail:
                    return detail[name]
        return None

    async def close(self) -> None:
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        try:
            await self.flush()
        except Exception:
            log.exception("audit.flush_failed_on_close", lost=len(self._buffer))
