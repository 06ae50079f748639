"""Redis-specific behaviour of ``RedisSessionStore``, beyond the shared contract.

Record layout, the server-side TTL backstop, lazy cleanup of index entries whose
session vanished, corrupt records, atomicity of the scripts across clients, and the
in-flight limit. Everything runs against the real ``redis_server``, each test under its
own key prefix.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import redis.asyncio
import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from structlog.testing import capture_logs

from aiogram_durable import redis as redis_module
from aiogram_durable.clock import FakeClock
from aiogram_durable.model import (
    CorruptSession,
    SessionExists,
    SessionKey,
    SessionNotFound,
    SessionRecord,
    VersionConflict,
    encode_data,
)
from aiogram_durable.redis import (
    DEFAULT_GRACE,
    FIELDS,
    InFlightLimit,
    RedisSessionStore,
    to_micros,
)
from aiogram_durable.testing import RedisServer, free_port
from redis_harness import corrupt_fields, unique_prefix, write_raw_record

TTL = timedelta(seconds=600)
KEY = SessionKey(bot_id=1, chat_id=100, user_id=100)
# PTTL is read a moment after the write, on the server's real clock.
PTTL_SLACK_MS = 5_000


def _key(user: int) -> SessionKey:
    return SessionKey(bot_id=1, chat_id=user, user_id=user)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url(0)


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """A plain client for looking behind the store's back."""
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def store(redis_url: str, clock: FakeClock) -> AsyncIterator[RedisSessionStore]:
    opened = await RedisSessionStore.connect(redis_url, clock, prefix=unique_prefix())
    yield opened
    await opened.close()


@pytest.fixture
async def twin(store: RedisSessionStore, redis_url: str) -> AsyncIterator[RedisSessionStore]:
    """A second store with its own client on the same data: another process."""
    opened = await RedisSessionStore.connect(redis_url, store.clock, prefix=store.keys.prefix)
    yield opened
    await opened.close()


async def _start(
    store: RedisSessionStore,
    key: SessionKey = KEY,
    session_type: str = "tariff_creation",
    *,
    ttl: timedelta = TTL,
    data: dict[str, Any] | None = None,
) -> SessionRecord:
    session = store.new_session(
        key, session_type, schema_version=1, step="price", data=data or {}, ttl=ttl
    )
    await store.insert(session, replace=False)
    return session


async def _index_sizes(raw: redis.asyncio.Redis, store: RedisSessionStore) -> list[int]:
    ids, by_expiry, by_created = store.keys.indexes
    return [await raw.hlen(ids), await raw.zcard(by_expiry), await raw.zcard(by_created)]


async def _indexed(raw: redis.asyncio.Redis, store: RedisSessionStore, session_id: str) -> bool:
    ids, by_expiry, by_created = store.keys.indexes
    found = [
        await raw.hexists(ids, session_id),
        await raw.zscore(by_expiry, session_id) is not None,
        await raw.zscore(by_created, session_id) is not None,
    ]
    assert len(set(found)) == 1, f"indexes disagree about {session_id}: {found}"
    return found[0]


# -- layout ----------------------------------------------------------------------------


async def test_record_is_one_hash_with_every_field(
    store: RedisSessionStore, raw: redis.asyncio.Redis
) -> None:
    data = {"price": "29.99", "ñ": [1, None]}
    session = await _start(store, data=data)
    record = await raw.hgetall(store.keys.record(KEY))
    assert record == {
        "id": session.id,
        "key": "1:100:100",
        "type": "tariff_creation",
        "schema": "1",
        "step": '"price"',
        "data": encode_data(data),
        "created": str(to_micros(session.created_at)),
        "updated": str(to_micros(session.updated_at)),
        "expires": str(to_micros(session.expires_at)),
        "version": "1",
    }
    ids, by_expiry, by_created = store.keys.indexes
    assert await raw.hget(ids, session.id) == store.keys.record(KEY)
    assert await raw.zscore(by_expiry, session.id) == to_micros(session.expires_at)
    assert await raw.zscore(by_created, session.id) == to_micros(session.created_at)


