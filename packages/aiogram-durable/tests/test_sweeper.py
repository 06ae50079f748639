"""The background sweeper: batches, hook per expiry, survives errors, stops cleanly."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiogram_durable.audit import MemoryAuditLog
from aiogram_durable.clock import FakeClock
from aiogram_durable.manager import SessionManager
from aiogram_durable.memory import MemorySessionStore
from aiogram_durable.model import SessionKey, SessionRecord
from aiogram_durable.store import SessionStore
from aiogram_durable.sweeper import Sweeper
from aiogram_durable.types import SessionType, SessionTypes
from harness import Harness


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
