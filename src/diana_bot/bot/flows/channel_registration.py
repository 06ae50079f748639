"""➕ Añadir Canales: forward a channel message or type its id / @username, then confirm."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import structlog
from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramNotFound
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)

from aiogram_durable import finish_flow, session_id_of
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import FlowButton
from diana_bot.bot.flows.base import AdminFlow, Notes, on_button, per_step, token
from diana_bot.bot.replies import TELEGRAM_FAILURES, Incoming, Screen, failure_text, prompt, show
from diana_bot.bot.services import BotServices
from diana_bot.domain import ChannelAlreadyRegistered, DomainError, ValidationError
from diana_bot.domain.parsing import parse_channel_ref

log = structlog.get_logger(__name__)


class ChannelRegistration(StatesGroup):
    """➕ Añadir Canales: a channel reference, then confirmation."""

    ref = State()
    confirm = State()


_ADMIN_STATUSES = {"administrator", "creator"}
# getChat errors that are Telegram's own answer about the chat ("chat not found", the bot
# was kicked): the admin must fix something before the channel can be registered.
_ANSWERS_ABOUT_THE_CHAT = (TelegramBadRequest, TelegramForbiddenError, TelegramNotFound)


async def start(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, args: Sequence[str]
) -> None:
    await state.set_state(ChannelRegistration.ref)
    await state.set_data({})
    await render_ref(bot, event, state, svc, ())


async def render_ref(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, notes: Notes
) -> None:
    await prompt(
        bot,
        event,
        state,
        Screen(svc.tr("channel.ask_ref"), keyboards.flow_cancel(svc.tr, await token(state)), notes),
    )


async def render_confirm(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, notes: Notes
) -> None:
    data = await state.get_data()
    tok = await token(state)
    other = "free" if data["kind"] == "vip" else "vip"
    toggle = keyboards.flow_button(svc.tr(f"btn.make_{other}"), tok, "kind", other)
    warnings = tuple(svc.tr(w) for w in data.get("warnings", []))
    text = svc.tr(
        "channel.confirm",
        chat_id=data["chat_id"],
        title=escape(data["title"]),
        kind=svc.tr(f"channel.kind.{data['kind']}"),
    )
    await prompt(
        bot,
        event,
        state,
        Screen(
            text,
            keyboards.flow_confirm(svc.tr, tok, back=True, extra=[toggle]),
            (*notes, *warnings),
        ),
    )


def _forwarded_channel(message: Message) -> tuple[dict[str, Any] | None, str | None]:
    """``(channel, error key)`` of a forwarded message; both None when not a forward."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginChannel):
        chat = origin.chat
        return {"chat_id": chat.id, "title": chat.title or str(chat.id)}, None
    if isinstance(origin, MessageOriginUser | MessageOriginHiddenUser | MessageOriginChat):
        return None, "channel.forward_not_channel"
    # Clients on the Bot API before 7.0 send forward_from_chat instead.
    legacy = message.forward_from_chat
    if legacy is not None:
        if legacy.type == "channel":
            return {"chat_id": legacy.id, "title": legacy.title or str(legacy.id)}, None
        return None, "channel.forward_not_channel"
    return None, None


async def _lookup(bot: Bot, ref: int | str) -> tuple[dict[str, Any] | None, str | None]:
    """Ask Telegram about a typed reference: ``(channel, error key)``."""
    try:
        chat = await bot.get_chat(ref)
    except _ANSWERS_ABOUT_THE_CHAT as exc:
        # Telegram answered, and the answer is no: this bot cannot see that chat.
        log.info("telegram.get_chat_refused", ref=str(ref), error=failure_text(exc))
        return None, "channel.id_not_found" if isinstance(ref, int) else "channel.not_found"
    except TELEGRAM_FAILURES as exc:
        log.warning("telegram.get_chat_failed", ref=str(ref), error=failure_text(exc))
        if isinstance(ref, int):
            # Telegram could not tell us (timeout, 5xx, a proxy's page); the id itself
            # is enough to register the channel, with a warning.
            return {
                "chat_id": ref,
                "title": str(ref),
                "warnings": ["channel.warn_unverified"],
            }, None
        return None, "channel.lookup_failed"
    if chat.type != "channel":
        return None, "channel.not_a_channel"
    return {"chat_id": chat.id, "title": chat.title or str(chat.id)}, None