async def test_step_none_and_microseconds_survive(redis_url: str) -> None:
    # Not UTC and not on a whole second: reads give the same instant, in UTC.
    clock = FakeClock(datetime(2026, 3, 1, 9, 30, 15, 123457, tzinfo=timezone(timedelta(hours=2))))
    store = await RedisSessionStore.connect(redis_url, clock, prefix=unique_prefix())
    try:
        session = store.new_session(KEY, "t", schema_version=3, step=None, data={}, ttl=TTL)
        await store.insert(session, replace=False)
        got = await store.get(KEY)
        assert got == session
        assert got is not None and got.step is None and got.created_at.tzinfo is UTC
        assert got.created_at.microsecond == 123457
    finally:
        await store.close()


async def test_prefixes_keep_stores_apart(store: RedisSessionStore, redis_url: str) -> None:
    other = await RedisSessionStore.connect(redis_url, store.clock, prefix=unique_prefix())
    try:
        mine = await _start(store)
        theirs = await _start(other)
        assert (await store.get(KEY), await other.get(KEY)) == (mine, theirs)
        assert [s.id for s in await store.delete_many()] == [mine.id]
        assert await other.get(KEY) == theirs
    finally:
        await other.close()


async def test_a_client_that_decodes_responses_works_too(redis_url: str, clock: FakeClock) -> None:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    store = RedisSessionStore(client, clock, prefix=unique_prefix())
    try:
        started = await _start(store, data={"a": 1})
        assert await store.get(KEY) == started
        assert await store.get_by_id(started.id) == started
        saved = await store.save(started, step="b", data={"a": 2}, ttl=TTL)
        assert await store.list_active() == [saved]
        assert await store.count_by_type() == {"tariff_creation": 1}
        clock.advance(TTL.total_seconds())
        assert await store.sweep(limit=5) == [saved]
    finally:
        await store.close()


# -- server TTL backstop -----------------------------------------------------------------


async def _pttl_ms(raw: redis.asyncio.Redis, name: str) -> int:
    return int(await raw.pttl(name))


def _assert_pttl(actual: int, expected: timedelta) -> None:
    expected_ms = expected // timedelta(milliseconds=1)
    assert expected_ms - PTTL_SLACK_MS < actual <= expected_ms


async def test_every_write_sets_the_server_ttl(
    redis_url: str, clock: FakeClock, raw: redis.asyncio.Redis
) -> None:
    grace = timedelta(hours=1)
    store = await RedisSessionStore.connect(redis_url, clock, prefix=unique_prefix(), grace=grace)
    name = store.keys.record(KEY)
    try:
        session = await _start(store)
        _assert_pttl(await _pttl_ms(raw, name), TTL + grace)
        clock.advance(500)
        # Relative to the injected clock: the fake 500 s are not taken off the TTL.
        saved = await store.save(session, step="d", data={}, ttl=timedelta(hours=2))
        _assert_pttl(await _pttl_ms(raw, name), timedelta(hours=2) + grace)
        replacement = store.new_session(KEY, "t", schema_version=1, step=None, data={}, ttl=TTL)
        assert await store.insert(replacement, replace=True) == saved
        _assert_pttl(await _pttl_ms(raw, name), TTL + grace)
        # The indexes are not sessions: they never expire.
        for index in store.keys.indexes:
            assert await raw.pttl(index) == -1
    finally:
        await store.close()


async def test_default_grace_is_a_day(store: RedisSessionStore, raw: redis.asyncio.Redis) -> None:
    assert timedelta(hours=24) == DEFAULT_GRACE
    await _start(store)
    _assert_pttl(await _pttl_ms(raw, store.keys.record(KEY)), TTL + DEFAULT_GRACE)


async def test_expired_session_is_hidden_at_once_but_left_for_the_sweeper(
    store: RedisSessionStore, raw: redis.asyncio.Redis, clock: FakeClock
) -> None:
    session = await _start(store, ttl=timedelta(seconds=60))
    clock.advance(60)
    # Redis still holds it (its own TTL has the grace period to run) ...
    assert await raw.exists(store.keys.record(KEY)) == 1
    # ... yet by the injected clock it is gone for every reader.
    assert await store.get(KEY) is None
    assert await store.get_by_id(session.id) is None
    assert await store.list_active() == []
    assert await store.count_by_type() == {}
    assert [s.id for s in await store.sweep(limit=10)] == [session.id]
    assert await raw.exists(store.keys.record(KEY)) == 0
    assert await _index_sizes(raw, store) == [0, 0, 0]


