"""🧹 Sesiones: open sessions by type, the list, clearing (audited), recent events."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup

from diana_bot.bot.callbacks import Menu, SessionsAct
from diana_bot.bot.notifier import flow_name, notify_cleared
from diana_bot.bot.services import BotServices
from diana_bot.bot.ui import Event, Screen, answer, show

router = Router(name=__name__)

_MAX_LISTED = 20


def _btn(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


async def show_sessions(
    bot: Bot, event: Event, svc: BotServices, notes: tuple[str, ...] = ()
) -> None:
    counts = await svc.sessions.count_by_type()
    active = await svc.sessions.list_active(limit=_MAX_LISTED)
    now: datetime = svc.sessions.clock.now()
    lines = [svc.tr("sessions.title")]
    lines += [f"• {svc.tr(f'flow.type.{name}')}: <b>{n}</b>" for name, n in sorted(counts.items())]
    rows: list[list[InlineKeyboardButton]] = []
    if active:
        lines.append("")
        lines.append(svc.tr("sessions.list_header"))
    for s in active:
        lines.append(
            svc.tr(
                "sessions.line",
                user=s.key.user_id,
                flow=flow_name(svc, s),
                step=s.step or "-",
                age=_duration((now - s.created_at).total_seconds()),
                expires=_duration((s.expires_at - now).total_seconds()),
            )
        )
        rows.append(
            [
                _btn(
                    svc.tr("sessions.clear_one", user=s.key.user_id, flow=flow_name(svc, s)),
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


@router.callback_query(SessionsAct.filter(F.act == "list"))
async def list_sessions(query: CallbackQuery, bot: Bot, svc: BotServices) -> None:
    await answer(query)
    await show_sessions(bot, query, svc)


@router.callback_query(SessionsAct.filter(F.act == "clear"))
async def clear_one(
    query: CallbackQuery, callback_data: SessionsAct, bot: Bot, svc: BotServices
) -> None:
    removed = await svc.sessions.clear_by_id(callback_data.id, by=query.from_user.id)
    if removed is None:
        await answer(query, svc.tr("session.not_active"), alert=True)
        await show_sessions(bot, query, svc)
        return
    await answer(query, svc.tr("sessions.cleared", count=1))
    if removed.key.user_id != query.from_user.id:
        await notify_cleared(bot, svc, removed)
    await show_sessions(bot, query, svc)


@router.callback_query(SessionsAct.filter(F.act == "all_ask"))
async def ask_clear_all(query: CallbackQuery, bot: Bot, svc: BotServices) -> None:
    await answer(query)
    total = sum((await svc.sessions.count_by_type()).values())
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _btn(svc.tr("btn.confirm"), SessionsAct(act="all_yes").pack()),
                _btn(svc.tr("btn.cancel"), SessionsAct(act="list").pack()),
            ]
        ]
    )
    await show(bot, query, Screen(svc.tr("sessions.clear_all_ask", count=total), markup))


@router.callback_query(SessionsAct.filter(F.act == "all_yes"))
async def clear_all(query: CallbackQuery, bot: Bot, svc: BotServices) -> None:
    removed = await svc.sessions.clear(everything=True, by=query.from_user.id)
    await answer(query, svc.tr("sessions.cleared", count=len(removed)))
    for session in removed:
        if session.key.user_id != query.from_user.id:
            await notify_cleared(bot, svc, session)
    await show_sessions(bot, query, svc)


@router.callback_query(SessionsAct.filter(F.act == "events"))
async def recent_events(query: CallbackQuery, bot: Bot, svc: BotServices) -> None:
    await answer(query)
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
            f"{svc.tr(f'flow.type.{e.session_type}')} · {e.user_id}"
            f"{' · ' + e.step if e.step else ''}{who}"
        )
    if not events:
        lines.append(svc.tr("sessions.none"))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[_btn(svc.tr("btn.back"), SessionsAct(act="list").pack())]]
    )
    await show(bot, query, Screen("\n".join(lines), markup))
