"""The menu screens every handler may return to: root, tariff and channel lists, details.

Not a router: flows show these when they end, and the menus when a button asks.
"""

from __future__ import annotations

from html import escape

from aiogram import Bot

from diana_bot.bot import keyboards
from diana_bot.bot.replies import Incoming, Screen, show
from diana_bot.bot.services import BotServices
from diana_bot.domain import DomainError
from diana_bot.domain.channels import Channel
from diana_bot.domain.tariffs import Tariff


async def show_root(bot: Bot, event: Incoming, svc: BotServices) -> None:
    await show(bot, event, Screen(svc.tr("menu.root"), keyboards.root(svc.tr)))


async def show_tariffs(
    bot: Bot, event: Incoming, svc: BotServices, notes: tuple[str, ...] = ()
) -> None:
    items = await svc.tariffs.list_active()
    text = svc.tr("menu.tariffs") if items else svc.tr("menu.tariffs_empty")
    await show(bot, event, Screen(text, keyboards.tariffs(svc.tr, items), notes))


async def show_channels(
    bot: Bot, event: Incoming, svc: BotServices, notes: tuple[str, ...] = ()
) -> None:
    items = await svc.channels.list(active_only=True)
    text = svc.tr("menu.channels") if items else svc.tr("menu.channels_empty")
    await show(bot, event, Screen(text, keyboards.channels(svc.tr, items), notes))


def tariff_text(svc: BotServices, item: Tariff) -> str:
    return svc.tr(
        "tariff.details",
        name=escape(item.name),
        price=svc.tr.price(item.price, item.currency),
        duration=svc.tr.duration(item.duration_days),
        description=escape(item.description)
        if item.description
        else svc.tr("tariff.no_description"),
    )


def channel_text(svc: BotServices, item: Channel) -> str:
    return svc.tr(
        "channel.details",
        title=escape(item.title),
        chat_id=item.chat_id,
        kind=svc.tr(f"channel.kind.{item.kind}"),
    )


async def active_tariff(
    bot: Bot, event: Incoming, svc: BotServices, tariff_id: int
) -> Tariff | None:
    """The tariff if it exists and is active; otherwise None, after showing the list
    with the reason."""
    try:
        item = await svc.tariffs.get(tariff_id)
    except DomainError as exc:
        await show_tariffs(bot, event, svc, (svc.tr.error(exc),))
        return None
    if not item.is_active:
        await show_tariffs(bot, event, svc, (svc.tr("tariff.inactive"),))
        return None
    return item


async def show_tariff(
    bot: Bot, event: Incoming, svc: BotServices, tariff_id: int, notes: tuple[str, ...] = ()
) -> None:
    item = await active_tariff(bot, event, svc, tariff_id)
    if item is not None:
        await show(
            bot, event, Screen(tariff_text(svc, item), keyboards.tariff(svc.tr, item), notes)
        )
