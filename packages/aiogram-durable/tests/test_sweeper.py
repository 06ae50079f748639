"""The background sweeper: batches, hook per expiry, survives errors, stops cleanly."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from aiogram_durable import sqlite as sqlite_module
from aiogram_durable.audit import MemoryAuditLog, SqlAuditLog
from aiogram_durable.clock import FakeClock
from aiogram_durable.durable import audit_engine
from aiogram_durable.expired import ExpiredSessions, SweepRange
from aiogram_durable.manager import SessionManager
from aiogram_durable.memory import MemorySessionStore
from aiogram_durable.model import SessionKey, SessionRecord
from aiogram_durable.schema import events
from aiogram_durable.sqlite import SqliteSessionStore
from aiogram_durable.store import SessionStore
from aiogram_durable.sweeper import Sweeper
from aiogram_durable.types import SessionType, SessionTypes
from harness import Harness, make_harness


def _manager(store: SessionStore, audit: MemoryAuditLog) -> SessionManager:
    return SessionManager(
        store, SessionTypes(SessionType("t")), audit, default_ttl=timedelta(seconds=60)
    )


async def _fill(manager: SessionManager, n: int) -> None:
    for user in range(n):
        await manager.start(SessionKey(1, user, user), "t")


async def test_run_once_sweeps_all_batches_and_calls_hook(harness: Harness) -> None:
    audit = MemoryAuditLog()
    manager = _manager(harness.store, audit)
    await _fill(manager, 25)
    harness.clock.advance(60)
    notified: list[SessionRecord] = []

    async def hook(session: SessionRecord) -> None:
        notified.append(session)

    sweeper = Sweeper(manager, interval=60, batch_size=10, on_expired=hook)
    assert await sweeper.run_once() == 25
    assert len({s.id for s in notified}) == 25
    assert sum(e.event == "expired" for e in audit.events) == 25
    assert await sweeper.run_once() == 0


async def test_a_failing_hook_does_not_stop_the_sweep() -> None:
    clock = FakeClock()
    manager = _manager(MemorySessionStore(clock), MemoryAuditLog())
    await _fill(manager, 3)
    clock.advance(61)

    async def hook(session: SessionRecord) -> None:
        raise RuntimeError("telegram is down")

    assert await Sweeper(manager, interval=60, on_expired=hook).run_once() == 3
    assert await manager.list_active() == []


class FlakyStore(MemorySessionStore):
    """A real memory store whose sweep fails the first time (a store outage)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.failures = 1

    async def sweep(self, limit: int) -> list[SessionRecord]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database went away")
        return await super().sweep(limit)


async def test_background_loop_survives_store_errors_and_stops() -> None:
    clock = FakeClock()
    store = FlakyStore(clock)
    manager = _manager(store, MemoryAuditLog())
    await _fill(manager, 2)
    clock.advance(61)
    rounds: list[tuple[int, bool]] = []
    second_round = asyncio.Event()

    async def on_round(swept: int, ok: bool) -> None:
        rounds.append((swept, ok))
        if len(rounds) == 2:
            second_round.set()

    sweeper = Sweeper(manager, interval=0.01, on_round=on_round)
    task = sweeper.start()
    await asyncio.wait_for(second_round.wait(), 10)
    await sweeper.stop()
    assert task.done() and task.exception() is None
    assert rounds[:2] == [(0, False), (2, True)]


# -- sweeps audited by the store, in the database that holds the audit trail -----------


@pytest.fixture(params=["sqlite", "postgresql"])
async def sql_harness(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Harness]:
    h = await make_harness(request.param, request, clock)
    yield h
    await h.store.close()


async def _audited_manager(
    store: SessionStore, url: str
) -> tuple[SessionManager, SqlAuditLog, AsyncEngine]:
    engine = audit_engine(url)
    audit = SqlAuditLog(engine)
    return _sql_manager(store, audit), audit, engine


def _sql_manager(store: SessionStore, audit: SqlAuditLog) -> SessionManager:
    return SessionManager(
        store, SessionTypes(SessionType("t")), audit, default_ttl=timedelta(seconds=60)
    )


async def _expired_events(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(events.c.session_id).where(events.c.event == "expired"))
        return [str(r[0]) for r in rows]


async def test_store_audits_the_sweep_when_it_holds_the_audit_trail(
    sql_harness: Harness,
) -> None:
    manager, audit, engine = await _audited_manager(sql_harness.store, sql_harness.url)
    try:
        for user in range(30):
            await manager.start(SessionKey(1, user, user), "t", step="s1", data={"n": user})
        sql_harness.clock.advance(60)
        notified: list[SessionRecord] = []

        async def hook(session: SessionRecord) -> None:
            notified.append(session)

        sweeper = Sweeper(manager, interval=60, batch_size=7, on_expired=hook)
        assert await sweeper.run_once() == 30
        assert manager._store_audits_sweep is True
        # The hook gets whole sessions: key, id, type, step and data.
        assert sorted(s.key.user_id for s in notified) == list(range(30))
        assert all(s.data == {"n": s.key.user_id} and s.step == "s1" for s in notified)
        assert sorted(await _expired_events(engine)) == sorted(s.id for s in notified)
        newest = await audit.recent(1)
        assert newest[0].event == "expired" and newest[0].detail == {"found_by": "sweeper"}
        assert await sweeper.run_once() == 0
    finally:
        await audit.close()
        await engine.dispose()


