"""Running the bot: long polling, or a webhook behind a reverse proxy.

``BotRuntime`` runs one bot built by the composition root (stores, dispatcher,
sweeper); ``diana-bot run`` and the sandbox both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal

import structlog
from aiogram import Bot
from aiogram.types import BotCommand

from diana_bot.bot.flows import DEFAULT_FLOWS, Flows
from diana_bot.bot.i18n import DianaI18n
from diana_bot.bot.replies import TELEGRAM_FAILURES, best_effort, failure_text
from diana_bot.composition import BotParts, build_bot_parts, build_web
from diana_bot.config import Settings, require_webhook
from diana_bot.web.server import RetryingSite, start_site

log = structlog.get_logger(__name__)

# How long a shutdown waits for the updates in hand before closing the stores.
SHUTDOWN_GRACE_S = 30.0


async def set_commands(bot: Bot, i18n: DianaI18n) -> None:
    """Publish the command list in every language Diana speaks: ``LOCALE``'s as the
    default list (what users of any other language see), each other language's for the
    users whose Telegram speaks it. A failure is logged, never fatal."""
    for locale in sorted(i18n.available_locales, key=lambda loc: loc != i18n.default_locale):
        with i18n.use_locale(locale):
            commands = [
                BotCommand(command="admin", description=i18n.translator("command.admin")),
                BotCommand(command="cancel", description=i18n.translator("command.cancel")),
            ]
        language = None if locale == i18n.default_locale else locale
        await best_effort(
            "telegram.set_commands_failed",
            bot.set_my_commands(commands, language_code=language),
            language=locale,
        )


class BotRuntime:
    """One bot built by the composition root, from ``start`` to ``stop``."""

    def __init__(self, settings: Settings, *, flows: Flows = DEFAULT_FLOWS) -> None:
        self.settings = settings
        self.flows = flows
        self.parts: BotParts | None = None
        self._polling: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the stores (migrating them), build the bot and start the sweeper."""
        parts = self.parts = await build_bot_parts(self.settings, flows=self.flows)
        log.info("bot.routers", tree=parts.dispatcher["router_tree"])
        await set_commands(parts.bot, parts.svc.i18n)
        parts.sweeper.start()
        # What start-up built lives for the whole run: keep the collector off it
        # (its full passes showed as multi-millisecond update pauses in the benchmark).
        gc.freeze()

    def running(self) -> BotParts:
        if self.parts is None:
            raise RuntimeError("BotRuntime.start() has not run")
        return self.parts

    async def poll(self, *, handle_signals: bool = True) -> None:
        """Long-poll until stopped (SIGINT/SIGTERM when ``handle_signals``)."""
        parts = self.running()
        # A webhook left by an earlier deployment would make getUpdates fail.
        await best_effort(
            "telegram.delete_webhook_failed",
            parts.bot.delete_webhook(drop_pending_updates=False),
        )
        await parts.dispatcher.start_polling(
            parts.bot,
            allowed_updates=parts.dispatcher.resolve_used_update_types(),
            handle_signals=handle_signals,
            close_bot_session=False,
            # Bounded: each running update may hold a connection (see db/budget.py).
            tasks_concurrency_limit=parts.container.budget.handlers,
        )

    def poll_in_background(self) -> asyncio.Task[None]:
        """Start polling in a task (the sandbox runs the bot beside its own server)."""
        self._polling = asyncio.get_running_loop().create_task(self.poll(handle_signals=False))
        return self._polling

    async def stop(self) -> None:
        """Stop polling, the sweeper, the updates in hand, then close every connection."""
        parts = self.parts
        if parts is None:
            return
        if self._polling is not None:
            with contextlib.suppress(RuntimeError):  # polling had not started yet
                await parts.dispatcher.stop_polling()
            try:
                await self._polling
            except asyncio.CancelledError:
                pass
            except Exception:  # a crashed poller must not keep the stores open
                log.exception("bot.polling_failed")
            self._polling = None
        await parts.sweeper.stop()
        if not await parts.dispatcher.wait_idle(SHUTDOWN_GRACE_S):
            log.warning("bot.shutdown_with_updates_in_hand", in_flight=parts.dispatcher.in_flight)
        await parts.close()
        self.parts = None
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
    site = None
    if settings.metrics_port:
        site = RetryingSite(
            build_web(runtime.running()),
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
    parts = runtime.running()
    dp, bot = parts.dispatcher, parts.bot
    url, secret = require_webhook(settings)
    app = build_web(parts, webhook_secret=secret)
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
