"""Durable, expiring, versioned admin sessions (the product's core)."""

from diana_bot.sessions.audit import AuditEvent, AuditLog, MemoryAuditLog, SqlAuditLog
from diana_bot.sessions.backends import SessionBackend, open_backend
from diana_bot.sessions.fsm import (
    SessionIsolation,
    SessionStorage,
    cancel_flow,
    finish_flow,
    session_id_of,
    session_of,
)
from diana_bot.sessions.manager import SessionManager
from diana_bot.sessions.model import (
    AdminSession,
    CorruptSession,
    SessionDataError,
    SessionError,
    SessionExists,
    SessionKey,
    SessionNotFound,
    VersionConflict,
)
from diana_bot.sessions.redelivery import SkipAppliedUpdates
from diana_bot.sessions.store import SessionStore
from diana_bot.sessions.sweeper import Sweeper
from diana_bot.sessions.types import SessionType, SessionTypes

__all__ = [
    "AdminSession",
    "AuditEvent",
    "AuditLog",
    "CorruptSession",
    "MemoryAuditLog",
    "SessionBackend",
    "SessionDataError",
    "SessionError",
    "SessionExists",
    "SessionIsolation",
    "SessionKey",
    "SessionManager",
    "SessionNotFound",
    "SessionStorage",
    "SessionStore",
    "SessionType",
    "SessionTypes",
    "SkipAppliedUpdates",
    "SqlAuditLog",
    "Sweeper",
    "VersionConflict",
    "cancel_flow",
    "finish_flow",
    "open_backend",
    "session_id_of",
    "session_of",
]
