"""The SessionStore contract, run unchanged on memory, SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from aiogram_durable.model import (
    MAX_DATA_BYTES,
    CorruptSession,
    SessionDataError,
    SessionExists,
    SessionKey,
    SessionNotFound,
    SessionRecord,
    VersionConflict,
)
from aiogram_durable.store import SessionStore
from harness import Harness

TTL = timedelta(seconds=600)
KEY = SessionKey(bot_id=1, chat_id=100, user_id=100)


def _key(user: int, bot: int = 1) -> SessionKey:
    return SessionKey(bot_id=bot, chat_id=user, user_id=user)


async def _start(
    store: SessionStore,
    key: SessionKey = KEY,
    session_type: str = "tariff_creation",
    *,
    step: str | None = "price",
    data: dict[str, Any] | None = None,
    ttl: timedelta = TTL,
    replace: bool = False,
) -> SessionRecord:
    session = store.new_session(
        key, session_type, schema_version=1, step=step, data=data or {}, ttl=ttl
    )
    await store.insert(session, replace=replace)
    return session


async def test_get_missing_is_none(store: SessionStore) -> None:
    assert await store.get(KEY) is None


async def test_insert_then_get_round_trips(store: SessionStore) -> None:
    data = {"price": "29.99", "nested": {"ñ": [1, 2.5, None, True]}, "emoji": "💎"}
    started = await _start(store, data=data)
    got = await store.get(KEY)
    assert got is not None
    assert got == started
    assert got.data == data
    assert got.version == 1
    assert got.expires_at == started.created_at + TTL


async def test_keys_are_independent(store: SessionStore) -> None:
    await _start(store, _key(1))
    await _start(store, _key(2), "channel_registration")
    await _start(store, _key(1, bot=2))
    one, two, other_bot = [await store.get(k) for k in (_key(1), _key(2), _key(1, bot=2))]
    assert one is not None and one.session_type == "tariff_creation"
    assert two is not None and two.session_type == "channel_registration"
    assert other_bot is not None and other_bot.id != one.id


async def test_insert_refuses_when_active_and_returns_existing(store: SessionStore) -> None:
    first = await _start(store)
    with pytest.raises(SessionExists) as exc:
        await _start(store, session_type="channel_registration")
    assert exc.value.existing.id == first.id
    current = await store.get(KEY)
    assert current is not None and current.id == first.id


async def test_insert_replace_displaces_active(store: SessionStore) -> None:
    first = await _start(store)
    second = store.new_session(
        KEY, "channel_registration", schema_version=1, step="ref", data={}, ttl=TTL
    )
    displaced = await store.insert(second, replace=True)
    assert displaced is not None and displaced.id == first.id
    current = await store.get(KEY)
    assert current is not None and current.id == second.id


async def test_insert_displaces_expired_even_without_replace(harness: Harness) -> None:
    store = harness.store
    first = await _start(store)
    harness.clock.advance(TTL.total_seconds())
    second = await _start(store, session_type="channel_registration")
    current = await store.get(KEY)
    assert current is not None and current.id == second.id != first.id


async def test_save_writes_step_and_data_together(harness: Harness) -> None:
    store = harness.store
    started = await _start(store)
    harness.clock.advance(30)
    saved = await store.save(started, step="duration", data={"price": "10.00"}, ttl=TTL)
    assert saved.version == 2
    assert saved.step == "duration"
    got = await store.get(KEY)
    assert got == saved
    assert got is not None and got.updated_at == harness.clock.now()


async def test_save_slides_expiry(harness: Harness) -> None:
    store = harness.store
    session = await _start(store)
    harness.clock.advance(500)
    session = await store.save(session, step="duration", data={}, ttl=TTL)
    harness.clock.advance(500)  # 1000 s after start, 500 s after the save
    got = await store.get(KEY)
    assert got is not None
    assert got.expires_at == session.updated_at + TTL


async def test_save_with_stale_version_conflicts_and_never_overwrites(store: SessionStore) -> None:
    started = await _start(store)
    await store.save(started, step="duration", data={"winner": 1}, ttl=TTL)
    with pytest.raises(VersionConflict) as exc:
        await store.save(started, step="name", data={"loser": 1}, ttl=TTL)
    assert exc.value.expected == 1
    assert exc.value.actual == 2
    got = await store.get(KEY)
    assert got is not None and got.data == {"winner": 1} and got.step == "duration"


async def test_save_of_replaced_session_is_not_found(store: SessionStore) -> None:
    old = await _start(store)
    await _start(store, session_type="channel_registration", replace=True)
    with pytest.raises(SessionNotFound):
        await store.save(old, step="x", data={}, ttl=TTL)


async def test_save_of_expired_session_is_not_found(harness: Harness) -> None:
    session = await _start(harness.store)
    harness.clock.advance(TTL.total_seconds())
    with pytest.raises(SessionNotFound):
        await harness.store.save(session, step="duration", data={}, ttl=TTL)


async def test_save_refuses_non_json_and_keeps_session(store: SessionStore) -> None:
    started = await _start(store, data={"a": 1})
    with pytest.raises(SessionDataError):
        await store.save(started, step="x", data={"when": object()}, ttl=TTL)
    with pytest.raises(SessionDataError):
        await store.save(started, step="x", data={"nan": float("nan")}, ttl=TTL)
    got = await store.get(KEY)
    assert got is not None and got.data == {"a": 1} and got.version == 1


async def test_payload_limit_is_64_kib(store: SessionStore) -> None:
    started = await _start(store)
    overhead = len('{"blob":""}')
    fits = {"blob": "x" * (MAX_DATA_BYTES - overhead)}
    saved = await store.save(started, step="s", data=fits, ttl=TTL)
    with pytest.raises(SessionDataError, match="65536"):
        await store.save(saved, step="s", data={"blob": "x" * MAX_DATA_BYTES}, ttl=TTL)
    # Multi-byte characters count as bytes, not characters.
    with pytest.raises(SessionDataError):
        await store.save(saved, step="s", data={"blob": "ñ" * (MAX_DATA_BYTES // 2)}, ttl=TTL)
    with pytest.raises(SessionDataError):
        await _start(store, _key(7), data={"blob": "x" * MAX_DATA_BYTES})
    assert await store.get(_key(7)) is None
    got = await store.get(KEY)
    assert got is not None and got.version == 2


@pytest.mark.parametrize(
    ("offset", "visible"), [(-0.001, True), (0.0, False), (0.001, False), (3600, False)]
)
async def test_expiry_boundary(harness: Harness, offset: float, visible: bool) -> None:
    store = harness.store
    session = await _start(store)
    harness.clock.set(session.expires_at + timedelta(seconds=offset))
    assert (await store.get(KEY) is not None) is visible
    assert (await store.get_by_id(session.id) is not None) is visible
    assert (len(await store.list_active()) == 1) is visible
    assert (await store.count_by_type()).get("tariff_creation", 0) == (1 if visible else 0)


async def test_per_type_ttl(harness: Harness) -> None:
    store = harness.store
    await _start(store, _key(1), "short", ttl=timedelta(seconds=60))
    await _start(store, _key(2), "long", ttl=timedelta(seconds=3600))
    harness.clock.advance(61)
    assert await store.get(_key(1)) is None
    assert await store.get(_key(2)) is not None


async def test_delete_returns_what_it_removed(store: SessionStore) -> None:
    started = await _start(store)
    assert await store.delete(KEY, session_id="someone-else") is None
    removed = await store.delete(KEY, session_id=started.id)
    assert removed is not None and removed.id == started.id
    assert await store.get(KEY) is None
    assert await store.delete(KEY) is None


async def test_delete_many_by_user_type_and_all(store: SessionStore) -> None:
    await _start(store, _key(1), "tariff_creation")
    await _start(store, _key(2), "tariff_creation")
    await _start(store, _key(3), "channel_registration")
    await _start(store, SessionKey(bot_id=1, chat_id=-5, user_id=3), "tariff_edit")
    by_user = await store.delete_many(user_id=3)
    assert sorted(s.session_type for s in by_user) == ["channel_registration", "tariff_edit"]
    by_type = await store.delete_many(session_type="tariff_creation")
    assert sorted(s.key.user_id for s in by_type) == [1, 2]
    assert await store.list_active() == []
    await _start(store, _key(4))
    everything = await store.delete_many()
    assert [s.key.user_id for s in everything] == [4]
    assert await store.delete_many() == []


async def test_list_and_count_active(harness: Harness) -> None:
    store = harness.store
    for user in range(1, 4):
        await _start(store, _key(user), "tariff_creation")
        harness.clock.advance(1)
    await _start(store, _key(9), "channel_registration", ttl=timedelta(seconds=5))
    harness.clock.advance(1)
    assert await store.count_by_type() == {"tariff_creation": 3, "channel_registration": 1}
    listed = await store.list_active()
    assert [s.key.user_id for s in listed] == [1, 2, 3, 9]
    assert [s.key.user_id for s in await store.list_active(session_type="tariff_creation")] == [
        1,
        2,
        3,
    ]
    assert [s.key.user_id for s in await store.list_active(user_id=2)] == [2]
    assert len(await store.list_active(limit=2)) == 2
    harness.clock.advance(5)
    assert await store.count_by_type() == {"tariff_creation": 3}


async def test_get_by_id(store: SessionStore) -> None:
    started = await _start(store)
    got = await store.get_by_id(started.id)
    assert got is not None and got.key == KEY
    assert await store.get_by_id("0" * 32) is None


async def test_sweep_returns_expired_once_in_batches(harness: Harness) -> None:
    store = harness.store
    for user in range(10):
        ttl = timedelta(seconds=10 if user % 2 else 1000)
        await _start(store, _key(user), ttl=ttl)
    harness.clock.advance(10)
    first = await store.sweep(limit=3)
    second = await store.sweep(limit=3)
    third = await store.sweep(limit=3)
    swept = [s.key.user_id for s in first + second + third]
    assert len(first) == 3 and len(second) == 2 and third == []
    assert sorted(swept) == [1, 3, 5, 7, 9]
    assert len(await store.list_active()) == 5
    assert await store.sweep(limit=100) == []


async def test_sweep_skips_sessions_slid_past_now(harness: Harness) -> None:
    store = harness.store
    session = await _start(store, ttl=timedelta(seconds=10))
    harness.clock.advance(5)
    await store.save(session, step="duration", data={}, ttl=timedelta(seconds=10))
    harness.clock.advance(6)  # past the original expiry, inside the slid one
    assert await store.sweep(limit=10) == []
    assert await store.get(KEY) is not None


async def test_concurrent_sweepers_report_each_session_once(harness: Harness) -> None:
    for user in range(300):
        await _start(harness.store, _key(user), ttl=timedelta(seconds=1))
    harness.clock.advance(2)
    other = await harness.reopen()

    async def drain(store: SessionStore) -> list[str]:
        ids: list[str] = []
        while batch := await store.sweep(limit=25):
            ids.extend(s.id for s in batch)
        return ids

    a, b = await asyncio.gather(drain(harness.store), drain(other))
    assert len(a) + len(b) == 300
    assert len(set(a) | set(b)) == 300


async def test_concurrent_cas_increments_with_retry_count_exactly(harness: Harness) -> None:
    await _start(harness.store, data={"n": 0})
    other = await harness.reopen()
    stores = [harness.store, other]

    async def increment(i: int) -> int:
        store = stores[i % 2]
        conflicts = 0
        while True:
            current = await store.get(KEY)
            assert current is not None
            try:
                await store.save(current, step="count", data={"n": current.data["n"] + 1}, ttl=TTL)
                return conflicts
            except VersionConflict:
                conflicts += 1

    await asyncio.gather(*(increment(i) for i in range(200)))
    final = await harness.store.get(KEY)
    assert final is not None
    assert final.data["n"] == 200
    assert final.version == 201


async def test_restart_reads_and_continues(harness: Harness) -> None:
    started = await _start(harness.store, data={"price": "5.00"})
    reopened = await harness.reopen()
    got = await reopened.get(KEY)
    assert got == started
    assert got is not None
    saved = await reopened.save(got, step="duration", data={**got.data, "days": 30}, ttl=TTL)
    assert saved.version == 2


async def test_corrupt_record_is_removed_and_reported(harness: Harness) -> None:
    if harness.name == "memory":
        return  # the memory store keeps decoded objects; nothing can corrupt them
    await harness.corrupt(KEY)
    with pytest.raises(CorruptSession) as exc:
        await harness.store.get(KEY)
    assert exc.value.key == KEY
    assert await harness.store.get(KEY) is None
    # The key is usable again.
    await _start(harness.store)
    assert await harness.store.get(KEY) is not None


async def test_corrupt_records_do_not_break_listing_or_sweeping(harness: Harness) -> None:
    if harness.name == "memory":
        return
    await harness.corrupt(KEY)
    await _start(harness.store, _key(5))
    listed = await harness.store.list_active()
    assert [s.key.user_id for s in listed] == [5]
    harness.clock.advance(7200)
    swept = await harness.store.sweep(limit=10)
    assert [s.key.user_id for s in swept] == [5]
