"""🧹 Sesiones: open sessions by type, the list, clearing (audited), recent events."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.callback_answer import CallbackAnswer

from diana_bot.bot.callbacks import Menu, SessionsAct
from diana_bot.bot.flows.base import title_of
from diana_bot.bot.notifier import notify_cleared
from diana_bot.bot.replies import Incoming, Screen, show
from diana_bot.bot.services import BotServices

_MAX_LISTED = 20


def _btn(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


async def show_sessions(
    bot: Bot, event: Incoming, svc: BotServices, notes: tuple[str, ...] = ()
) -> None:
    counts = await svc.sessions.count_by_type()
    active = await svc.sessions.list_active(limit=_MAX_LISTED)
    now: datetime = svc.sessions.clock.now()
    lines = [svc.tr("sessions.title")]
    lines += [f"• {title_of(svc, name)}: <b>{n}</b>" for name, n in sorted(counts.items())]
    rows: list[list[InlineKeyboardButton]] = []
    if active:
        lines.append("")
        lines.append(svc.tr("sessions.list_header"))
    for s in active:
        lines.append(
            svc.tr(
                "sessions.line",
                user=s.key.user_id,
                flow=title_of(svc, s.session_type),
                step=s.step or "-",
                age=_duration((now - s.created_at).total_seconds()),
                expires=_duration((s.expires_at - now).total_seconds()),
            )
        )
        rows.append(
            [
                _btn(
                    svc.tr(
                        "sessions.clear_one", user=s.key.user_id, flow=title_of(svc, s.session_type)
                    ),
                    SessionsAct(act="clear", id=s.id).pack(),
                )
            ]
        )
    if not active:
        lines.append(svc.tr("sessions.none"))
    if active:
        rows.append([_btn(svc.tr("btn.clear_all"), SessionsAct(act="all_ask").pack())])
    rows.append(
        [
            _btn(svc.tr("btn.events"), SessionsAct(act="events").pack()),
            _btn(svc.tr("btn.refresh"), SessionsAct(act="list").pack()),
        ]
    )
    rows.append([_btn(svc.tr("btn.back"), Menu(to="root").pack())])
    await show(
        bot, event, Screen("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows), notes)
    )


async def list_sessions(query: CallbackQuery, bot: Bot, svc: BotServices) -> None:
    await show_sessions(bot, query, svc)


async def clear_one(
    query: CallbackQuery,
    callback_data: SessionsAct,
    callback_answer: CallbackAnswer,
    bot: Bot,
    svc: BotServices,
) -> None:
    removed = await svc.sessions.clear_by_id(callback_data.id, by=query.from_user.id)
    if removed is None:
        callback_answer.text = svc.tr("session.not_active")
        callback_answer.show_alert = True
        await show_sessions(bot, query, svc)
        return
    callback_answer.text = svc.tr.plural("sessions.cleared", 1)
    if removed.key.user_id != query.from_user.id:
        await notify_cleared(bot, svc, removed)
    await show_sessions(bot, query, svc)


async def ask_clear_all(query: CallbackQuery, bot: Bot, svc: BotServices) -> None:
    total = sum((await svc.sessions.count_by_type()).values())
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _btn(svc.tr("btn.confirm"), SessionsAct(act="all_yes").pack()),
                _btn(svc.tr("btn.cancel"), SessionsAct(act="list").pack()),
            ]
        ]
    )
    await show(bot, query, Screen(svc.tr.plural("sessions.clear_all_ask", total), markup))


async def clear_all(
    query: CallbackQuery, callback_answer: CallbackAnswer, bot: Bot, svc: BotServices
) -> None:
    removed = await svc.sessions.clear(everything=True, by=query.from_user.id)
    callback_answer.text = svc.tr.plural("sessions.cleared", len(removed))
    for session in removed:
        if session.key.user_id != query.from_user.id:
            await notify_cleared(bot, svc, session)
    await show_sessions(bot, query, svc)


async def recent_events(query: CallbackQuery, bot: Bot, svc: BotServices) -> None:
    events = await svc.sessions.recent_events(20)
    lines = [svc.tr("sessions.events_title")]
    for e in events:
        who = (
            f" · {svc.tr('sessions.by', by=e.detail['by'])}"
            if e.detail and e.detail.get("by") is not None
            else ""
        )
        lines.append(
            f"<code>{e.at:%m-%d %H:%M:%S}</code> {e.event} · "
            f"{title_of(svc, e.session_type)} · {e.user_id}"
            f"{' · ' + e.step if e.step else ''}{who}"
        )
    if not events:
        lines.append(svc.tr("sessions.none"))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[_btn(svc.tr("btn.back"), SessionsAct(act="list").pack())]]
    )
    await show(bot, query, Screen("\n".join(lines), markup))


def build_router() -> Router:
    router = Router(name="sessions_monitor")
    on = router.callback_query.register
    on(list_sessions, SessionsAct.filter(F.act == "list"))
    on(clear_one, SessionsAct.filter(F.act == "clear"))
    on(ask_clear_all, SessionsAct.filter(F.act == "all_ask"))
    on(clear_all, SessionsAct.filter(F.act == "all_yes"))
    on(recent_events, SessionsAct.filter(F.act == "events"))
    return router