async def _bot_is_admin(bot: Bot, chat_id: int) -> bool | None:
    try:
        member = await bot.get_chat_member(chat_id, bot.id)
    except TELEGRAM_FAILURES as exc:
        log.info("telegram.get_chat_member_failed", chat_id=chat_id, error=failure_text(exc))
        return None
    return member.status in _ADMIN_STATUSES


async def got_reference(message: Message, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    found, error = _forwarded_channel(message)
    if found is None and error is None:
        try:
            ref = parse_channel_ref(message.text or "")
        except ValidationError as exc:
            await render_ref(bot, message, state, svc, (svc.tr.error(exc),))
            return
        found, error = await _lookup(bot, ref)
    if found is None:
        await render_ref(bot, message, state, svc, (svc.tr(error or "channel.not_found"),))
        return
    existing = await svc.channels.get_by_chat_id(found["chat_id"])
    if existing is not None:
        await render_ref(
            bot,
            message,
            state,
            svc,
            (svc.tr("channel.already_registered", title=escape(existing.title)),),
        )
        return
    warnings: list[str] = list(found.pop("warnings", []))
    is_admin = await _bot_is_admin(bot, found["chat_id"])
    if is_admin is False:
        warnings.append("channel.warn_not_admin")
    elif is_admin is None and "channel.warn_unverified" not in warnings:
        warnings.append("channel.warn_admin_unknown")
    await state.update_data(**found, kind="vip", warnings=warnings)
    await state.set_state(ChannelRegistration.confirm)
    await render_confirm(bot, message, state, svc, ())


async def toggle_kind(
    query: CallbackQuery, callback_data: FlowButton, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    await state.update_data(kind="free" if callback_data.v == "free" else "vip")
    await render_confirm(bot, query, state, svc, ())


async def back_to_ref(query: CallbackQuery, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    await state.set_state(ChannelRegistration.ref)
    await render_ref(bot, query, state, svc, ())


async def confirm(query: CallbackQuery, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    data = await state.get_data()
    session_id = await session_id_of(state)
    try:
        # The session id makes a retried confirmation return the same channel.
        channel = await svc.channels.register(
            data["chat_id"],
            data["title"],
            data["kind"],
            query.from_user.id,
            idempotency_key=session_id,
        )
    except ChannelAlreadyRegistered:
        await finish_flow(state)
        await show(
            bot,
            query,
            Screen(
                svc.tr("channel.already_registered", title=escape(data["title"])),
                keyboards.back_to(svc.tr, "config"),
            ),
        )
        return
    except DomainError as exc:
        await render_confirm(bot, query, state, svc, (svc.tr.error(exc),))
        return
    await finish_flow(state)
    await show(
        bot,
        query,
        Screen(
            svc.tr(
                "channel.registered",
                title=escape(channel.title),
                kind=svc.tr(f"channel.kind.{channel.kind}"),
            ),
            keyboards.back_to(svc.tr, "config"),
        ),
    )


def _handlers(router: Router) -> None:
    router.message.register(got_reference, StateFilter(ChannelRegistration.ref))
    on_button(router, toggle_kind, "kind", ChannelRegistration.confirm)
    on_button(router, back_to_ref, "back", ChannelRegistration.confirm)
    on_button(router, confirm, "confirm", ChannelRegistration.confirm)


FLOW = AdminFlow(
    name="channel_registration",
    states=ChannelRegistration,
    steps={ChannelRegistration.ref: 1, ChannelRegistration.confirm: 2},
    start=start,
    render=per_step({ChannelRegistration.confirm: render_confirm}, render_ref),
    handlers=_handlers,
)
