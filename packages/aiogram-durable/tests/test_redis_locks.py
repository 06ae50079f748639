"""Redis key locks with the store: lock-and-read and write-and-release in one script each,
and waiters woken by the release instead of polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis

from aiogram_durable import FakeClock, SessionRecord, VersionConflict
from aiogram_durable import redis_locks as locks_module
from aiogram_durable.backends import SessionBackend
from aiogram_durable.model import SessionKey
from aiogram_durable.redis import RedisSessionStore
from aiogram_durable.redis_locks import RedisKeyLocks
from aiogram_durable.testing import RedisServer
from redis_harness import unique_prefix
from roundtrips import counting_redis

KEY = SessionKey(5, 6, 7)
OTHER_KEY = SessionKey(5, 6, 8)
HOUR = timedelta(hours=1)
DB = 60


class _Process:
    """What one bot process has: a store and locks on clients of their own."""

    def __init__(self, server: RedisServer, clock: FakeClock, prefix: str, name: str) -> None:
        url = server.url(DB)
        self.store_connection = counting_redis()
        self.lock_connection = counting_redis()
        self.store = RedisSessionStore(
            aioredis.Redis.from_url(url, connection_class=self.store_connection),
            clock,
            prefix=prefix,
        )
        # Named, so a test can see this process's lock client blocked in BLPOP.
        self.name = f"{prefix}-{name}"
        self.locks = RedisKeyLocks(
            aioredis.Redis.from_url(
                url, connection_class=self.lock_connection, client_name=self.name
            ),
            prefix=prefix,
        )
        self.backend = SessionBackend(self.store, self.locks)

    def round_trips(self) -> int:
        return self.store_connection.count + self.lock_connection.count

    async def warm_up(self) -> None:
        """Connect both clients and load the scripts, so later counts are commands."""
        async with self.locks.lock(OTHER_KEY):
            await self.store.get(OTHER_KEY)
        async with self.locks.lock(OTHER_KEY):
            session = self.store.new_session(
                OTHER_KEY, "t", schema_version=1, step="s", data={}, ttl=HOUR
            )
            await self.store.insert(session, replace=True)
        async with self.locks.lock(OTHER_KEY):
            current = await self.store.get(OTHER_KEY)
            assert current is not None
            await self.store.save(current, step="s", data={}, ttl=HOUR)
        async with self.locks.lock(OTHER_KEY):
            await self.store.delete(OTHER_KEY)


@pytest.fixture
async def processes(
    redis_server: RedisServer, clock: FakeClock
) -> AsyncIterator[tuple[_Process, _Process]]:
    prefix = unique_prefix()
    pair = (_Process(redis_server, clock, prefix, "a"), _Process(redis_server, clock, prefix, "b"))
    for process in pair:
        await process.warm_up()
    yield pair
    for process in pair:
        await process.backend.close()


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url(DB), decode_responses=True)
    yield client
    await client.aclose()


async def _start(store: RedisSessionStore, n: int = 0) -> SessionRecord:
    session = store.new_session(KEY, "t", schema_version=1, step="s", data={"n": n}, ttl=HOUR)
    assert await store.insert(session, replace=False) is None
    return session


async def _until_blocked(raw: aioredis.Redis, name: str) -> None:
    """Until the client called ``name`` is blocked in BLPOP (waiting for a wake-up)."""
    for _ in range(3000):  # polls a condition (a blocked client), not a delay
        clients: list[dict[str, Any]] = await raw.client_list()
        if any(c.get("name") == name and "b" in c.get("flags", "") for c in clients):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{name} never waited")


async def test_two_processes_serialise_increments_exactly(
    processes: tuple[_Process, _Process],
) -> None:
    a, b = processes
    await _start(a.store)

    async def bump(process: _Process) -> None:
        async with process.locks.lock(KEY):
            session = await process.store.get(KEY)
            assert session is not None
            # Any lost update would surface here as a VersionConflict.
            await process.store.save(session, step="s", data={"n": session.data["n"] + 1}, ttl=HOUR)

    await asyncio.gather(*(bump(a if i % 2 else b) for i in range(40)))
    final = await a.store.get(KEY)
    assert final is not None
    assert (final.data, final.version) == ({"n": 40}, 41)


async def test_a_waiter_reads_what_the_holder_wrote(
    processes: tuple[_Process, _Process], raw: aioredis.Redis
) -> None:
    a, b = processes
    await _start(a.store)
    seen: list[SessionRecord | None] = []
    store_commands: list[int] = []

    async def waiter() -> None:
        async with b.locks.lock(KEY):
            before = b.store_connection.count
            seen.append(await b.store.get(KEY))
            store_commands.append(b.store_connection.count - before)

    async with a.locks.lock(KEY):
        current = await a.store.get(KEY)
        assert current is not None
        task = asyncio.create_task(waiter())
        await _until_blocked(raw, b.name)
        # Write and release in one script; the waiter is woken and reads with its lock.
        await a.store.save(current, step="s2", data={"n": 2}, ttl=HOUR)
        await asyncio.wait_for(task, 30)
    assert [(s.step, s.data, s.version) for s in seen if s is not None] == [("s2", {"n": 2}, 2)]
    assert store_commands == [0]  # served from what the lock script read


async def test_a_waiter_is_woken_by_the_release_not_by_polling(
    processes: tuple[_Process, _Process], raw: aioredis.Redis
) -> None:
    a, b = processes
    start = b.lock_connection.count
    sent: list[int] = []

    async def waiter() -> None:
        async with b.locks.lock(KEY):
            sent.append(b.lock_connection.count - start)

    async with a.locks.lock(KEY):
        task = asyncio.create_task(waiter())
        await _until_blocked(raw, b.name)
        # A failed attempt, then one BLPOP however long the holder takes.
        assert b.lock_connection.count - start == 2
    # The holder's release (nothing written) wakes it: one more attempt, which succeeds.
    await asyncio.wait_for(task, 30)
    assert sent == [3]


async def test_a_crashed_holder_does_not_strand_the_waiter(
    processes: tuple[_Process, _Process], raw: aioredis.Redis
) -> None:
    _, b = processes
    # A holder that died mid-update: its lease is all that is left of it, no wake-up comes.
    await raw.set(b.locks._keys.lock(KEY), "crashed-holder", px=200)
    start = b.lock_connection.count
    async with b.locks.lock(KEY):
        sent = b.lock_connection.count - start
    # Attempt, a BLPOP bounded by the lease left, attempt: no 5 ms polling.
    assert 3 <= sent <= 5


async def test_an_update_that_only_reads_costs_two_round_trips(
    processes: tuple[_Process, _Process],
) -> None:
    a, _ = processes
    await _start(a.store)
    before = a.round_trips()
    async with a.locks.lock(KEY):
        assert await a.store.get(KEY) is not None
    # The lock-and-read script, then the release script.
    assert a.round_trips() - before == 2


async def test_a_second_write_after_the_releasing_first_one_works(
    processes: tuple[_Process, _Process], raw: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(locks_module, "log", _Recorder(warnings))
    a, _ = processes
    await _start(a.store)
    lock_name = a.locks._keys.lock(KEY)
    before = a.round_trips()
    async with a.locks.lock(KEY):
        current = await a.store.get(KEY)
        assert current is not None
        second = await a.store.save(current, step="s2", data={"n": 2}, ttl=HOUR)
        assert await raw.exists(lock_name) == 0  # released by the write
        third = await a.store.save(second, step="s3", data={"n": 3}, ttl=HOUR)
    # Lock-and-read, write-and-release, the plain second write; the exit sends nothing.
    assert a.round_trips() - before == 3
    assert third.version == 3
    stored = await a.store.get(KEY)
    assert stored is not None and (stored.step, stored.version) == ("s3", 3)
    assert warnings == []


async def test_a_second_write_conflicts_when_another_process_wrote_in_between(
    processes: tuple[_Process, _Process], monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(locks_module, "log", _Recorder(warnings))
    a, b = processes
    await _start(a.store)
    async with a.locks.lock(KEY):
        current = await a.store.get(KEY)
        assert current is not None
        second = await a.store.save(current, step="s2", data={"n": 2}, ttl=HOUR)
        # The first write released the lock: another process takes the key at once.
        async with b.locks.lock(KEY):
            theirs = await b.store.get(KEY)
            assert theirs is not None and theirs.version == 2
            await b.store.save(theirs, step="b", data={"n": 20}, ttl=HOUR)
        with pytest.raises(VersionConflict) as conflict:
            await a.store.save(second, step="s3", data={"n": 3}, ttl=HOUR)
    assert (conflict.value.expected, conflict.value.actual) == (2, 3)
    stored = await a.store.get(KEY)
    assert stored is not None and (stored.step, stored.data) == ("b", {"n": 20})
    assert warnings == []


async def test_a_task_the_update_spawns_neither_uses_its_read_nor_releases_its_lock(
    processes: tuple[_Process, _Process], raw: aioredis.Redis
) -> None:
    a, _ = processes
    await _start(a.store)
    lock_name = a.locks._keys.lock(KEY)

    async def spawned() -> SessionRecord:
        current = await a.store.get(KEY)
        assert current is not None
        return await a.store.save(current, step="task", data={"n": 1}, ttl=HOUR)

    async with a.locks.lock(KEY):
        written = await asyncio.create_task(spawned())
        assert await raw.exists(lock_name) == 1  # still the update's
        # What the lock read is stale now: the update reads what the task wrote.
        current = await a.store.get(KEY)
        assert current is not None and (current.step, current.version) == ("task", 2)
        assert written.version == 2
        await a.store.save(current, step="update", data={"n": 2}, ttl=HOUR)
        assert await raw.exists(lock_name) == 0
    stored = await a.store.get(KEY)
    assert stored is not None and (stored.step, stored.version) == ("update", 3)


async def test_a_store_under_another_prefix_reads_for_itself(
    redis_server: RedisServer, clock: FakeClock
) -> None:
    url = redis_server.url(DB)
    store = RedisSessionStore(aioredis.Redis.from_url(url), clock, prefix=unique_prefix())
    locks = RedisKeyLocks(aioredis.Redis.from_url(url), prefix=unique_prefix())
    await _start(store, n=5)
    async with locks.lock(KEY):
        # The lock read its own prefix's (empty) hash; the store must not take it.
        current = await store.get(KEY)
        assert current is not None and current.data == {"n": 5}
    await locks.close()
    await store.close()


class _Recorder:
    """Stands in for the locks module's logger."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def warning(self, event: str, **_fields: object) -> None:
        self.events.append(event)


async def test_a_server_that_lost_its_scripts_gets_them_again(
    processes: tuple[_Process, _Process], raw: aioredis.Redis
) -> None:
    a, _ = processes
    await _start(a.store)
    await raw.script_flush()  # a restarted or failed-over server knows no script
    async with a.locks.lock(KEY):
        session = await a.store.get(KEY)
        assert session is not None
        await a.store.save(session, step="after", data={"n": 1}, ttl=HOUR)
    async with a.locks.lock(KEY):
        stored = await a.store.get(KEY)
    assert stored is not None
    assert (stored.step, stored.version) == ("after", 2)
    assert await raw.exists(a.locks._keys.lock(KEY)) == 0
