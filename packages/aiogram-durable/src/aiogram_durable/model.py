"""The session record and its key: plain frozen values shared by every backend."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeAlias

# Session data is JSON only (STYLE point 5): what one backend keeps, every backend keeps.
JsonDict: TypeAlias = dict[str, Any]

MAX_DATA_BYTES = 64 * 1024

# The ids of the last updates applied to a session travel inside its stored data, under
# a key of their own: written in the same write as the step they produced, so "applied"
# and "step N+1" are durable together, with no schema change on any backend.
APPLIED_UPDATES_KEY = "__applied_updates__"
# Membership only (update ids need not be sequential); redeliveries come soon after.
MAX_APPLIED_UPDATES = 20


# aiogram's ``DEFAULT_DESTINY``, repeated so the store does not need aiogram.
DEFAULT_DESTINY = "default"


@dataclass(frozen=True, slots=True)
class SessionKey:
    """Who a session belongs to: every field of aiogram's ``StorageKey``.

    ``thread_id`` (a forum topic), ``business_connection_id`` and ``destiny`` (aiogram
    Scenes and aiogram_dialog keep their own records under other destinies) keep
    sessions apart like bot, chat and user do. Stores keep those three as one text
    column, ``scope``: '' in the usual case (no topic, no business connection, the
    default destiny), else a JSON list; one text keeps the unique key free of NULLs,
    which SQL would count as all different.
    """

    bot_id: int
    chat_id: int
    user_id: int
    thread_id: int | None = None
    business_connection_id: str | None = None
    destiny: str = DEFAULT_DESTINY

    @property
    def scope(self) -> str:
        """The fields beyond (bot, chat, user) as one stored text; '' for none."""
        if (
            self.thread_id is None
            and self.business_connection_id is None
            and self.destiny == DEFAULT_DESTINY
        ):
            return ""
        return json.dumps(
            [self.thread_id, self.business_connection_id, self.destiny],
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_parts(cls, bot_id: Any, chat_id: Any, user_id: Any, scope: str) -> SessionKey:
        """The key of stored parts; ValueError when ``scope`` is not one ``scope`` wrote."""
        if not scope:
            return cls(int(bot_id), int(chat_id), int(user_id))
        parts = json.loads(scope)
        if not isinstance(parts, list) or len(parts) != 3:
            raise ValueError(f"unreadable key scope {scope!r}")
        thread, business, destiny = parts
        if not (thread is None or (isinstance(thread, int) and not isinstance(thread, bool))):
            raise ValueError(f"unreadable key scope {scope!r}")
        if not (business is None or isinstance(business, str)) or not isinstance(destiny, str):
            raise ValueError(f"unreadable key scope {scope!r}")
        return cls(int(bot_id), int(chat_id), int(user_id), thread, business, destiny)

    @classmethod
    def parse(cls, text: str) -> SessionKey:
        """Inverse of ``str(key)``; ValueError on anything else."""
        bot, chat, user, *scope = text.split(":", 3)
        return cls.from_parts(bot, chat, user, scope[0] if scope else "")

    def __str__(self) -> str:
        base = f"{self.bot_id}:{self.chat_id}:{self.user_id}"
        scope = self.scope
        return f"{base}:{scope}" if scope else base


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One conversation: its type, step, JSON data, times and version.

    ``version`` starts at 1 and grows by one on every save; saves are compare-and-set
    on ``(id, version)``. A session is expired from ``expires_at`` on (inclusive).
    """

    id: str
    key: SessionKey
    session_type: str
    schema_version: int
    step: str | None
    data: JsonDict
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    version: int
    # Update ids whose effect this version already holds (newest last).
    applied_updates: tuple[int, ...] = ()

    def is_expired(self, now: datetime) -> bool:
        """True from ``expires_at`` on."""
        return now >= self.expires_at

    def with_changes(self, **changes: Any) -> SessionRecord:
        """A copy with some fields replaced."""
        # ``dataclasses.replace`` would look the fields up again on every call.
        for name in _RECORD_FIELDS:
            if name not in changes:
                changes[name] = getattr(self, name)
        return SessionRecord(**changes)


_RECORD_FIELDS = tuple(f.name for f in fields(SessionRecord))


class SessionError(Exception):
    """Base of the session store's errors."""


