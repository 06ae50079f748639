"""aiogram's storage contract, as ``MemoryStorage`` and ``RedisStorage`` honour it, on
every backend: the behaviour aiogram's own storage tests check (tests/test_fsm/storage in
aiogram), plus every ``StorageKey`` field, data without a state and any state string."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage

from aiogram_durable.audit import MemoryAuditLog
from aiogram_durable.fsm import (
    DEFAULT_SESSION_TYPE,
    SessionIsolation,
    SessionStorage,
)
from aiogram_durable.locks import LocalKeyLocks
from aiogram_durable.manager import SessionManager
from aiogram_durable.types import SessionTypes
from harness import Harness

KEY = StorageKey(bot_id=42, chat_id=-100500, user_id=7)
DEFAULT_TTL = timedelta(minutes=10)


class Wizard(StatesGroup):
    first = State()
    second = State()


def _storage(harness: Harness, audit: MemoryAuditLog | None = None) -> SessionStorage:
    manager = SessionManager(
        harness.store, SessionTypes(), audit or MemoryAuditLog(), default_ttl=DEFAULT_TTL
    )
    storage = SessionStorage(manager)
    storage.add_flow(Wizard, "wizard", ttl=timedelta(hours=2), title="Wizard")
    return storage


async def _reopened(harness: Harness) -> SessionStorage:
    """A storage on a second store over the same data: what a restarted bot sees."""
    fresh = Harness(harness.name, await harness.reopen(), harness.clock, harness.reopen,
                    harness.corrupt)  # fmt: skip
    return _storage(fresh)


# -- what aiogram's own storage tests check --------------------------------------------


async def test_set_state(harness: Harness) -> None:
    storage = _storage(harness)
    assert await storage.get_state(KEY) is None
    await storage.set_state(KEY, "state")
    assert await storage.get_state(KEY) == "state"
    assert await (await _reopened(harness)).get_state(KEY) == "state"
    await storage.set_state(KEY, None)
    assert await storage.get_state(KEY) is None
    assert await (await _reopened(harness)).get_state(KEY) is None


async def test_set_data(harness: Harness) -> None:
    storage = _storage(harness)
    assert await storage.get_data(KEY) == {}
    await storage.set_data(KEY, {"foo": "bar"})
    assert await storage.get_data(KEY) == {"foo": "bar"}
    # Data without any state is kept, durably.
    assert await (await _reopened(harness)).get_data(KEY) == {"foo": "bar"}
    await storage.set_data(KEY, {})
    assert await storage.get_data(KEY) == {}
    assert await harness.store.get(storage.session_key(KEY)) is None


async def test_update_data(harness: Harness) -> None:
    storage = _storage(harness)
    assert await storage.get_data(KEY) == {}
    assert await storage.update_data(KEY, {"foo": "bar"}) == {"foo": "bar"}
    assert await storage.update_data(KEY, {}) == {"foo": "bar"}
    assert await storage.get_data(KEY) == {"foo": "bar"}
    assert await storage.update_data(KEY, {"baz": "spam"}) == {"foo": "bar", "baz": "spam"}
    assert await storage.update_data(KEY, {"baz": "test"}) == {"foo": "bar", "baz": "test"}
    assert await (await _reopened(harness)).get_data(KEY) == {"foo": "bar", "baz": "test"}


async def test_get_value(harness: Harness) -> None:
    storage = _storage(harness)
    assert await storage.get_value(KEY, "missing") is None
    assert await storage.get_value(KEY, "missing", 5) == 5
    await storage.set_data(KEY, {"price": 29.99, "tags": ["a"]})
    assert await storage.get_value(KEY, "price") == 29.99
    assert await storage.get_value(KEY, "tags", []) == ["a"]


async def test_data_must_be_a_dict(harness: Harness) -> None:
    storage = _storage(harness)
    with pytest.raises(DataNotDictLikeError):
        await storage.set_data(KEY, [("a", 1)])  # type: ignore[arg-type]
    assert await harness.store.get(storage.session_key(KEY)) is None


# -- every StorageKey field keeps sessions apart ---------------------------------------

NEIGHBOURS = [
    KEY,
    StorageKey(bot_id=43, chat_id=KEY.chat_id, user_id=KEY.user_id),
    StorageKey(bot_id=42, chat_id=-100501, user_id=KEY.user_id),
    StorageKey(bot_id=42, chat_id=KEY.chat_id, user_id=8),
    StorageKey(bot_id=42, chat_id=KEY.chat_id, user_id=7, thread_id=11),
    StorageKey(bot_id=42, chat_id=KEY.chat_id, user_id=7, thread_id=12),
    StorageKey(bot_id=42, chat_id=KEY.chat_id, user_id=7, business_connection_id="bc:1"),
    StorageKey(bot_id=42, chat_id=KEY.chat_id, user_id=7, destiny="scenes_history"),
    StorageKey(bot_id=42, chat_id=KEY.chat_id, user_id=7, thread_id=11, destiny="other"),
    StorageKey(
        bot_id=42, chat_id=KEY.chat_id, user_id=7, thread_id=11, business_connection_id="é:[]"
    ),
]


async def test_every_key_field_keeps_sessions_apart(harness: Harness) -> None:
    storage = _storage(harness)
    for n, key in enumerate(NEIGHBOURS):
        await storage.set_state(key, f"state-{n}")
        await storage.set_data(key, {"n": n})
    for reader in (storage, await _reopened(harness)):
        for n, key in enumerate(NEIGHBOURS):
            assert await reader.get_state(key) == f"state-{n}"
            assert await reader.get_data(key) == {"n": n}
    stored = await harness.store.list_active()
    assert len(stored) == len(NEIGHBOURS)
    assert {s.key for s in stored} == {storage.session_key(k) for k in NEIGHBOURS}
    # Clearing one key leaves every neighbour alone.
    await storage.set_state(NEIGHBOURS[4], None)
    await storage.set_data(NEIGHBOURS[4], {})
    assert len(await harness.store.list_active()) == len(NEIGHBOURS) - 1
    assert await storage.get_data(NEIGHBOURS[5]) == {"n": 5}


async def test_a_user_s_sessions_are_listed_and_cleared_over_every_scope(
    harness: Harness,
) -> None:
    storage = _storage(harness)
    for key in NEIGHBOURS:
        await storage.set_data(key, {"x": 1})
    mine = await harness.store.list_active(user_id=7)
    assert len(mine) == len(NEIGHBOURS) - 1  # all but user 8's
    removed = await harness.store.delete_many(user_id=7)
    assert len(removed) == len(NEIGHBOURS) - 1
    assert [s.key.user_id for s in await harness.store.list_active()] == [8]


# -- states and flows --------------------------------------------------------------------


async def test_set_state_none_keeps_the_data_as_memory_storage_does(harness: Harness) -> None:
    storage = _storage(harness)
    await storage.set_state(KEY, Wizard.first)
    await storage.update_data(KEY, {"name": "Gold"})
    await storage.set_state(KEY, None)
    reopened = await _reopened(harness)
    assert await reopened.get_state(KEY) is None
    assert await reopened.get_data(KEY) == {"name": "Gold"}


async def test_registered_and_unregistered_states(harness: Harness) -> None:
    storage = _storage(harness)
    plain = StorageKey(bot_id=42, chat_id=1, user_id=1)
    await storage.set_state(KEY, Wizard.second)
    await storage.set_state(plain, "SomeoneElsesGroup:step")
    flow = await harness.store.get(storage.session_key(KEY))
    other = await harness.store.get(storage.session_key(plain))
    assert flow is not None and other is not None
    assert (flow.session_type, flow.step) == ("wizard", "second")
    assert flow.expires_at - flow.updated_at == timedelta(hours=2)  # the flow's own TTL
    assert (other.session_type, other.step) == (DEFAULT_SESSION_TYPE, "SomeoneElsesGroup:step")
    assert other.expires_at - other.updated_at == DEFAULT_TTL
    assert await (await _reopened(harness)).get_state(plain) == "SomeoneElsesGroup:step"


async def test_clear_ends_the_session(harness: Harness) -> None:
    audit = MemoryAuditLog()
    storage = _storage(harness, audit)
    isolation = SessionIsolation(storage, LocalKeyLocks())
    async with isolation.lock(KEY):
        await storage.set_state(KEY, Wizard.first)
        await storage.set_data(KEY, {"a": 1})
    async with isolation.lock(KEY):
        await storage.set_state(KEY, None)
        await storage.set_data(KEY, {})
    assert await harness.store.get(storage.session_key(KEY)) is None
    assert [e.event for e in audit.events] == ["started", "completed"]


async def test_data_without_a_state_inside_an_update(harness: Harness) -> None:
    storage = _storage(harness)
    isolation = SessionIsolation(storage, LocalKeyLocks())
    async with isolation.lock(KEY):
        await storage.update_data(KEY, {"seen": 1})
    async with isolation.lock(KEY):
        assert await storage.get_data(KEY) == {"seen": 1}
        await storage.set_state(KEY, "waiting")
    stored = await harness.store.get(storage.session_key(KEY))
    assert stored is not None and stored.data == {"seen": 1} and stored.step == "waiting"
    assert stored.version == 2  # the same session carried on, not a new one


# -- side by side with aiogram's MemoryStorage -------------------------------------------

Op = Callable[[BaseStorage, StorageKey], Awaitable[Any]]


def _random_ops(rng: random.Random, n: int) -> list[tuple[str, Op]]:
    states: list[str | State | None] = [None, "plain", Wizard.first, Wizard.second, "G:s"]
    ops: list[tuple[str, Op]] = []
    for _ in range(n):
        choice = rng.randrange(6)
        if choice == 0:
            state = rng.choice(states)

            async def set_state(s: BaseStorage, k: StorageKey, st: Any = state) -> Any:
                return await s.set_state(k, st)

            ops.append((f"set_state({state})", set_state))
        elif choice == 1:
            data = {f"k{rng.randrange(3)}": rng.randrange(100)} if rng.random() < 0.8 else {}

            async def set_data(s: BaseStorage, k: StorageKey, d: Any = data) -> Any:
                return await s.set_data(k, d)

            ops.append((f"set_data({data})", set_data))
        elif choice == 2:
            data = {f"k{rng.randrange(3)}": rng.randrange(100)}

            async def update_data(s: BaseStorage, k: StorageKey, d: Any = data) -> Any:
                return await s.update_data(k, d)

            ops.append((f"update_data({data})", update_data))
        elif choice == 3:

            async def get(s: BaseStorage, k: StorageKey) -> Any:
                return (await s.get_state(k), await s.get_data(k))

            ops.append(("get", get))
        elif choice == 4:
            name = f"k{rng.randrange(3)}"

            async def get_value(s: BaseStorage, k: StorageKey, n: str = name) -> Any:
                return await s.get_value(k, n, "absent")

            ops.append((f"get_value({name})", get_value))
        else:

            async def clear(s: BaseStorage, k: StorageKey) -> Any:
                await s.set_state(k, None)
                return await s.set_data(k, {})

            ops.append(("clear", clear))
    return ops


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_same_answers_as_memory_storage(harness: Harness, seed: int) -> None:
    ours, theirs = _storage(harness), MemoryStorage()
    rng = random.Random(seed)
    keys = NEIGHBOURS[:3] + NEIGHBOURS[-3:]
    for step, (name, op) in enumerate(_random_ops(rng, 120)):
        key = rng.choice(keys)
        assert await op(ours, key) == await op(theirs, key), f"op {step}: {name} on {key}"
    reopened = await _reopened(harness)
    for key in keys:
        assert await reopened.get_state(key) == await theirs.get_state(key)
        assert await reopened.get_data(key) == await theirs.get_data(key)
