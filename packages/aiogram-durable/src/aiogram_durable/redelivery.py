"""Each update applied once: a redelivered update is acknowledged and not run again.

Telegram redelivers an update it thinks was not handled (a webhook answer lost, a
process killed after it wrote, a retry landing on another process). The session store
records the ids of the updates whose effect a session holds, in the same write as the
step they produced (see ``SessionRecord.applied_updates``); this middleware, running
inside the key's lock, skips an update whose id is there. Durable, so it holds across
restarts and processes.

An in-process memory of recent ids also skips what left no session behind: an update
that wrote nothing, or the one that ended the flow. Across a restart, such an update runs
again: it changed nothing the first time, or it finds its flow gone (buttons carry the
session's id, and finishing steps use the session id as their idempotency key).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, Update

from aiogram_durable.fsm import SessionStorage
from aiogram_durable.logs import get_logger

log = get_logger(__name__)


class SkipAppliedUpdates(BaseMiddleware):
    """Update outer middleware for a Dispatcher whose storage is a ``SessionStorage``.

    Register it after the Dispatcher is built (``dp.update.outer_middleware(...)``), so
    it runs inside aiogram's FSM middleware, under the key's lock: a duplicate arriving
    while the original is still running waits for it and is then skipped.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        if event.update_id in self._seen or await self._applied(event.update_id, data):
            log.info("update.duplicate_skipped", update_id=event.update_id)
            return None
        result = await handler(event, data)
        self._seen[event.update_id] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return result

    @staticmethod
    async def _applied(update_id: int, data: dict[str, Any]) -> bool:
        state = data.get("state")
        if not isinstance(state, FSMContext) or not isinstance(state.storage, SessionStorage):
            return False
        # The load aiogram's FSM middleware has just done: no extra round trip.
        return await state.storage.was_applied(state.key, update_id)
