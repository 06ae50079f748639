"""The Dispatcher with what wraps every update: timing, outages, in-flight tracking."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import structlog
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

from diana_bot.bot.services import BotServices
from diana_bot.bot.ui import Screen, send
from diana_bot.web.metrics import Metrics

log = structlog.get_logger(__name__)

_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.CannotConnectNowError,
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    sa_errors.OperationalError,
    sa_errors.InterfaceError,
    sa_errors.DisconnectionError,
    sqlite3.OperationalError,
)


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says a store is unreachable."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 6:
        if isinstance(current, _OUTAGE_ERRORS):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


class DianaDispatcher(Dispatcher):
    """aiogram's Dispatcher, plus: per-update metrics, a "try again" answer when a store
    is down (instead of silence), and a count of updates in flight for clean shutdown."""

    def __init__(
        self,
        *,
        svc: BotServices,
        metrics: Metrics | None = None,
        on_outage: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(svc=svc, **kwargs)
        self.svc = svc
        self.metrics = metrics
        self.on_outage = on_outage
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        self._in_flight += 1
        self._idle.clear()
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await super().feed_update(bot, update, **kwargs)
        except Exception as exc:
            if not is_outage(exc):
                outcome = "error"
                raise
            outcome = "unavailable"
            if self.on_outage is not None:
                self.on_outage()
            log.warning(
                "update.store_unavailable",
                update_id=update.update_id,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
            await self._tell_unavailable(bot, update)
            return None
        finally:
            if self.metrics is not None:
                self.metrics.update_seconds.observe(time.perf_counter() - started)
                self.metrics.updates.labels(outcome).inc()
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _tell_unavailable(self, bot: Bot, update: Update) -> None:
        text = self.svc.tr("service.unavailable")
        if update.callback_query is not None:
            query = update.callback_query
            if query.from_user.id in self.svc.admin_ids:
                try:
                    await bot.answer_callback_query(query.id, text, show_alert=True)
                except Exception as exc:  # Telegram may be down too; nothing more to do
                    log.info("telegram.answer_failed", error=str(exc))
        elif (
            update.message is not None
            and update.message.from_user is not None
            and update.message.from_user.id in self.svc.admin_ids
        ):
            await send(bot, update.message.chat.id, Screen(text))

    @property
    def in_flight(self) -> int:
        """Updates being handled right now."""
        return self._in_flight

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no update is in hand; False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