async def test_active_sessions_survive_an_audited_sweep(sql_harness: Harness) -> None:
    manager, audit, engine = await _audited_manager(sql_harness.store, sql_harness.url)
    try:
        for user in range(40):
            await manager.start(SessionKey(1, user, user), "t")
        sql_harness.clock.advance(30)
        kept = [
            await manager.save(s, step="again", data={})
            for s in await manager.list_active()
            if s.key.user_id % 2
        ]
        sql_harness.clock.advance(31)  # the untouched ones expire, the saved ones not
        assert await Sweeper(manager, interval=60, batch_size=8).run_once() == 20
        active = await manager.list_active()
        assert sorted(s.id for s in active) == sorted(s.id for s in kept)
        assert len(await _expired_events(engine)) == 20
    finally:
        await audit.close()
        await engine.dispose()


@pytest.mark.parametrize("walk", [False, True], ids=["index batches", "storage-order walk"])
async def test_two_processes_sweeping_return_and_audit_each_session_once(
    sql_harness: Harness, walk: bool
) -> None:
    first, audit_a, engine_a = await _audited_manager(sql_harness.store, sql_harness.url)
    other_store = await sql_harness.reopen()
    second, audit_b, engine_b = await _audited_manager(other_store, sql_harness.url)
    if walk:
        _walk_from(sql_harness.store, 50)
        _walk_from(other_store, 50)
    try:
        for user in range(1000):
            await first.start(SessionKey(1, user, user), "t")
        sql_harness.clock.advance(30)
        for user in range(1000, 1100):  # these are still active when the others expire
            await first.start(SessionKey(1, user, user), "t")
        sql_harness.clock.advance(30)
        returned: list[list[str]] = [[], []]

        async def drain(manager: SessionManager, out: list[str]) -> None:
            async def hook(session: SessionRecord) -> None:
                out.append(session.id)

            await Sweeper(manager, interval=60, batch_size=25, on_expired=hook).run_once()

        await asyncio.gather(drain(first, returned[0]), drain(second, returned[1]))
        both = returned[0] + returned[1]
        assert len(both) == 1000 and len(set(both)) == 1000
        assert sorted(await _expired_events(engine_a)) == sorted(both)
        active = await first.list_active(limit=2000)
        assert sorted(s.key.user_id for s in active) == list(range(1000, 1100))
    finally:
        await audit_a.close()
        await audit_b.close()
        await engine_a.dispose()
        await engine_b.dispose()
        await other_store.close()


async def test_sweep_audits_through_the_log_when_the_trail_is_elsewhere(
    sql_harness: Harness,
) -> None:
    audit = MemoryAuditLog()
    manager = _manager(sql_harness.store, audit)
    await _fill(manager, 5)
    sql_harness.clock.advance(61)
    assert await Sweeper(manager, interval=60).run_once() == 5
    assert manager._store_audits_sweep is False
    assert sum(e.event == "expired" for e in audit.events) == 5


# -- a large backlog, swept in storage order (page ranges / rowid ranges) --------------


def _walk_from(store: SessionStore, backlog: int) -> None:
    # The threshold lowered so that a few hundred sessions make a "large" backlog.
    assert hasattr(store, "sweep_backlog")
    store.sweep_backlog = backlog


async def test_backlog_is_swept_in_storage_order_each_session_once(
    sql_harness: Harness,
) -> None:
    store = sql_harness.store
    manager, audit, engine = await _audited_manager(store, sql_harness.url)
    _walk_from(store, 50)
    try:
        for user in range(600):
            await manager.start(SessionKey(1, user, user), "t", step="s1", data={"n": user})
        sql_harness.clock.advance(30)
        kept = [
            await manager.save(s, step="again", data={"kept": True})
            for s in await manager.list_active(limit=1000)
            if s.key.user_id % 3 == 0
        ]
        sql_harness.clock.advance(31)  # the untouched ones expire, the saved ones not
        ranges: list[bool] = []
        real_sweep = manager.sweep

        async def watched(*, batch_size: int = 500) -> Sequence[SessionRecord]:
            batch = await real_sweep(batch_size=batch_size)
            ranges.append(isinstance(batch, ExpiredSessions) and batch.more)
            return batch

        manager.sweep = watched  # type: ignore[method-assign]
        notified: list[SessionRecord] = []

        async def hook(session: SessionRecord) -> None:
            notified.append(session)

        sweeper = Sweeper(manager, interval=60, batch_size=100, on_expired=hook)
        assert await sweeper.run_once() == 400
        assert any(ranges), "the backlog was not walked in storage order"
        assert ranges[-1] is False  # the round ends on an index batch
        assert len({s.id for s in notified}) == 400
        assert all(s.data == {"n": s.key.user_id} for s in notified)
        assert sorted(await _expired_events(engine)) == sorted(s.id for s in notified)
        active = await manager.list_active(limit=1000)
        assert sorted(s.id for s in active) == sorted(s.id for s in kept)
        # An expired session is gone for readers at once, swept or not.
        assert await store.get(notified[0].key) is None
        assert await sweeper.run_once() == 0
    finally:
        await audit.close()
        await engine.dispose()


