"""``SessionManager``: the single entry point to sessions.

The bot, the CLI and the web side all go through it. It wraps a ``SessionStore``,
turns undecodable or outdated records into "no session", and writes the audit trail
plus one structured log line per lifecycle event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from aiogram_durable.audit import AuditEvent, AuditLog, EventKind, SqlAuditLog
from aiogram_durable.expired import SWEEPER_DETAIL, AuditingSweep
from aiogram_durable.logs import get_logger
from aiogram_durable.model import CorruptSession, JsonDict, SessionKey, SessionRecord
from aiogram_durable.store import SessionStore
from aiogram_durable.types import SessionType, SessionTypes

log = get_logger("aiogram_durable")

EventListener = Callable[[AuditEvent], None]

# The level of each event's log line (others: INFO).
_LEVELS: dict[str, int] = {
    "step": logging.DEBUG,
    "corrupt": logging.WARNING,
    "incompatible": logging.WARNING,
}


class SessionManager:
    """Lifecycle of sessions: start, step, finish, cancel, clear, sweep."""

    def __init__(
        self,
        store: SessionStore,
        types: SessionTypes,
        audit: AuditLog,
        *,
        default_ttl: timedelta,
    ) -> None:
        self.store = store
        self.types = types
        self.audit = audit
        self.default_ttl = default_ttl
        self._listeners: list[EventListener] = []
        # Session reads by key since start (the store load of updates; a metric).
        self.reads = 0

    @property
    def clock(self) -> Any:
        """The store's clock."""
        return self.store.clock

    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener`` for every audit event (metrics subscribe here)."""
        self._listeners.append(listener)

    def ttl_of(self, session_type: str) -> timedelta:
        """The inactivity timeout of a session type."""
        spec = self.types.get(session_type)
        return spec.ttl if spec is not None and spec.ttl is not None else self.default_ttl

    # -- reading -------------------------------------------------------------------------

    async def get(self, key: SessionKey) -> SessionRecord | None:
        """The active, usable session of ``key``; None for missing, expired, corrupt or
        incompatible ones (the last two are removed and audited)."""
        self.reads += 1
        try:
            session = await self.store.get(key)
        except CorruptSession as exc:
            self._emit_raw(
                exc.session_id or "?", key.user_id, "?", "corrupt", None, {"reason": exc.reason}
            )
            return None
        if session is None:
            return None
        return await self._check_type(session)

    async def _check_type(self, session: SessionRecord) -> SessionRecord | None:
        spec = self.types.get(session.session_type)
        if spec is None:
            await self.store.delete(session.key, session.id)
            self._emit(session, "corrupt", {"reason": "unknown session type"})
            return None
        if not spec.accepts(session.schema_version, session.step):
            await self.store.delete(session.key, session.id)
            self._emit(
                session,
                "incompatible",
                {
                    "stored_schema": session.schema_version,
                    "current_schema": spec.schema_version,
                },
            )
            return None
        return session

    async def get_by_id(self, session_id: str) -> SessionRecord | None:
        """The active session with this id, or None."""
        return await self.store.get_by_id(session_id)

    async def list_active(
        self, *, session_type: str | None = None, user_id: int | None = None, limit: int = 1000
    ) -> list[SessionRecord]:
        """Active sessions, oldest first."""
        return await self.store.list_active(session_type=session_type, user_id=user_id, limit=limit)

    async def count_by_type(self) -> dict[str, int]:
        """Active sessions per type (every registered type appears, with 0 if none)."""
        counts = dict.fromkeys(self.types.names(), 0)
        counts.update(await self.store.count_by_type())
        return counts

    async def recent_events(self, limit: int = 20) -> list[AuditEvent]:
        """The newest audit events, newest first."""
        return await self.audit.recent(limit)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(
        self,
        key: SessionKey,
        session_type: str,
        *,
        step: str | None = None,
        data: JsonDict | None = None,
        replace: bool = False,
        session_id: str | None = None,
        applied_updates: tuple[int, ...] = (),
        announce: bool = True,
    ) -> SessionRecord:
        """Open a session of ``session_type`` for ``key``.

        With ``replace`` false, an active session makes this raise ``SessionExists``
        carrying it; with ``replace`` true that session is cancelled and replaced.
        With ``announce`` false the caller records the ``started`` event itself
        (``announce``), later, with what it learnt meanwhile.
        """
        spec: SessionType = self.types.require(session_type)
        session = self.store.new_session(
            key,
            session_type,
            schema_version=spec.schema_version,
            step=step,
            data=data or {},
            ttl=self.ttl_of(session_type),
            session_id=session_id,
            applied_updates=applied_updates,
        )
        displaced = await self.store.insert(session, replace=replace)
        if displaced is not None:
            if displaced.is_expired(session.created_at):
                self._emit(displaced, "expired", {"found_by": "start"})
            else:
                self._emit(displaced, "cancelled", {"replaced_by": session.id})
        if announce:
            self._emit(session, "started")
        return session

    async def save(
        self,
        session: SessionRecord,
        *,
        step: str | None,
        data: JsonDict,
        applied_updates: tuple[int, ...] | None = None,
        announce: bool = True,
    ) -> SessionRecord:
        """Write the next step and its data (compare-and-set), sliding the expiry.

        With ``announce`` false the caller records the ``step`` event itself."""
        saved = await self.store.save(
            session,
            step=step,
            data=data,
            ttl=self.ttl_of(session.session_type),
            applied_updates=applied_updates,
        )
        if announce:
            self._emit(saved, "step")
        return saved

    async def finish(self, session: SessionRecord) -> bool:
        """End a session that reached its goal; False when it was already gone."""
        return await self._end(session, "completed")

    async def cancel(self, session: SessionRecord, *, by: int | None = None) -> bool:
        """End a session the user abandoned; False when it was already gone."""
        return await self._end(session, "cancelled", by)

    async def _end(self, session: SessionRecord, event: EventKind, by: int | None = None) -> bool:
        removed = await self.store.delete(session.key, session.id)
        if removed is None:
            return False
        if removed.is_expired(self.clock.now()):
            self._emit(removed, "expired", {"found_by": event})
            return False
        self._emit(removed, event, {"by": by} if by is not None else None)
        return True

    async def clear(
        self,
        *,
        key: SessionKey | None = None,
        user_id: int | None = None,
        session_type: str | None = None,
        everything: bool = False,
        by: int | str | None = None,
    ) -> list[SessionRecord]:
        """Recovery: remove sessions by key, by user, by type, or all; audited as cleared.

        Exactly one selector must be given (``everything=True`` for all).
        """
        chosen = sum(x is not None for x in (key, user_id, session_type)) + int(everything)
        if chosen != 1:
            raise ValueError("give exactly one of key, user_id, session_type or everything")
        if key is not None:
            one = await self.store.delete(key)
            removed = [one] if one is not None else []
        else:
            removed = await self.store.delete_many(user_id=user_id, session_type=session_type)
        for session in removed:
            self._emit(session, "cleared", {"by": by})
        return removed

    async def clear_by_id(
        self, session_id: str, *, by: int | str | None = None
    ) -> SessionRecord | None:
        """Remove one session by id; audited as cleared."""
        session = await self.store.get_by_id(session_id)
        if session is None:
            return None
        removed = await self.store.delete(session.key, session_id)
        if removed is not None:
            self._emit(removed, "cleared", {"by": by})
        return removed

    # Whether the store audits its sweeps itself (same database as the audit log);
    # None until the first sweep asks.
    _store_audits_sweep: bool | None = None

    async def sweep(self, *, batch_size: int = 500) -> Sequence[SessionRecord]:
        """Remove one batch of expired sessions; each is audited as expired.

        Where the store's database also holds the audit trail, the batch and its
        ``expired`` events are written in one transaction by the store and the sessions
        come back undecoded until looked at (``ExpiredSessions``); elsewhere each is
        recorded through the audit log.
        """
        if await self._sweep_audited_by_store():
            assert isinstance(self.store, AuditingSweep)
            # Queued events first, so the trail keeps its order (ids grow with time).
            await self.audit.flush()
            batch = await self.store.sweep_audited(batch_size, self.clock.now(), SWEEPER_DETAIL)
            # Log lines and listeners cost a few µs a session: only when someone is there.
            if self._listeners or log.logger.isEnabledFor(logging.INFO):
                for session_id, user_id, session_type, step in batch.summaries():
                    self._emit_raw(
                        session_id,
                        user_id,
                        session_type,
                        "expired",
                        step,
                        dict(SWEEPER_DETAIL),
                        audited=True,
                    )
            return batch
        expired = await self.store.sweep(batch_size)
        for session in expired:
            self._emit(session, "expired", dict(SWEEPER_DETAIL))
        return expired

    async def _sweep_audited_by_store(self) -> bool:
        if self._store_audits_sweep is None:
            audit, store = self.audit, self.store
            self._store_audits_sweep = (
                isinstance(audit, SqlAuditLog)
                and isinstance(store, AuditingSweep)
                and await audit.database_identity() == await store.database_identity()
            )
        return self._store_audits_sweep

    # -- events ------------------------------------------------------------------------------

    def announce(
        self, session: SessionRecord, event: EventKind, detail: dict[str, Any] | None = None
    ) -> None:
        """Record an event the caller deferred (``start``/``save`` with ``announce=False``)."""
        self._emit(session, event, detail)

    async def latest_note(self, session_id: str, name: str) -> Any:
        """The newest value a step of this session noted under ``name``, or None."""
        return await self.audit.latest_note(session_id, name)

    def _emit(
        self, session: SessionRecord, event: EventKind, detail: dict[str, Any] | None = None
    ) -> None:
        # What ``_emit_raw`` does, without a second call: this runs on every written step.
        record = AuditEvent(
            session.id,
            session.key.user_id,
            session.session_type,
            event,
            session.step,
            self.clock.now(),
            detail,
        )
        self.audit.record(record)
        self._log_and_tell(record)

    def _emit_raw(
        self,
        session_id: str,
        user_id: int,
        session_type: str,
        event: EventKind,
        step: str | None,
        detail: dict[str, Any] | None,
        *,
        audited: bool = False,
    ) -> None:
        """Record an event (``audited``: the store has written its row already: only log
        it and tell listeners)."""
        record = AuditEvent(
            session_id, user_id, session_type, event, step, self.clock.now(), detail
        )
        if not audited:
            self.audit.record(record)
        self._log_and_tell(record)

    def _log_and_tell(self, record: AuditEvent) -> None:
        event, detail = record.event, record.detail
        # The line's fields are only gathered when it will be written (steps log at
        # DEBUG, which production leaves off).
        if log.logger.isEnabledFor(_LEVELS.get(event, logging.INFO)):
            level = (
                log.debug
                if event == "step"
                else (log.warning if event in ("corrupt", "incompatible") else log.info)
            )
            level(
                f"session.{event}",
                session_id=record.session_id,
                user_id=record.user_id,
                session_type=record.session_type,
                step=record.step,
                **(detail or {}),
            )
        for listener in self._listeners:
            listener(record)
