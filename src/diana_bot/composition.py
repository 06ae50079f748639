"""The composition root: settings in, every long-lived object out. Nothing at import time.

settings → engine → services → session library (``build_container``) → Bot, Dispatcher
with the flows, sweeper (``build_bot_parts``) → web app (``build_web``). The bot
(``runtime.py``), the CLI, the sandbox and the benchmark all build here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import structlog
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiohttp import web

from aiogram_durable import (
    Clock,
    FlushBeforeSend,
    SessionIsolation,
    SessionManager,
    SessionStorage,
    SessionTypes,
    SkipAppliedUpdates,
    SqlAuditLog,
    Sweeper,
    SystemClock,
    open_backend,
)
from aiogram_durable.urls import is_sqlite
from diana_bot.bot.dispatcher import DianaDispatcher
from diana_bot.bot.flows import DEFAULT_FLOWS, Flows
from diana_bot.bot.handlers import build_router, describe
from diana_bot.bot.i18n import DianaI18n
from diana_bot.bot.notifier import notify_expired
from diana_bot.bot.services import BotServices
from diana_bot.config import TELEGRAM_OFFICIAL_API, Settings
from diana_bot.container import Container
from diana_bot.db.budget import ConnectionBudget
from diana_bot.db.engine import create_engine, create_sessionmaker
from diana_bot.db.migrate import upgrade_async
from diana_bot.domain import ChannelService, TariffService
from diana_bot.metrics import Metrics
from diana_bot.web.server import build_web_app

log = structlog.get_logger(__name__)


def session_store_url(settings: Settings) -> str:
    """The URL of the session store: the database, or Redis with SESSION_BACKEND=redis."""
    if settings.session_backend == "redis":
        if settings.redis_url is None:
            raise ValueError("REDIS_URL is required for the redis backend")
        return settings.redis_url.get_secret_value()
    return settings.database_url.get_secret_value()


async def build_container(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate: bool | None = None,
    flows: Flows = DEFAULT_FLOWS,
) -> Container:
    """Open the database (migrating it unless told not to) and the session backend."""
    clock = clock or SystemClock()
    url = settings.database_url.get_secret_value()
    if settings.database_auto_migrate if migrate is None else migrate:
        await upgrade_async(url)
    budget = ConnectionBudget.split(
        settings.database_pool_size, sql_sessions=settings.session_backend == "sql"
    )
    engine = create_engine(url, pool_size=budget.engine)
    sessionmaker = create_sessionmaker(engine)
    backend = await open_backend(
        session_store_url(settings),
        clock=clock,
        store_pool=budget.store or None,
        lock_pool=max(1, budget.locks),
        # Keeps the Redis keys and advisory lock ids Diana has always used.
        namespace="diana",
    )
    audit = SqlAuditLog(engine)
    manager = SessionManager(
        backend.store,
        SessionTypes(),
        audit,
        default_ttl=timedelta(seconds=settings.session_ttl_seconds),
    )
    storage = SessionStorage(manager)
    flows.register_on(storage)
    log.info(
        "bootstrap.ready",
        session_backend=settings.session_backend,
        database=engine.url.get_backend_name(),
        pool_size=budget.total if not is_sqlite(url) else None,
        types=manager.types.names(),
    )
    return Container(
        settings=settings,
        clock=clock,
        engine=engine,
        sessionmaker=sessionmaker,
        channels=ChannelService(sessionmaker, clock),
        tariffs=TariffService(sessionmaker, clock),
        backend=backend,
        audit=audit,
        sessions=manager,
        storage=storage,
        budget=budget,
    )


def build_bot(
    settings: Settings, token: str | None = None, *, session: BaseSession | None = None
) -> Bot:
    """A Bot talking to ``TELEGRAM_API_URL`` (Telegram's, or a self-hosted one), or
    through ``session`` (tests record what the bot sends)."""
    if session is None and settings.telegram_api_url != TELEGRAM_OFFICIAL_API:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        token or settings.require_token(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def build_services(container: Container) -> BotServices:
    settings = container.settings
    return BotServices(
        channels=container.channels,
        tariffs=container.tariffs,
        sessions=container.sessions,
        admin_ids=settings.admin_ids,
        # Each admin's Telegram language when Diana speaks it, else LOCALE.
        i18n=DianaI18n(settings.locale),
    )


def build_dispatcher(
    container: Container,
    *,
    flows: Flows = DEFAULT_FLOWS,
    services: BotServices | None = None,
    metrics: Metrics | None = None,
) -> DianaDispatcher:
    """The Dispatcher with the durable FSM, cross-process isolation and every router.

    ``flows`` must be the ones ``build_container`` registered as session types.
    """
    svc = services or build_services(container)
    dp = DianaDispatcher(
        storage=container.storage,
        events_isolation=SessionIsolation(container.storage, container.backend.locks),
        svc=svc,
        metrics=metrics,
        on_outage=container.backend.reset_connections,
        flows=flows,
    )
    dp.update.outer_middleware(SkipAppliedUpdates())
    dp.include_router(build_router(flows))
    dp["router_tree"] = describe(dp)[1:]
    return dp


@dataclass
class BotParts:
    """One bot, built and not yet running: what ``runtime.BotRuntime`` runs."""

    container: Container
    bot: Bot
    svc: BotServices
    dispatcher: DianaDispatcher
    sweeper: Sweeper
    metrics: Metrics

    async def close(self) -> None:
        await self.bot.session.close()
        await self.container.close()


async def build_bot_parts(
    settings: Settings,
    *,
    flows: Flows = DEFAULT_FLOWS,
    clock: Clock | None = None,
    bot_session: BaseSession | None = None,
) -> BotParts:
    """Everything ``diana-bot run`` (and the sandbox, and the in-process tests) runs."""
    metrics = Metrics(alert_threshold=settings.session_alert_threshold)
    container = await build_container(settings, clock=clock, flows=flows)
    container.sessions.add_listener(metrics.on_event)
    metrics.watch_reads(container.sessions)
    bot = build_bot(settings, session=bot_session)
    # Durable first, visible second: the session is written before anything is sent.
    bot.session.middleware(FlushBeforeSend(container.storage))
    svc = build_services(container)
    dispatcher = build_dispatcher(container, flows=flows, services=svc, metrics=metrics)

    async def after_sweep(swept: int, ok: bool) -> None:
        await metrics.on_sweep_round(swept, ok)
        await metrics.refresh(container.sessions)

    sweeper = Sweeper(
        container.sessions,
        interval=settings.session_sweep_interval_seconds,
        on_expired=partial(notify_expired, bot, svc),
        on_round=after_sweep,
    )
    return BotParts(container, bot, svc, dispatcher, sweeper, metrics)


def build_web(parts: BotParts, *, webhook_secret: str | None = None) -> web.Application:
    """Health and metrics routes; the webhook route too when ``webhook_secret`` is given
    (webhook mode)."""
    if webhook_secret is None:
        return build_web_app(parts.container, parts.metrics)
    return build_web_app(
        parts.container,
        parts.metrics,
        dispatcher=parts.dispatcher,
        bot=parts.bot,
        webhook_path=parts.container.settings.webhook_path,
        webhook_secret=webhook_secret,
    )