# -- vanished keys -----------------------------------------------------------------------

Probe = Callable[[RedisSessionStore, FakeClock, SessionRecord], Awaitable[object]]


async def _probe_get_by_id(store: RedisSessionStore, _: FakeClock, gone: SessionRecord) -> object:
    return await store.get_by_id(gone.id)


async def _probe_list(store: RedisSessionStore, _: FakeClock, gone: SessionRecord) -> object:
    return [s.key.user_id for s in await store.list_active()]


async def _probe_count(store: RedisSessionStore, _: FakeClock, gone: SessionRecord) -> object:
    return await store.count_by_type()


async def _probe_sweep(store: RedisSessionStore, clock: FakeClock, gone: SessionRecord) -> object:
    clock.advance(TTL.total_seconds())
    return [s.key.user_id for s in await store.sweep(limit=10)]


async def _probe_delete_many(store: RedisSessionStore, _: FakeClock, gone: SessionRecord) -> object:
    return [s.key.user_id for s in await store.delete_many()]


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        (_probe_get_by_id, None),
        (_probe_list, [2]),
        (_probe_count, {"tariff_creation": 1}),
        (_probe_sweep, [2]),
        (_probe_delete_many, [2]),
    ],
    ids=["get_by_id", "list_active", "count_by_type", "sweep", "delete_many"],
)
async def test_index_entries_of_a_vanished_session_are_dropped_when_met(
    store: RedisSessionStore,
    raw: redis.asyncio.Redis,
    clock: FakeClock,
    probe: Probe,
    expected: object,
) -> None:
    gone = await _start(store, _key(1))
    await _start(store, _key(2))
    # What Redis's own TTL does to an abandoned session: the hash disappears, the
    # index entries stay behind.
    await raw.delete(store.keys.record(_key(1)))
    assert await _indexed(raw, store, gone.id)
    assert await probe(store, clock, gone) == expected
    assert not await _indexed(raw, store, gone.id)


async def test_a_new_session_under_a_vanished_key_starts_cleanly(
    store: RedisSessionStore, raw: redis.asyncio.Redis
) -> None:
    gone = await _start(store)
    await raw.delete(store.keys.record(KEY))
    fresh = await _start(store)
    assert await store.get(KEY) == fresh
    assert await store.list_active() == [fresh]
    assert not await _indexed(raw, store, gone.id)


async def test_sweep_trusts_the_stored_expiry_over_the_index(
    store: RedisSessionStore, raw: redis.asyncio.Redis, clock: FakeClock
) -> None:
    session = await _start(store, ttl=timedelta(seconds=10))
    by_expiry = store.keys.indexes[1]
    # An index entry that lags behind the record (say, written by an older version).
    await raw.zadd(by_expiry, {session.id: to_micros(session.created_at)})
    clock.advance(5)
    assert await store.sweep(limit=10) == []
    assert await raw.zscore(by_expiry, session.id) == to_micros(session.expires_at)
    assert await store.get(KEY) == session


# -- corrupt records ---------------------------------------------------------------------


@pytest.mark.parametrize("field", ["id", "key", "type", "step", "data", "expires", "version"])
async def test_a_record_missing_a_field_is_corrupt(
    store: RedisSessionStore, raw: redis.asyncio.Redis, field: str
) -> None:
    session = await _start(store)
    await raw.hdel(store.keys.record(KEY), field)
    with pytest.raises(CorruptSession) as exc:
        await store.get(KEY)
    assert exc.value.key == KEY
    assert field in exc.value.reason
    assert exc.value.session_id == (None if field == "id" else session.id)
    assert await raw.exists(store.keys.record(KEY)) == 0
    # Without its id the record could not name its index entries; the next walk
    # over the indexes drops them.
    assert await store.list_active() == []
    assert await _index_sizes(raw, store) == [0, 0, 0]


@pytest.mark.parametrize(
    ("field", "value"),
    [("data", "[1, 2]"), ("step", "7"), ("key", "1:2"), ("created", "soon"),
     ("version", "x"), ("expires", "9" * 30)],
)  # fmt: skip
async def test_an_undecodable_field_is_corrupt(
    store: RedisSessionStore, raw: redis.asyncio.Redis, field: str, value: str
) -> None:
    await _start(store)
    await raw.hset(store.keys.record(KEY), field, value)
    with pytest.raises(CorruptSession):
        await store.get(KEY)
    assert await raw.exists(store.keys.record(KEY)) == 0


