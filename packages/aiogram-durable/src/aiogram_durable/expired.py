"""What a sweep that audits in its own statement hands back: the removed rows, decoded
only when someone looks at them.

A SQL store whose database also holds the audit trail can expire a batch, write its
``expired`` events and return its rows in one statement (``AuditingSweep``). Turning a
row into a ``SessionRecord`` (three times, JSON data, the key) costs several times what
the database spends removing it, and a sweep with no expiry hook never looks at the
sessions, so ``ExpiredSessions`` keeps the raw rows and decodes on access.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol, overload, runtime_checkable

from aiogram_durable.logs import get_logger
from aiogram_durable.model import SessionRecord

log = get_logger(__name__)

# What the sweep writes into the ``detail`` of each ``expired`` event.
SWEEPER_DETAIL: dict[str, Any] = {"found_by": "sweeper"}

# Where session id, user id, type and step sit in a row in ``KEYED_COLUMNS`` order.
_ID, _USER, _TYPE, _STEP = 3, 2, 4, 6


class ExpiredSessions(Sequence[SessionRecord]):
    """Sessions a sweep removed, decoded on first access.

    ``len`` is the number of rows removed (and audited); a row that cannot be decoded
    is logged and left out of the decoded sessions, so iteration may yield fewer.
    """

    __slots__ = ("_decode", "_decoded", "_rows")

    def __init__(self, rows: Sequence[Any], decode: Callable[[Any], SessionRecord]) -> None:
        self._rows = rows
        self._decode = decode
        self._decoded: list[SessionRecord] | None = None

    def summaries(self) -> Iterator[tuple[str, int, str, str | None]]:
        """(session id, user id, type, step) of every removed row, without decoding."""
        for row in self._rows:
            yield str(row[_ID]), int(row[_USER]), str(row[_TYPE]), row[_STEP]

    def _sessions(self) -> list[SessionRecord]:
        if self._decoded is None:
            decoded = []
            for row in self._rows:
                try:
                    decoded.append(self._decode(row))
                except (ValueError, TypeError, KeyError) as exc:
                    log.error("session.corrupt_row", session_id=row[_ID], reason=str(exc))
            self._decoded = decoded
        return self._decoded

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[SessionRecord]:
        return iter(self._sessions())

    @overload
    def __getitem__(self, index: int) -> SessionRecord: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SessionRecord]: ...

    def __getitem__(self, index: int | slice) -> SessionRecord | Sequence[SessionRecord]:
        return self._sessions()[index]

    def __repr__(self) -> str:
        return f"ExpiredSessions({len(self._rows)} rows)"


@runtime_checkable
class AuditingSweep(Protocol):
    """A store that can expire, audit and return a batch in one transaction."""

    async def database_identity(self) -> str:
        """Which database the store writes to (compared with the audit log's)."""

    async def sweep_audited(
        self, limit: int, at: datetime, detail: dict[str, Any]
    ) -> ExpiredSessions:
        """``sweep`` that also inserts each removed session's ``expired`` event
        (``at``, ``detail``) into ``durable_session_events`` in the same transaction."""