def test_sweep_range_spans_follow_batch_time_and_stop_when_expired_rows_are_rare() -> None:
    walk = SweepRange(1000, span=10, min_yield=0.5, target_s=0.01)
    assert walk.next_range() == (0, 10)
    walk.done(10, 10, 0.001)  # quick: the span doubles
    assert walk.next_range() == (10, 30)
    walk.done(30, 20, 0.02)  # slow: it halves
    assert walk.next_range() == (30, 40)
    walk.done(40, 0, 0.007)
    assert not walk.finished
    rare = SweepRange(100, span=20, min_yield=0.5, target_s=0.01)
    rare.done(20, 1, 0.007)  # a fifth of the table, one expired row: not worth it
    assert rare.finished


class _CommitHeldBack:
    """A sweep connection whose COMMIT waits (write lock held) until released."""

    def __init__(
        self, conn: sqlite3.Connection, holding: Callable[[], object], release: threading.Event
    ) -> None:
        self._conn = conn
        self._holding = holding
        self._release = release

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "COMMIT":
            self._holding()
            # A safety net only (a failing run ends): releasing is the test's signal.
            self._release.wait(5)
        return self._conn.execute(sql, *args)


@dataclass
class _TinySpans(SweepRange):
    def __post_init__(self) -> None:
        self.span = self.max_span = 4


@pytest.fixture
async def sqlite_harness(
    request: pytest.FixtureRequest, clock: FakeClock
) -> AsyncIterator[Harness]:
    h = await make_harness("sqlite", request, clock)
    yield h
    await h.store.close()


async def test_a_write_meeting_a_walk_batch_goes_right_after_that_batch(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = sqlite_harness.store
    assert isinstance(store, SqliteSessionStore)
    manager, audit, engine = await _audited_manager(store, sqlite_harness.url)
    _walk_from(store, 50)
    loop = asyncio.get_running_loop()
    held: asyncio.Future[None] = loop.create_future()
    release, written = threading.Event(), threading.Event()
    real_tx = sqlite_module._sweep_rowids_tx
    calls = 0

    def signal() -> None:
        loop.call_soon_threadsafe(held.set_result, None)

    def batches_held(conn: sqlite3.Connection, *args: Any) -> Any:
        # In the worker thread. The first batch holds the write lock until the write
        # waits for it; the second until the write is done, so a writer that missed
        # the gap between them (a timer's luck) would wait it out.
        nonlocal calls
        calls += 1
        if calls == 1:
            conn = cast(sqlite3.Connection, _CommitHeldBack(conn, signal, release))
        elif calls == 2:
            conn = cast(sqlite3.Connection, _CommitHeldBack(conn, lambda: None, written))
        return real_tx(conn, *args)

    monkeypatch.setattr(sqlite_module, "_sweep_rowids_tx", batches_held)
    # Small batches from the first: little work between two, so a writer retrying on a
    # timer would most likely find the next one begun.
    monkeypatch.setattr(sqlite_module, "SweepRange", _TinySpans)
    try:
        expiring = [(await manager.start(SessionKey(1, user, user), "t")).id for user in range(400)]
        sqlite_harness.clock.advance(30)
        active = await manager.start(SessionKey(1, 9999, 9999), "t")
        sqlite_harness.clock.advance(31)  # the first 400 expire, ``active`` not
        sweep = asyncio.create_task(Sweeper(manager, interval=60, batch_size=100).run_once())
        await held
        turns = store._turns
        assert turns is not None
        write = asyncio.create_task(
            store.save(active, step="during", data={"n": 1}, ttl=timedelta(seconds=60))
        )
        while turns.waiting == 0:  # yields only: the save meets the lock and waits
            assert not write.done()
            await asyncio.sleep(0)
        finished_at: list[tuple[int, int]] = []

        def write_done(_: object) -> None:
            finished_at.append((calls, turns.batches))
            written.set()

        write.add_done_callback(write_done)
        release.set()
        saved = await write
        assert saved.step == "during"
        # Done right after the held batch committed, before the walk began another.
        assert finished_at == [(1, 1)]
        assert await sweep == 400
        assert calls > 10  # the walk went on in small batches after the write
        assert sorted(await _expired_events(engine)) == sorted(expiring)
        assert (await store.get(active.key)) == saved
    finally:
        release.set()
        await audit.close()
        await engine.dispose()
