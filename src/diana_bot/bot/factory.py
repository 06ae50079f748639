"""Build the Bot and the Dispatcher from the container."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from aiogram_durable import SessionIsolation, SkipAppliedUpdates
from diana_bot.bootstrap import Container
from diana_bot.bot.dispatcher import DianaDispatcher
from diana_bot.bot.handlers import build_router, describe
from diana_bot.bot.services import BotServices
from diana_bot.config import TELEGRAM_OFFICIAL_API, Settings
from diana_bot.texts import Translator
from diana_bot.web.metrics import Metrics


def build_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot talking to ``TELEGRAM_API_URL`` (Telegram's, or a self-hosted one)."""
    session = None
    if settings.telegram_api_url != TELEGRAM_OFFICIAL_API:
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
        tr=Translator(settings.locale),
    )


def build_dispatcher(
    container: Container, services: BotServices | None = None, metrics: Metrics | None = None
) -> DianaDispatcher:
    """The Dispatcher with the durable FSM, cross-process isolation and every router."""
    svc = services or build_services(container)
    dp = DianaDispatcher(
        storage=container.storage,
        events_isolation=SessionIsolation(container.storage, container.backend.locks),
        svc=svc,
        metrics=metrics,
        on_outage=container.backend.reset_connections,
    )
    dp.update.outer_middleware(SkipAppliedUpdates())
    dp.include_router(build_router())
    dp["router_tree"] = describe(dp)[1:]
    return dp