async def test_a_record_under_the_wrong_key_is_corrupt(
    store: RedisSessionStore, raw: redis.asyncio.Redis
) -> None:
    await _start(store)
    await raw.hset(store.keys.record(KEY), "key", "1:100:999")
    with pytest.raises(CorruptSession, match="holds key"):
        await store.get(KEY)


Reader = Callable[[RedisSessionStore, FakeClock], Awaitable[object]]


async def _read_by_id(store: RedisSessionStore, _: FakeClock) -> object:
    return await store.get_by_id("corrupt")


async def _read_list(store: RedisSessionStore, _: FakeClock) -> object:
    return await store.list_active()


async def _read_delete(store: RedisSessionStore, _: FakeClock) -> object:
    return await store.delete(KEY)


async def _read_delete_many(store: RedisSessionStore, _: FakeClock) -> object:
    return await store.delete_many(user_id=KEY.user_id)


async def _read_sweep(store: RedisSessionStore, clock: FakeClock) -> object:
    clock.advance(7200)
    return await store.sweep(limit=10)


@pytest.mark.parametrize(
    "reader",
    [_read_by_id, _read_list, _read_delete, _read_delete_many, _read_sweep],
    ids=["get_by_id", "list_active", "delete", "delete_many", "sweep"],
)
async def test_other_reads_skip_corrupt_records_log_and_remove_them(
    store: RedisSessionStore,
    raw: redis.asyncio.Redis,
    clock: FakeClock,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    reader: Reader,
) -> None:
    # A fresh logger: one cached by an earlier configure_logging() would bypass capture.
    monkeypatch.setattr(redis_module, "log", structlog.get_logger("test_redis_store"))
    await write_raw_record(redis_url, store.keys, KEY, corrupt_fields(KEY, clock))
    with capture_logs() as logs:
        assert await reader(store, clock) in (None, [])
    assert [e["event"] for e in logs] == ["session.corrupt_row"]
    assert logs[0]["session_id"] == "corrupt"
    assert logs[0]["log_level"] == "error"
    assert await raw.exists(store.keys.record(KEY)) == 0
    assert not await _indexed(raw, store, "corrupt")


async def test_insert_over_a_corrupt_active_record_replaces_it(
    store: RedisSessionStore, clock: FakeClock, redis_url: str
) -> None:
    await write_raw_record(redis_url, store.keys, KEY, corrupt_fields(KEY, clock))
    fresh = store.new_session(KEY, "t", schema_version=1, step=None, data={}, ttl=TTL)
    assert await store.insert(fresh, replace=False) is None
    assert await store.get(KEY) == fresh


async def test_save_over_a_record_missing_fields_is_not_found(
    store: RedisSessionStore, raw: redis.asyncio.Redis
) -> None:
    session = await _start(store)
    await raw.hdel(store.keys.record(KEY), "version")
    with pytest.raises(SessionNotFound):
        await store.save(session, step="x", data={}, ttl=TTL)
    # Unreadable is not active: a new session may take the key.
    assert await store.insert(session.with_changes(id="f" * 32), replace=False) is None


async def test_a_full_sweep_batch_is_topped_up_past_corrupt_records(
    store: RedisSessionStore, clock: FakeClock, redis_url: str
) -> None:
    # The sweeper stops at the first short batch, so unreadable records must not make
    # a batch short while expired sessions remain.
    soon = to_micros(clock.now() + timedelta(seconds=60))  # swept before the good ones
    for user in range(3):
        fields = corrupt_fields(_key(user), clock) | {"id": f"corrupt-{user}", "expires": soon}
        await write_raw_record(redis_url, store.keys, _key(user), fields)
    for user in range(3, 6):
        await _start(store, _key(user))
    clock.advance(7200)
    assert sorted(s.key.user_id for s in await store.sweep(limit=3)) == [3, 4, 5]


# -- atomicity across clients ------------------------------------------------------------


