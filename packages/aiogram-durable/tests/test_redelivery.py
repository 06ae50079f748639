"""Each update applied once: a redelivered update finds its id stored with the step it
produced, on every backend, also in a new dispatcher on a reopened store (a restart)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update

from aiogram_durable.model import (
    MAX_APPLIED_UPDATES,
    SessionDataError,
    SessionKey,
    with_applied,
)
from aiogram_durable.redelivery import SkipAppliedUpdates
from harness import Harness
from test_fsm import TOKEN, USER, SpyStore, _build
from updates import text_update

KEY = SessionKey(42, USER, USER)


@pytest.fixture
def bot() -> Bot:
    return Bot(TOKEN)


def _with_skip(harness: Harness) -> tuple[Dispatcher, SpyStore]:
    dp, spy, _, _ = _build(harness)
    dp.update.outer_middleware(SkipAppliedUpdates())
    return dp, spy


async def _restarted(harness: Harness) -> tuple[Dispatcher, SpyStore]:
    reopened = await harness.reopen()
    return _with_skip(
        Harness(harness.name, reopened, harness.clock, harness.reopen, harness.corrupt)
    )


async def _writes(dp: Dispatcher, bot: Bot, spy: SpyStore, update: Update) -> int:
    before = spy.writes()
    await dp.feed_update(bot, update)
    return spy.writes() - before


async def test_an_answer_redelivered_after_a_restart_is_not_applied_to_the_next_step(
    harness: Harness, bot: Bot
) -> None:
    dp, _ = _with_skip(harness)
    await dp.feed_update(bot, text_update(USER, "/start"))
    answer = text_update(USER, "30")
    await dp.feed_update(bot, answer)

    dp2, spy2 = await _restarted(harness)
    # Without the stored id this "30" would be read as the name and finish the flow.
    assert await _writes(dp2, bot, spy2, answer) == 0
    stored = await harness.store.get(KEY)
    assert stored is not None
    assert (stored.step, stored.data) == ("name", {"started": True, "price": "30"})
    assert stored.version == 2
    assert answer.update_id in stored.applied_updates


async def test_a_start_redelivered_after_a_restart_keeps_the_open_flow(
    harness: Harness, bot: Bot
) -> None:
    dp, _ = _with_skip(harness)
    start = text_update(USER, "/start")
    await dp.feed_update(bot, start)
    first = await harness.store.get(KEY)
    assert first is not None

    dp2, spy2 = await _restarted(harness)
    assert await _writes(dp2, bot, spy2, start) == 0
    again = await harness.store.get(KEY)
    assert again is not None and (again.id, again.version) == (first.id, 1)


async def test_a_replacing_flow_keeps_the_ids_of_the_one_it_replaced(
    harness: Harness, bot: Bot
) -> None:
    dp, _ = _with_skip(harness)
    start = text_update(USER, "/start")
    await dp.feed_update(bot, start)
    await dp.feed_update(bot, text_update(USER, "/other"))

    dp2, spy2 = await _restarted(harness)
    assert await _writes(dp2, bot, spy2, start) == 0
    stored = await harness.store.get(KEY)
    assert stored is not None and stored.session_type == "other"


async def test_an_update_that_wrote_nothing_runs_again_and_a_new_one_is_applied(
    harness: Harness, bot: Bot
) -> None:
    dp, spy = _with_skip(harness)
    await dp.feed_update(bot, text_update(USER, "/start"))
    # Update ids are not assumed sequential: a far larger one, then a smaller one.
    big = text_update(USER, "10", update_id=2**40 + 7)
    assert await _writes(dp, bot, spy, big) == 1
    dp2, spy2 = await _restarted(harness)
    assert await _writes(dp2, bot, spy2, text_update(USER, "Gold", update_id=3)) == 1
    assert await harness.store.get(KEY) is None


async def test_a_duplicate_in_the_same_process_is_skipped_even_after_the_flow_ended(
    harness: Harness, bot: Bot
) -> None:
    dp, spy = _with_skip(harness)
    await dp.feed_update(bot, text_update(USER, "/start"))
    await dp.feed_update(bot, text_update(USER, "10"))
    finishing = text_update(USER, "Gold")
    assert await _writes(dp, bot, spy, finishing) == 1
    assert await _writes(dp, bot, spy, finishing) == 0


def test_applied_ids_are_bounded_newest_last() -> None:
    applied: tuple[int, ...] = ()
    for update_id in range(1, MAX_APPLIED_UPDATES + 6):
        applied = with_applied(applied, update_id)
    assert applied == tuple(range(6, MAX_APPLIED_UPDATES + 6))
    assert with_applied(applied, 10) == applied
    assert with_applied(applied, None) == applied


async def test_the_reserved_key_is_refused_as_session_data(harness: Harness) -> None:
    session = harness.store.new_session(
        KEY,
        "demo",
        schema_version=1,
        step="price",
        data={"__applied_updates__": [1]},
        ttl=timedelta(minutes=10),
    )
    with pytest.raises(SessionDataError, match="reserved"):
        await harness.store.insert(session, replace=False)
    assert await harness.store.get(KEY) is None
