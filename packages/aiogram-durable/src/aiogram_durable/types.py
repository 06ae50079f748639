"""Session types: what kinds of conversation exist, their steps, schema version and TTL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class SessionType:
    """One kind of conversation (a flow).

    Bump ``schema_version`` when a release changes a flow's steps or data shape: sessions
    written by the older release are then retired as ``incompatible`` instead of being
    fed to handlers that no longer understand them.
    """

    name: str
    schema_version: int = 1
    steps: frozenset[str] = field(default_factory=frozenset)
    ttl: timedelta | None = None
    title: str | None = None

    def accepts(self, schema_version: int, step: str | None) -> bool:
        """True when a stored session of this type can still be continued."""
        if schema_version != self.schema_version:
            return False
        return step is None or not self.steps or step in self.steps


class SessionTypes:
    """The registry of known session types."""

    def __init__(self, *types: SessionType) -> None:
        self._types: dict[str, SessionType] = {}
        for session_type in types:
            self.register(session_type)

    def register(self, session_type: SessionType) -> SessionType:
        """Add a type; registering the same name twice with other settings is an error."""
        existing = self._types.get(session_type.name)
        if existing is not None and existing != session_type:
            raise ValueError(f"session type {session_type.name!r} is already registered")
        self._types[session_type.name] = session_type
        return session_type

    def get(self, name: str) -> SessionType | None:
        """The type called ``name``, or None when this release does not know it."""
        return self._types.get(name)

    def require(self, name: str) -> SessionType:
        """The type called ``name``; KeyError when unknown."""
        try:
            return self._types[name]
        except KeyError:
            raise KeyError(f"unknown session type {name!r}") from None

    def names(self) -> list[str]:
        """Every registered type name, sorted."""
        return sorted(self._types)