class SessionNotFound(SessionError):
    """No active session where one was expected (finished, cleared or expired)."""

    def __init__(self, key: SessionKey, session_id: str | None = None) -> None:
        super().__init__(f"no active session {session_id or ''} for {key}".replace("  ", " "))
        self.key = key
        self.session_id = session_id


class VersionConflict(SessionError):
    """A compare-and-set save found another version: somebody else wrote first."""

    def __init__(self, key: SessionKey, expected: int, actual: int) -> None:
        super().__init__(f"session {key}: expected version {expected}, found {actual}")
        self.key = key
        self.expected = expected
        self.actual = actual


class SessionExists(SessionError):
    """Starting a session was refused because another one is active for the key."""

    def __init__(self, existing: SessionRecord) -> None:
        super().__init__(f"session {existing.id} ({existing.session_type}) is active")
        self.existing = existing


class SessionDataError(SessionError):
    """Session data that is not a JSON object or is too large."""


class CorruptSession(SessionError):
    """A stored record could not be decoded; the store has already removed it."""

    def __init__(self, key: SessionKey, session_id: str | None, reason: str) -> None:
        super().__init__(f"corrupt session {session_id} for {key}: {reason}")
        self.key = key
        self.session_id = session_id
        self.reason = reason


def with_applied(applied: tuple[int, ...], update_id: int | None) -> tuple[int, ...]:
    """``applied`` plus ``update_id``, keeping the newest ``MAX_APPLIED_UPDATES``."""
    if update_id is None or update_id in applied:
        return applied
    return (*applied, update_id)[-MAX_APPLIED_UPDATES:]


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
# ``json.dumps`` with options builds an encoder per call; this C encoder is built once.
# No cycle check (markers None): a self-containing value ends in RecursionError instead.
_make_encoder: Any = json.encoder.c_make_encoder  # type: ignore[attr-defined]
_c_encode: Any = (
    _make_encoder(
        None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )
    if _make_encoder is not None
    else None
)


def _to_json(value: JsonDict) -> str:
    if _c_encode is None:
        return _compact.encode(value)
    chunks: list[str] = _c_encode(value, 0)
    return "".join(chunks)


def encode_data(data: JsonDict, applied: tuple[int, ...] = (), limit: int = MAX_DATA_BYTES) -> str:
    """Encode session data (and the applied update ids) as compact JSON, refusing
    non-JSON values, the reserved key and big payloads."""
    if not isinstance(data, dict):
        raise SessionDataError("session data must be a JSON object")
    if APPLIED_UPDATES_KEY in data:
        raise SessionDataError(f"the key {APPLIED_UPDATES_KEY!r} is reserved")
    payload = {**data, APPLIED_UPDATES_KEY: list(applied)} if applied else data
    try:
        text = _to_json(payload)
    except (TypeError, ValueError, RecursionError) as exc:
        raise SessionDataError(f"session data is not JSON: {exc}") from None
    # A UTF-8 character takes at most 4 bytes: only count bytes when it could matter.
    if len(text) * 4 > limit:
        size = len(text.encode())
        if size > limit:
            raise SessionDataError(f"session data is {size} bytes; the limit is {limit} bytes")
    return text


def decode_data(text: str | bytes) -> tuple[JsonDict, tuple[int, ...]]:
    """Decode stored session data into ``(data, applied update ids)``; ValueError when
    it is not a JSON object or the ids are not integers."""
    value: Any = None
    if isinstance(text, str):
        # The scanner alone: ``json.loads`` adds two Python calls and a regex match.
        try:
            value, end = _scan(text, 0)
        except StopIteration:
            end = -1
        if end != len(text):
            value = None
    if value is None:
        value = json.loads(text)  # what the scanner did not take whole (or its error)
    if type(value) is not dict:
        raise ValueError("session data is not a JSON object")
    applied = value.pop(APPLIED_UPDATES_KEY, _ABSENT)
    if applied is _ABSENT:
        return value, ()
    # JSON gives exact ints: ``type is int`` also rules out booleans.
    if type(applied) is not list or any(type(i) is not int for i in applied):
        raise ValueError("applied update ids are not a list of integers")
    return value, tuple(applied)


_scan: Any = json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]
_ABSENT = object()
