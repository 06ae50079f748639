"""Turning stored rows into sessions, shared by the SQL and Redis backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiogram_durable.model import SessionKey, SessionRecord, decode_data


def _same(value: datetime) -> datetime:
    return value


def sqlite_time(value: datetime) -> str:
    """The fixed-width text SQLAlchemy also writes, so text order is time order."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # One C call: an aware UTC time's text ends in "+00:00", which the column omits.
    return value.isoformat(" ", "microseconds")[:-6]


def parse_sqlite_time(value: str) -> datetime:
    """Inverse of ``sqlite_time``: an aware UTC datetime."""
    # Parsing the offset is ~7x cheaper than ``.replace(tzinfo=UTC)`` afterwards.
    return datetime.fromisoformat(value + "+00:00")


def session_from_row(
    key: SessionKey,
    row: tuple[Any, ...] | Any,
    parse_time: Any = None,
) -> SessionRecord:
    """Build a session from ``(id, type, schema_version, step, data, created, updated,
    expires, version)``; raises ValueError/TypeError/KeyError on anything undecodable."""
    sid, stype, schema, step, data, created, updated, expires, version = row
    if parse_time is not None:
        created, updated, expires = parse_time(created), parse_time(updated), parse_time(expires)
    if not isinstance(sid, str) or not isinstance(stype, str) or not stype:
        raise ValueError("missing id or session type")
    values, applied = decode_data(data)
    return SessionRecord(
        id=sid,
        key=key,
        session_type=stype,
        schema_version=int(schema),
        step=step,
        data=values,
        created_at=created,
        updated_at=updated,
        expires_at=expires,
        version=int(version),
        applied_updates=applied,
    )


def session_from_sqlite_row(key: SessionKey, row: tuple[Any, ...]) -> SessionRecord:
    """``session_from_row`` for a SQLite row of ``schema.KEYED_COLUMNS`` (times as
    ``sqlite_time`` text), inlined: this runs on every update."""
    _, _, _, sid, stype, schema, step, data, created, updated, expires, version, _ = row
    if not isinstance(sid, str) or not isinstance(stype, str) or not stype:
        raise ValueError("missing id or session type")
    values, applied = decode_data(data)
    parse = datetime.fromisoformat
    return SessionRecord(
        sid,
        key,
        stype,
        int(schema),
        step,
        values,
        parse(created + "+00:00"),
        parse(updated + "+00:00"),
        parse(expires + "+00:00"),
        int(version),
        applied,
    )


def insert_values(
    session: SessionRecord, data_json: str, encode_time: Callable[[datetime], Any] = _same
) -> tuple[Any, ...]:
    """A session's values in the SQL stores' INSERT column order (``encode_time`` for
    backends that store times as text)."""
    key = session.key
    created = encode_time(session.created_at)
    # A new session was created and updated at one instant: encode it once.
    same = session.updated_at is session.created_at
    return (
        key.bot_id,
        key.chat_id,
        key.user_id,
        key.scope,
        session.id,
        session.session_type,
        session.schema_version,
        session.step,
        data_json,
        created,
        created if same else encode_time(session.updated_at),
        encode_time(session.expires_at),
        session.version,
    )
