"""Durable, expiring, versioned FSM sessions for aiogram 3 on SQLite, PostgreSQL and Redis.

Quick start::

    durable = await aiogram_durable.connect("sqlite:///bot.db")
    dp = Dispatcher(**durable.fsm)
    durable.setup(dp, bot)

The public API: every name importable from here, plus the modules ``schema``
(tables and migrations), ``urls`` (backend URLs) and ``testing`` (throwaway servers).
Other submodules are implementation and may change in any release.
"""

from aiogram_durable.audit import (
    EVENT_KINDS,
    AuditEvent,
    AuditLog,
    EventKind,
    MemoryAuditLog,
    SqlAuditLog,
)
from aiogram_durable.backends import SessionBackend, open_backend
from aiogram_durable.clock import Clock, FakeClock, SystemClock
from aiogram_durable.durable import Durable, audit_engine, connect
from aiogram_durable.files import create_private_file
from aiogram_durable.fsm import (
    DEFAULT_SESSION_TYPE,
    FlushBeforeSend,
    SessionIsolation,
    SessionStorage,
    UpdatesInHand,
    cancel_flow,
    finish_flow,
    note_step,
    session_id_of,
    session_of,
)
from aiogram_durable.locks import KeyLocks, LocalKeyLocks
from aiogram_durable.manager import SessionManager
from aiogram_durable.memory import MemorySessionStore
from aiogram_durable.model import (
    CorruptSession,
    JsonDict,
    SessionDataError,
    SessionError,
    SessionExists,
    SessionKey,
    SessionNotFound,
    SessionRecord,
    VersionConflict,
)
from aiogram_durable.pg_locks import PostgresKeyLocks
from aiogram_durable.postgres import PostgresSessionStore
from aiogram_durable.redelivery import SkipAppliedUpdates
from aiogram_durable.redis import RedisSessionStore
from aiogram_durable.redis_locks import RedisKeyLocks
from aiogram_durable.sqlite import SqliteSessionStore
from aiogram_durable.store import SessionStore, new_session_id
from aiogram_durable.sweeper import ExpiryHook, Sweeper
from aiogram_durable.types import SessionType, SessionTypes

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SESSION_TYPE",
    "EVENT_KINDS",
    "AuditEvent",
    "AuditLog",
    "Clock",
    "CorruptSession",
    "Durable",
    "EventKind",
    "ExpiryHook",
    "FakeClock",
    "FlushBeforeSend",
    "JsonDict",
    "KeyLocks",
    "LocalKeyLocks",
    "MemoryAuditLog",
    "MemorySessionStore",
    "PostgresKeyLocks",
    "PostgresSessionStore",
    "RedisKeyLocks",
    "RedisSessionStore",
    "SessionBackend",
    "SessionDataError",
    "SessionError",
    "SessionExists",
    "SessionIsolation",
    "SessionKey",
    "SessionManager",
    "SessionNotFound",
    "SessionRecord",
    "SessionStorage",
    "SessionStore",
    "SessionType",
    "SessionTypes",
    "SkipAppliedUpdates",
    "SqlAuditLog",
    "SqliteSessionStore",
    "Sweeper",
    "SystemClock",
    "UpdatesInHand",
    "VersionConflict",
    "__version__",
    "audit_engine",
    "cancel_flow",
    "connect",
    "create_private_file",
    "finish_flow",
    "new_session_id",
    "note_step",
    "open_backend",
    "session_id_of",
    "session_of",
]
