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
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, overload, runtime_checkable

from aiogram_durable.logs import get_logger
from aiogram_durable.model import SessionRecord

log = get_logger(__name__)

# What the sweep writes into the ``detail`` of each ``expired`` event.
SWEEPER_DETAIL: dict[str, Any] = {"found_by": "sweeper"}

# Expired sessions (counted through the expiry index at a round's start, up to this
# many) that make a SQL store sweep the round in storage order (``SweepRange``).
SWEEP_BACKLOG = 5000
# How long one storage-order batch should take: steps wait behind it (for the database
# on PostgreSQL, for the write lock on SQLite), so it stays short; the span follows.
# PostgreSQL uses this one. Sweeping 1M sessions (half expired) with 500 steps/s
# arriving, 2 runs each on the 2-core VM: 5 ms batches took 10 s and made the steps' p99
# 9-11 ms (idle 1.3-1.6 ms); 2 ms batches 13-14 s and ~5 ms; 1 ms batches 26 s and 4 ms,
# but a 100k sweep took 2.2-2.5 s (1.0-1.2 s at 2 ms, 0.8-1.0 s at 5 ms): per-batch
# costs take over below 2 ms.
RANGE_BATCH_TARGET_S = 0.002

# Where session id, user id, type and step sit in a row in ``KEYED_COLUMNS`` order.
_ID, _USER, _TYPE, _STEP = 3, 2, 4, 6


class ExpiredSessions(Sequence[SessionRecord]):
    """Sessions a sweep removed, decoded on first access.

    ``len`` is the number of rows removed (and audited); a row that cannot be decoded
    is logged and left out of the decoded sessions, so iteration may yield fewer.
    ``more``: the store is partway through a backlog it sweeps in storage order (a range
    of pages or rowids per batch), so a batch shorter than asked for does not mean that
    nothing expired is left.
    """

    __slots__ = ("_decode", "_decoded", "_rows", "more")

    def __init__(
        self,
        rows: Sequence[Any],
        decode: Callable[[Any], SessionRecord],
        *,
        more: bool = False,
    ) -> None:
        self._rows = rows
        self._decode = decode
        self._decoded: list[SessionRecord] | None = None
        self.more = more

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
        return f"ExpiredSessions({len(self._rows)} rows{', more' if self.more else ''})"


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


@dataclass
class SweepRange:
    """A walk through a table in storage order: ranges of heap pages (PostgreSQL) or of
    rowids (SQLite), each range one sweep batch.

    Picking expired rows through the expiry index visits them in expiry order, which is
    unrelated to where they are stored: every row costs a scattered page in the table
    and in each index. Walking the table in order touches each page once, which is what
    a bare ``DELETE`` of most of a table does. The span (units per batch) doubles while
    batches are quick and halves when one takes over ``target_s``. When expired rows
    turn out to be rare (under ``min_yield`` a unit after a fair look) the walk stops:
    index batches are cheaper then.
    """

    end: int  # first unit past the walk
    span: int  # units in the next batch
    min_yield: float  # expired rows per unit below which the walk is not worth it
    position: int = 0
    target_s: float = RANGE_BATCH_TARGET_S
    max_span: int = 1 << 20
    found: int = 0
    abandoned: bool = False

    def next_range(self) -> tuple[int, int]:
        """[first, last) of the next batch."""
        return self.position, min(self.position + self.span, self.end)

    def done(self, last: int, found: int, took_s: float) -> None:
        """The batch up to ``last`` removed ``found`` rows in ``took_s`` seconds."""
        self.position = last
        self.found += found
        if took_s > self.target_s:
            self.span = max(1, self.span // 2)
        elif took_s < self.target_s / 2:
            self.span = min(self.max_span, self.span * 2)
        walked = self.position
        # A fair look: an eighth of the table; then rare expired rows end the walk.
        if walked * 8 >= self.end and self.found < self.min_yield * walked:
            self.abandoned = True

    @property
    def finished(self) -> bool:
        return self.abandoned or self.position >= self.end
