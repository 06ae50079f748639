"""Running the bot: long polling, or a webhook behind a reverse proxy."""

from __future__ import annotations

import asyncio
import signal
from functools import partial

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import BotCommand

from diana_bot.bootstrap import Container, build_container
from diana_bot.bot.dispatcher import DianaDispatcher
from diana_bot.bot.factory import build_bot, build_dispatcher, build_services
from diana_bot.bot.notifier import notify_expired
from diana_bot.config import Settings, require_webhook
from diana_bot.sessions.fsm import FlushBeforeSend
from diana_bot.sessions.sweeper import Sweeper
from diana_bot.web.app import build_web_app, start_site
from diana_bot.web.metrics import Metrics

log = structlog.get_logger(__name__)

# How long SIGTERM waits for the updates in hand before closing the stores.
SHUTDOWN_GRACE_S = 30.0


async def set_commands(bot: Bot, locale: str) -> None:
    """Publish the command list; a failure is logged, never fatal."""
    texts = {
        "es": ("Panel de administración", "Cancelar la operación en curso"),
        "en": ("Admin panel", "Cancel what is in progress"),
    }[locale]
    try:
        await bot.set_my_commands(
            [
                BotCommand(command="admin", description=texts[0]),
                BotCommand(command="cancel", description=texts[1]),
            ]
        )
    except (TelegramAPIError, TelegramNetworkError) as exc:
        log.warning("telegram.set_commands_failed", error=str(exc))


async def run_bot(settings: Settings, *, webhook: bool = False) -> None:
    """Build everything, start the sweeper, and serve until SIGINT/SIGTERM."""
    if webhook:
        require_webhook(settings)
    container = await build_container(settings)
    metrics = Metrics(alert_threshold=settings.session_alert_threshold)
    container.sessions.add_listener(metrics.on_event)
    bot = build_bot(settings)
    bot.session.middleware(FlushBeforeSend(container.storage))
    svc = build_services(container)
    dp = build_dispatcher(container, svc, metrics)
    sweeper = Sweeper(
        container.sessions,
        interval=settings.session_sweep_interval_seconds,
        on_expired=partial(notify_expired, bot, svc),
        on_round=partial(_after_sweep, metrics, container),
    )
    log.info("bot.routers", tree=dp["router_tree"])
    try:
        await set_commands(bot, settings.locale)
        sweeper.start()
        if webhook:
            await _serve_webhook(settings, container, dp, bot, metrics)
        else:
            await _poll(settings, container, dp, bot, metrics)
    finally:
        await sweeper.stop()
        if not await dp.wait_idle(SHUTDOWN_GRACE_S):
            log.warning("bot.shutdown_with_updates_in_hand", in_flight=dp.in_flight)
        await bot.session.close()
        await container.close()
        log.info("bot.stopped")


async def _after_sweep(metrics: Metrics, container: Container, swept: int, ok: bool) -> None:
    await metrics.on_sweep_round(swept, ok)
    await metrics.refresh(container.sessions)


async def _poll(
    settings: Settings, container: Container, dp: DianaDispatcher, bot: Bot, metrics: Metrics
) -> None:
    runner = None
    if settings.metrics_port:
        runner = await start_site(
            build_web_app(container, metrics), settings.metrics_host, settings.metrics_port
        )
        log.info(
            "web.listening",
            host=settings.metrics_host,
            port=settings.metrics_port,
            routes=["/metrics", "/health/live", "/health/ready"],
        )
    try:
        # A webhook left by an earlier deployment would make getUpdates fail.
        try:
            await bot.delete_webhook(drop_pending_updates=False)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            log.warning("telegram.delete_webhook_failed", error=str(exc))
        await dp.start_polling(
            bot,
            allowed_updates=dp.resolve_used_update_types(),
            handle_signals=True,
            close_bot_session=False,
        )
    finally:
        if runner is not None:
            await runner.cleanup()


async def _serve_webhook(
    settings: Settings, container: Container, dp: DianaDispatcher, bot: Bot, metrics: Metrics
) -> None:
    url, secret = require_webhook(settings)
    app = build_web_app(
        container,
        metrics,
        dispatcher=dp,
        bot=bot,
        webhook_path=settings.webhook_path,
        webhook_secret=secret,
    )
    runner = await start_site(app, settings.webhook_listen_host, settings.webhook_listen_port)
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
        except (TelegramAPIError, TelegramNetworkError) as exc:
            # Several processes share one webhook; another may have registered it.
            log.error(
                "webhook.registration_failed",
                url=url,
                error=str(exc),
                hint="check WEBHOOK_URL is public https and reachable by Telegram",
            )
        await dp.emit_startup(bot=bot)
        await stop.wait()
        log.info("bot.stopping", reason="signal")
    finally:
        # Finishes the requests in hand (each is one update) before closing.
        await runner.cleanup()
        await dp.emit_shutdown(bot=bot)