async def test_concurrent_inserts_from_two_clients_have_one_winner(
    store: RedisSessionStore, twin: RedisSessionStore, raw: redis.asyncio.Redis
) -> None:
    stores = [store, twin]
    candidates = [
        stores[i % 2].new_session(KEY, "t", schema_version=1, step=None, data={"i": i}, ttl=TTL)
        for i in range(40)
    ]

    async def attempt(i: int) -> str | None:
        try:
            await stores[i % 2].insert(candidates[i], replace=False)
        except SessionExists as exc:
            return exc.existing.id
        return None

    results = await asyncio.gather(*(attempt(i) for i in range(40)))
    winners = [candidates[i].id for i, r in enumerate(results) if r is None]
    assert len(winners) == 1
    assert set(results) == {None, winners[0]}
    current = await store.get(KEY)
    assert current is not None and current.id == winners[0]
    assert await _index_sizes(raw, store) == [1, 1, 1]


async def test_concurrent_sweepers_and_savers_on_two_clients(
    store: RedisSessionStore,
    twin: RedisSessionStore,
    raw: redis.asyncio.Redis,
    clock: FakeClock,
) -> None:
    sessions = [await _start(store, _key(u), ttl=timedelta(seconds=10)) for u in range(120)]
    clock.advance(5)
    kept = sessions[::3]
    for session in kept:
        await store.save(session, step="slid", data={}, ttl=timedelta(seconds=100))
    clock.advance(6)
    expired = {s.id for s in sessions} - {s.id for s in kept}

    async def drain(sweeper: RedisSessionStore) -> list[str]:
        ids: list[str] = []
        while batch := await sweeper.sweep(limit=7):
            ids.extend(s.id for s in batch)
        return ids

    async def keep_saving(saver: RedisSessionStore) -> None:
        for session in kept:
            current = await saver.get(session.key)
            assert current is not None
            await saver.save(current, step="again", data={}, ttl=timedelta(seconds=100))

    results = await asyncio.gather(
        *(drain(s) for s in (store, twin, store, twin)), keep_saving(store), keep_saving(twin),
        return_exceptions=True,
    )  # fmt: skip
    # The two savers race each other, so a VersionConflict may stop one; nothing else.
    assert all(r is None or isinstance(r, VersionConflict) for r in results[4:]), results
    assert all(isinstance(r, list) for r in results[:4]), results
    swept = [sid for r in results[:4] if isinstance(r, list) for sid in r]
    assert sorted(swept) == sorted(expired)
    assert sorted(s.id for s in await store.list_active()) == sorted(s.id for s in kept)
    assert await _index_sizes(raw, store) == [len(kept)] * 3


async def test_a_step_is_two_round_trips(
    store: RedisSessionStore, raw: redis.asyncio.Redis
) -> None:
    session = await _start(store)
    await store.save(session, step="warm", data={}, ttl=TTL)  # scripts now cached
    async with raw.monitor() as monitor:
        current = await store.get(KEY)
        assert current is not None
        await store.save(current, step="s", data={"n": 1}, ttl=TTL)
        await store.client.echo("end-of-step")  # on the store's open connection
        sent: list[str] = []
        while (entry := await monitor.next_command())["command"] != "ECHO end-of-step":
            if entry["client_type"] != "lua":  # commands run inside scripts
                sent.append(entry["command"].split(" ", 1)[0].upper())
    assert sent == ["HMGET", "EVALSHA"]


# -- connections -------------------------------------------------------------------------


async def test_commands_in_flight_and_connections_are_bounded(
    redis_url: str, clock: FakeClock, raw: redis.asyncio.Redis
) -> None:
    name = unique_prefix()
    client = redis.asyncio.Redis.from_url(redis_url, client_name=name)
    store = RedisSessionStore(client, clock, prefix=name, max_in_flight=3)
    try:
        await _start(store)
        await asyncio.gather(*(store.get(KEY) for _ in range(50)))
        await asyncio.gather(*(store.list_active() for _ in range(20)))
        connections = [c for c in await raw.client_list() if c["name"] == name]
        assert 1 <= len(connections) <= 3
    finally:
        await store.close()


async def test_connect_fails_loudly_when_redis_is_down(clock: FakeClock) -> None:
    with pytest.raises(RedisConnectionError):
        await RedisSessionStore.connect(f"redis://127.0.0.1:{free_port()}/0", clock)


async def test_ping_and_close(store: RedisSessionStore) -> None:
    await store.ping()


