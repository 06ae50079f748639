"""The ``SessionStore`` contract every backend implements, and the behaviour they share."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from aiogram_durable.clock import Clock
from aiogram_durable.model import JsonDict, SessionKey, SessionRecord, encode_data


def new_session_id() -> str:
    """A random 32-character hex id."""
    return uuid.uuid4().hex


class SessionStore(ABC):
    """Durable, expiring, versioned sessions.

    Every backend behaves identically (one contract suite runs on all of them):

    * An expired session (``now >= expires_at`` by the injected clock) is invisible to
      ``get``, ``list_active`` and ``count_by_type`` at once, swept or not.
    * ``save`` writes step and data together with compare-and-set on ``(id, version)``.
    * ``sweep`` removes expired sessions and returns each one exactly once, even when
      several processes sweep at the same time.
    * A record that cannot be decoded is removed and reported as ``CorruptSession``.
    """

    # True where a call runs on the event loop's thread (SQLite): the sweeper then keeps
    # each batch short, so updates do not wait behind it.
    blocks_event_loop: bool = False

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    # -- reading ---------------------------------------------------------------------

    @abstractmethod
    async def get(self, key: SessionKey) -> SessionRecord | None:
        """The active session of ``key``, or None (also when it has expired).

        Raises:
            CorruptSession: the stored record was undecodable and has been removed.
        """

    @abstractmethod
    async def get_by_id(self, session_id: str) -> SessionRecord | None:
        """The active session with ``session_id``, or None."""

    @abstractmethod
    async def list_active(
        self, *, session_type: str | None = None, user_id: int | None = None, limit: int = 1000
    ) -> list[SessionRecord]:
        """Active sessions, oldest first, optionally of one type or user."""

    @abstractmethod
    async def count_by_type(self) -> dict[str, int]:
        """The number of active sessions per session type."""

    # -- writing ---------------------------------------------------------------------

    async def insert(self, session: SessionRecord, *, replace: bool) -> SessionRecord | None:
        """Store a new session; returns the session it displaced, if any.

        An expired session under the key is always displaced. An active one is
        displaced when ``replace`` is true; otherwise ``SessionExists`` is raised with it.
        """
        data_json = encode_data(session.data, session.applied_updates)
        return await self._insert(session, data_json, replace=replace)

    async def save(
        self,
        session: SessionRecord,
        *,
        step: str | None,
        data: JsonDict,
        ttl: timedelta,
        applied_updates: tuple[int, ...] | None = None,
    ) -> SessionRecord:
        """Write step and data together, compare-and-set on ``(session.id, session.version)``.

        Slides ``expires_at`` to now + ``ttl``. ``applied_updates`` (default: the
        session's own) is written in the same write.

        Raises:
            VersionConflict: the stored version differs.
            SessionNotFound: the session is gone or expired.
            SessionDataError: ``data`` is not JSON or is over the size limit.
        """
        applied = session.applied_updates if applied_updates is None else applied_updates
        data_json = encode_data(data, applied)
        now = self.clock.now()
        session = session.with_changes(applied_updates=applied)
        return await self._save(session, step, data, data_json, now, now + ttl)

    @abstractmethod
    async def _insert(
        self, session: SessionRecord, data_json: str, *, replace: bool
    ) -> SessionRecord | None: ...

    @abstractmethod
    async def _save(
        self,
        session: SessionRecord,
        step: str | None,
        data: JsonDict,
        data_json: str,
        now: datetime,
        expires_at: datetime,
    ) -> SessionRecord: ...

    @abstractmethod
    async def delete(self, key: SessionKey, session_id: str | None = None) -> SessionRecord | None:
        """Remove the session of ``key`` (only if its id is ``session_id`` when given).

        Returns what was removed, expired or not, or None.
        """

    @abstractmethod
    async def delete_many(
        self, *, user_id: int | None = None, session_type: str | None = None
    ) -> list[SessionRecord]:
        """Remove every session of a user, of a type, or all (no filter); returns them."""

    @abstractmethod
    async def sweep(self, limit: int) -> list[SessionRecord]:
        """Remove up to ``limit`` expired sessions; each is returned by exactly one caller."""

    # -- lifecycle -------------------------------------------------------------------

    async def ping(self) -> None:  # noqa: B027 - optional for in-process stores
        """Raise if the backend is unreachable (readiness checks)."""

    async def close(self) -> None:  # noqa: B027 - optional for in-process stores
        """Release connections."""

    def reset_connections(self) -> None:  # noqa: B027 - optional for in-process stores
        """Drop pooled connections after an outage, so the next call opens fresh ones."""

    # -- shared behaviour --------------------------------------------------------------

    def new_session(
        self,
        key: SessionKey,
        session_type: str,
        *,
        schema_version: int,
        step: str | None,
        data: JsonDict,
        ttl: timedelta,
        session_id: str | None = None,
        applied_updates: tuple[int, ...] = (),
    ) -> SessionRecord:
        """Build (not store) a fresh session at version 1."""
        now = self.clock.now()
        return SessionRecord(
            id=session_id or new_session_id(),
            key=key,
            session_type=session_type,
            schema_version=schema_version,
            step=step,
            data=data,
            created_at=now,
            updated_at=now,
            expires_at=now + ttl,
            version=1,
            applied_updates=applied_updates,
        )
