"""The Dispatcher with what wraps every update: the sender's language, the admin gate,
timing, outages, errors, in-flight tracking.

No update ever raises to aiogram: in webhook mode a raise is a 500 and Telegram sends
the same update again, forever. An outage answers "try again"; any other exception is
logged once with the update id, the admin is told "something went wrong", and the
session stays as it was (the unit of work writes nothing for an update that raised).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog
from aiogram import Bot, Dispatcher
from aiogram.types import TelegramObject, Update

from aiogram_durable import UpdatesInHand
from diana_bot.bot.i18n import UserLanguage
from diana_bot.bot.middlewares.auth import AdminGate, Verdict
from diana_bot.bot.replies import Screen, best_effort, send
from diana_bot.bot.services import BotServices
from diana_bot.db.outages import is_outage
from diana_bot.metrics import Metrics

log = structlog.get_logger(__name__)


class DianaDispatcher(Dispatcher):
    """aiogram's Dispatcher, plus: the sender's language for the whole update, the admin
    gate before any store access, per-update metrics, an answer when a store is down or a
    handler failed (instead of silence or a redelivery loop), and a count of updates in
    flight for clean shutdown."""

    def __init__(
        self,
        *,
        svc: BotServices,
        metrics: Metrics | None = None,
        on_outage: Callable[[], None] | None = None,
        gate: AdminGate | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(svc=svc, **kwargs)
        self.svc = svc
        self.gate = gate or AdminGate(svc.admin_ids)
        self.metrics = metrics
        self.on_outage = on_outage
        self.language = UserLanguage(svc.i18n)
        self._in_hand = UpdatesInHand()

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        # The language first: the refusal, the outage answer and every handler speak it.
        return await self.language(self._feed_localized, update, {**kwargs, "bot": bot})

    async def _feed_localized(self, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data.pop("bot")
        return await self._feed(bot, event, **data)

    async def _feed(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        verdict = self.gate.check(update)
        if verdict.outcome != "pass":
            await self._refuse(bot, update, verdict)
            return None
        self._in_hand.enter()
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await super().feed_update(bot, update, **kwargs)
        except Exception as exc:
            if is_outage(exc):
                outcome = "unavailable"
                if self.on_outage is not None:
                    self.on_outage()
                log.warning(
                    "update.store_unavailable",
                    update_id=update.update_id,
                    error=f"{type(exc).__name__}: {exc}"[:300],
                )
                await self._tell(bot, update, "service.unavailable")
            else:
                outcome = "error"
                log.exception("update.failed", update_id=update.update_id)
                # A message, not an alert: the handler may have answered the press already.
                await self._tell(bot, update, "update.failed", alert=False)
            return None
        finally:
            if self.metrics is not None:
                self.metrics.update_seconds.observe(time.perf_counter() - started)
                self.metrics.updates.labels(outcome).inc()
            self._in_hand.leave()

    async def _refuse(self, bot: Bot, update: Update, verdict: Verdict) -> None:
        """Answer a refused update, at most once a minute per user; never the store."""
        if self.metrics is not None:
            self.metrics.updates.labels(verdict.outcome).inc()
        if verdict.reply is None or verdict.user_id is None:
            return
        if not self.gate.may_answer(verdict.user_id):
            if self.metrics is not None:
                self.metrics.refusals_dropped.inc()
            return
        log.warning(
            "auth.refused",
            user_id=verdict.user_id,
            update_id=update.update_id,
            reason=verdict.reply,
            button=update.callback_query.data if update.callback_query else None,
        )
        await self._tell(bot, update, verdict.reply)

    async def _tell(self, bot: Bot, update: Update, key: str, *, alert: bool = True) -> None:
        """A short answer to whoever sent ``update``: an alert for a press (unless
        ``alert`` is False), else a message in the chat."""
        text = self.svc.tr(key)
        query = update.callback_query
        if query is not None and alert:
            await best_effort(
                "telegram.answer_failed",
                bot.answer_callback_query(query.id, text, show_alert=True),
            )
        elif query is not None:
            chat = query.message.chat.id if query.message is not None else query.from_user.id
            await send(bot, chat, Screen(text))
        elif update.message is not None:
            await send(bot, update.message.chat.id, Screen(text))

    @property
    def in_flight(self) -> int:
        """Updates being handled right now."""
        return self._in_hand.count

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no update is in hand; False on timeout."""
        return await self._in_hand.wait_idle(timeout)