async def _settle() -> None:
    """Return once every task created before the call has run up to its first wait.

    Not a timer: callbacks run in FIFO order, so ``ready`` is set after those steps.
    """
    ready = asyncio.Event()
    asyncio.get_running_loop().call_soon(ready.set)
    await ready.wait()


async def _hold(limit: InFlightLimit, entered: list[str], name: str, gate: asyncio.Event) -> None:
    async with limit:
        entered.append(name)
        await gate.wait()


async def test_in_flight_limit_holds_at_most_size() -> None:
    limit = InFlightLimit(2)
    gate = asyncio.Event()
    entered: list[str] = []
    tasks = [asyncio.create_task(_hold(limit, entered, str(i), gate)) for i in range(5)]
    await _settle()
    assert entered == ["0", "1"]
    gate.set()
    await asyncio.gather(*tasks)
    assert sorted(entered) == ["0", "1", "2", "3", "4"]


async def test_in_flight_limit_gives_a_free_slot_to_whoever_asks_first() -> None:
    # What keeps a store step's get and save together under contention.
    limit = InFlightLimit(1)
    entered: list[str] = []
    gate, open_gate = asyncio.Event(), asyncio.Event()
    open_gate.set()

    async def get_then_save() -> None:
        await _hold(limit, entered, "get", gate)
        await _hold(limit, entered, "save", open_gate)  # asks before the woken waiter runs

    step = asyncio.create_task(get_then_save())
    await _settle()
    other = asyncio.create_task(_hold(limit, entered, "other", open_gate))
    await _settle()
    gate.set()
    await asyncio.gather(step, other)
    assert entered == ["get", "save", "other"]


async def test_in_flight_limit_passes_a_wake_up_on_when_the_woken_is_cancelled() -> None:
    limit = InFlightLimit(1)
    entered: list[str] = []
    gate, never, open_gate = asyncio.Event(), asyncio.Event(), asyncio.Event()
    open_gate.set()
    waiters: list[asyncio.Task[None]] = []

    async def release_then_cancel_the_woken() -> None:
        await _hold(limit, entered, "holder", gate)
        waiters[0].cancel()  # woken by the release above, not yet run

    holder = asyncio.create_task(release_then_cancel_the_woken())
    await _settle()
    waiters.append(asyncio.create_task(_hold(limit, entered, "first", never)))
    waiters.append(asyncio.create_task(_hold(limit, entered, "second", open_gate)))
    await _settle()
    gate.set()
    await holder
    await waiters[1]
    with pytest.raises(asyncio.CancelledError):
        await waiters[0]
    assert entered == ["holder", "second"]
    async with limit:  # and no slot leaked
        pass


async def test_in_flight_limit_forgets_a_cancelled_waiter() -> None:
    limit = InFlightLimit(1)
    entered: list[str] = []
    gate, open_gate = asyncio.Event(), asyncio.Event()
    open_gate.set()
    holder = asyncio.create_task(_hold(limit, entered, "holder", gate))
    await _settle()
    gone = asyncio.create_task(_hold(limit, entered, "gone", open_gate))
    await _settle()
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    later = asyncio.create_task(_hold(limit, entered, "later", open_gate))
    await _settle()
    gate.set()
    await asyncio.gather(holder, later)
    assert entered == ["holder", "later"]


def test_in_flight_limit_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        InFlightLimit(0)


# -- paging ------------------------------------------------------------------------------


async def test_listing_crosses_index_pages_in_created_then_id_order(
    store: RedisSessionStore,
) -> None:
    # The clock stands still: equal created_at everywhere, so id decides the order.
    started = [await _start(store, _key(u)) for u in range(300)]
    listed = await store.list_active(limit=290)
    assert [s.id for s in listed] == sorted(s.id for s in started)[:290]


async def test_delete_many_pages_through_a_large_index_and_matches_whole_user_ids(
    store: RedisSessionStore, raw: redis.asyncio.Redis
) -> None:
    for user in range(600):
        await _start(store, _key(user))
    assert [s.key.user_id for s in await store.delete_many(user_id=3)] == [3]
    rest = await store.delete_many()
    assert len(rest) == 599 == len({s.id for s in rest})
    assert await _index_sizes(raw, store) == [0, 0, 0]


def test_fields_are_the_hash_layout() -> None:
    assert FIELDS == ("id", "key", "type", "schema", "step", "data", "created", "updated",
                      "expires", "version")  # fmt: skip
