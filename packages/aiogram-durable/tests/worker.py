"""A separate OS process that drives sessions through a real Dispatcher.

Usage: python worker.py URL MODE COUNT
  URL: sqlite:///…, postgresql://… or redis://….
  MODE "increment": print "ready", wait for "go" on stdin, then feed COUNT updates of
  one admin, each incrementing a counter in the session; print conflicts seen.
  MODE "start": open a session with data {"n": COUNT} and exit.
  MODE "continue": read that session, check it, finish it; print its data.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta

from aiogram import Bot, Dispatcher, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from aiogram_durable.audit import MemoryAuditLog
from aiogram_durable.backends import open_backend
from aiogram_durable.clock import SystemClock
from aiogram_durable.fsm import SessionIsolation, SessionStorage, finish_flow
from aiogram_durable.manager import SessionManager
from aiogram_durable.model import VersionConflict
from aiogram_durable.types import SessionTypes
from updates import text_update

TOKEN = "42:" + "B" * 35
ADMIN = 777


class Counting(StatesGroup):
    counting = State()


async def main(url: str, mode: str, count: int) -> int:
    opened = await open_backend(url, clock=SystemClock())
    manager = SessionManager(
        opened.store, SessionTypes(), MemoryAuditLog(), default_ttl=timedelta(minutes=10)
    )
    storage = SessionStorage(manager)
    storage.add_flow(Counting, "counting")
    dp = Dispatcher(storage=storage, events_isolation=SessionIsolation(storage, opened.locks))
    router = Router()
    results: dict[str, object] = {}

    @router.message(Command("inc"))
    async def inc(message: Message, state: FSMContext) -> None:
        data = await state.get_data()
        await state.set_state(Counting.counting)
        await state.update_data(n=int(data.get("n", 0)) + 1)

    @router.message(Command("start"))
    async def start(message: Message, state: FSMContext) -> None:
        await state.set_state(Counting.counting)
        await state.update_data(n=count, pid_written=True)

    @router.message(Command("finish"))
    async def finish(message: Message, state: FSMContext) -> None:
        results["state"] = await state.get_state()
        results["data"] = await state.get_data()
        await finish_flow(state)

    dp.include_router(router)
    bot = Bot(TOKEN)
    conflicts = 0
    try:
        if mode == "increment":
            print("ready", flush=True)
            if sys.stdin.readline().strip() != "go":
                return 1
            for _ in range(count):
                try:
                    await dp.feed_update(bot, text_update(ADMIN, "/inc"))
                except VersionConflict:
                    conflicts += 1
            print(json.dumps({"conflicts": conflicts}), flush=True)
        elif mode == "start":
            await dp.feed_update(bot, text_update(ADMIN, "/start"))
        elif mode == "continue":
            await dp.feed_update(bot, text_update(ADMIN, "/finish"))
            print(json.dumps(results), flush=True)
    finally:
        await opened.close()
        await bot.session.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
