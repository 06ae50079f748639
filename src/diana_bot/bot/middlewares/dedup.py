"""Skips an update whose ``update_id`` was already handled (Telegram redelivers)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

log = structlog.get_logger(__name__)


class SkipHandledUpdates(BaseMiddleware):
    """Remembers the last ``capacity`` handled update ids (bounded memory).

    It runs inside the FSM lock, so a duplicate that arrives while the original is
    still being handled waits for it and is then skipped. Across restarts and processes
    the flows' idempotency keys keep completion exactly-once instead.
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
        if event.update_id in self._seen:
            log.info("update.duplicate_skipped", update_id=event.update_id)
            return None
        result = await handler(event, data)
        self._seen[event.update_id] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return result
