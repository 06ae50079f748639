"""Running the bot: long polling, or a webhook behind a reverse proxy.

``BotRuntime`` owns one running bot (stores, dispatcher, sweeper); ``diana-bot run`` and
the sandbox both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from functools import partial

import structlog
from aiogram import Bot
from aiogram.types import BotCommand

from aiogram_durable import FlushBeforeSend, Sweeper
from diana_bot.bootstrap import Container, build_container
from diana_bot.bot.dispatcher import DianaDispatcher
from diana_bot.bot.factory import build_bot, build_dispatcher, build_services
from diana_bot.bot.handlers import release_routers
from diana_bot.bot.notifier import notify_expired
from diana_bot.bot.services import BotServices
from diana_bot.bot.ui import TELEGRAM_FAILURES, best_effort, failure_text
from diana_bot.config import Settings, require_webhook
from diana_bot.web.app import RetryingSite, build_web_app, start_site
from diana_bot.web.metrics import Metrics

log = structlog.get_logger(__name__)

# How long a shutdown waits for the updates in hand before closing the stores.
SHUTDOWN_GRACE_S = 30.0


async def set_commands(bot: Bot, locale: str) -> None:
    """Publish the command list; a failure is logged, never fatal."""
    texts = {
        "es": ("Panel de administración", "Cancelar la operación en curso"),
        "en": ("Admin panel", "Cancel what is in progress"),
    }[locale]
    await best_effort(
        "telegram.set_commands_failed",
        bot.set_my_commands(
            [
                BotCommand(command="admin", description=texts[0]),
                BotCommand(command="cancel", description=texts[1]),
            ]
        ),
    )


class BotRuntime:
    """One bot: its stores, Bot, Dispatcher and sweeper, from ``start`` to ``stop``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.container: Container | None = None
        self.bot: Bot | None = None
        self.dp: DianaDispatcher | None = None
        self.svc: BotServices | None = None
        self.metrics = Metrics(alert_threshold=settings.session_alert_threshold)
        self.sweeper: Sweeper | None = None
        self._polling: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the stores (migrating them), build the bot and start the sweeper."""
        settings = self.settings
        container = self.container = await build_container(settings)
        container.sessions.add_listener(self.metrics.on_event)
        self.metrics.watch_reads(container.sessions)
        bot = self.bot = build_bot(settings)
        # Durable first, visible second: see sessions/fsm.py.
        bot.session.middleware(FlushBeforeSend(container.storage))
        svc = self.svc = build_services(container)
        self.dp = build_dispatcher(container, svc, self.metrics)
        self.sweeper = Sweeper(
            container.sessions,
            interval=settings.session_sweep_interval_seconds,
            on_expired=partial(notify_expired, bot, svc),
            on_round=self._after_sweep,
        )
        log.info("bot.routers", tree=self.dp["router_tree"])
        await set_commands(bot, settings.locale)
        self.sweeper.start()
        # What start-up built lives for the whole run: keep the collector off it
        # (its full passes showed as multi-millisecond update pauses in the benchmark).
        gc.freeze()

    async def _after_sweep(self, swept: int, ok: bool) -> None:
        await self.metrics.on_sweep_round(swept, ok)
        assert self.container is not None
        await self.metrics.refresh(self.container.sessions)

    async def poll(self, *, handle_signals: bool = True) -> None:
        """Long-poll until stopped (SIGINT/SIGTERM when ``handle_signals``)."""
        assert self.bot is not None and self.dp is not None and self.container is not None
        # A webhook left by an earlier deployment would make getUpdates fail.
        await best_effort(
            "telegram.delete_webhook_failed",
            self.bot.delete_webhook(drop_pending_updates=False),
        )
        await self.dp.start_polling(
            self.bot,
            allowed_updates=self.dp.resolve_used_update_types(),
            handle_signals=handle_signals,
            close_bot_session=False,
            # Bounded: each running update may hold a connection (see db/budget.py).
            tasks_concurrency_limit=self.container.budget.handlers,
        )

    def poll_in_background(self) -> asyncio.Task[None]:
        """Start polling in a task (the sandbox runs the bot beside its own server)."""
        self._polling = asyncio.get_running_loop().create_task(self.poll(handle_signals=False))
        return self._polling

    async def stop(self) -> None:
        """Stop polling, the sweeper, the updates in hand, then close every connection."""
        if self._polling is not None and self.dp is not None:
            with contextlib.suppress(RuntimeError):  # polling had not started yet
                await self.dp.stop_polling()
            try:
                await self._polling
            except asyncio.CancelledError:
                pass
            except Exception:  # a crashed poller must not keep the stores open
                log.exception("bot.polling_failed")
            self._polling = None
        if self.sweeper is not None:
            await self.sweeper.stop()
        if self.dp is not None and not await self.dp.wait_idle(SHUTDOWN_GRACE_S):
            log.warning("bot.shutdown_with_updates_in_hand", in_flight=self.dp.in_flight)
        if self.bot is not None:
            await self.bot.session.close()
        if self.container is not None:
            await self.container.close()
        if self.dp is not None:
            release_routers(self.dp)
        log.info("bot.stopped")


async def run_bot(settings: Settings, *, webhook: bool = False) -> None:
    """``diana-bot run``: serve until SIGINT/SIGTERM."""
    if webhook:
        require_webhook(settings)
    runtime = BotRuntime(settings)
    try:
        await runtime.start()
        if webhook:
            await _serve_webhook(runtime)
        else:
            await _poll_with_metrics(runtime)
    finally:
        await runtime.stop()


async def _poll_with_metrics(runtime: BotRuntime) -> None:
    settings = runtime.settings
    assert runtime.container is not None
    site = None
    if settings.metrics_port:
        site = RetryingSite(
            build_web_app(runtime.container, runtime.metrics),
            settings.metrics_host,
            settings.metrics_port,
            routes=["/metrics", "/health/live", "/health/ready"],
        )
        await site.start()
    try:
        await runtime.poll()
    finally:
        if site is not None:
            await site.stop()


async def _serve_webhook(runtime: BotRuntime) -> None:
    settings = runtime.settings
    assert runtime.container is not None and runtime.dp is not None and runtime.bot is not None
    dp, bot = runtime.dp, runtime.bot
    url, secret = require_webhook(settings)
    app = build_web_app(
        runtime.container,
        runtime.metrics,
        dispatcher=dp,
        bot=bot,
        webhook_path=settings.webhook_path,
        webhook_secret=secret,
    )
    web_runner = await start_site(app, settings.webhook_listen_host, settings.webhook_listen_port)
    log.info(
        "web.listening",
        host=settings.webhook_listen_host,
        port=settings.webhook_listen_port,
        webhook_path=settings.webhook_path,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await bot.set_webhook(
                url, secret_token=secret, allowed_updates=dp.resolve_used_update_types()
            )
            log.info("webhook.registered", url=url)
        except TELEGRAM_FAILURES as exc:
            # Several processes share one webhook; another may have registered it.
            log.error(
                "webhook.registration_failed",
                url=url,
                error=failure_text(exc),
                hint="check that WEBHOOK_URL is a public https URL Telegram can reach",
            )
        await stop.wait()
        log.info("bot.stopping", reason="signal")
    finally:
        # Finishes the requests in hand (each is one update) before closing.
        await web_runner.cleanup()
