"""In-process store: for unit tests and the benchmark, not a production setting."""

from __future__ import annotations

from datetime import datetime

from aiogram_durable.clock import Clock
from aiogram_durable.model import (
    JsonDict,
    SessionExists,
    SessionKey,
    SessionNotFound,
    SessionRecord,
    VersionConflict,
    decode_data,
)
from aiogram_durable.store import SessionStore


class MemorySessionStore(SessionStore):
    """Sessions in a dict, data kept as encoded JSON so it behaves like the others."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._rows: dict[SessionKey, tuple[SessionRecord, str]] = {}

    def _load(self, row: tuple[SessionRecord, str]) -> SessionRecord:
        # Decode on read: callers never share a mutable dict with the store.
        session, data_json = row
        data, applied = decode_data(data_json)
        return session.with_changes(data=data, applied_updates=applied)

    async def get(self, key: SessionKey) -> SessionRecord | None:
        row = self._rows.get(key)
        if row is None or row[0].is_expired(self.clock.now()):
            return None
        return self._load(row)

    async def get_by_id(self, session_id: str) -> SessionRecord | None:
        now = self.clock.now()
        for row in self._rows.values():
            if row[0].id == session_id and not row[0].is_expired(now):
                return self._load(row)
        return None

    async def list_active(
        self, *, session_type: str | None = None, user_id: int | None = None, limit: int = 1000
    ) -> list[SessionRecord]:
        now = self.clock.now()
        found = [
            self._load(row)
            for row in self._rows.values()
            if not row[0].is_expired(now)
            and (session_type is None or row[0].session_type == session_type)
            and (user_id is None or row[0].key.user_id == user_id)
        ]
        found.sort(key=lambda s: (s.created_at, s.id))
        return found[:limit]

    async def count_by_type(self) -> dict[str, int]:
        now = self.clock.now()
        counts: dict[str, int] = {}
        for session, _ in self._rows.values():
            if not session.is_expired(now):
                counts[session.session_type] = counts.get(session.session_type, 0) + 1
        return counts

    async def _insert(
        self, session: SessionRecord, data_json: str, *, replace: bool
    ) -> SessionRecord | None:
        old = self._rows.get(session.key)
        displaced = self._load(old) if old is not None else None
        if displaced is not None and not replace and not displaced.is_expired(self.clock.now()):
            raise SessionExists(displaced)
        self._rows[session.key] = (session, data_json)
        return displaced

    async def _save(
        self,
        session: SessionRecord,
        step: str | None,
        data: JsonDict,
        data_json: str,
        now: datetime,
        expires_at: datetime,
    ) -> SessionRecord:
        row = self._rows.get(session.key)
        if row is None or row[0].id != session.id or row[0].is_expired(now):
            raise SessionNotFound(session.key, session.id)
        if row[0].version != session.version:
            raise VersionConflict(session.key, session.version, row[0].version)
        saved = row[0].with_changes(
            step=step,
            data=data,
            updated_at=now,
            expires_at=expires_at,
            version=session.version + 1,
            applied_updates=session.applied_updates,
        )
        self._rows[session.key] = (saved, data_json)
        return self._load((saved, data_json))

    async def delete(self, key: SessionKey, session_id: str | None = None) -> SessionRecord | None:
        row = self._rows.get(key)
        if row is None or (session_id is not None and row[0].id != session_id):
            return None
        del self._rows[key]
        return self._load(row)

    async def delete_many(
        self, *, user_id: int | None = None, session_type: str | None = None
    ) -> list[SessionRecord]:
        doomed = [
            key
            for key, (session, _) in self._rows.items()
            if (user_id is None or key.user_id == user_id)
            and (session_type is None or session.session_type == session_type)
        ]
        return [self._load(self._rows.pop(key)) for key in doomed]

    async def sweep(self, limit: int) -> list[SessionRecord]:
        now = self.clock.now()
        expired = sorted(
            (row for row in self._rows.values() if row[0].is_expired(now)),
            key=lambda row: row[0].expires_at,
        )[:limit]
        for session, _ in expired:
            del self._rows[session.key]
        return [self._load(row) for row in expired]
