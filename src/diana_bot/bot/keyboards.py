"""Inline keyboards of every screen."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from diana_bot.bot.callbacks import FlowButton, Menu, Open, Resume, Start
from diana_bot.domain import Channel, Tariff
from diana_bot.texts import Translator

# A keyboard lists at most this many items; Telegram allows 100 buttons.
MAX_LIST = 40


def _rows(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def _btn(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def root(tr: Translator) -> InlineKeyboardMarkup:
    return _rows(
        [_btn(tr("btn.vip"), Menu(to="vip").pack())],
        [_btn(tr("btn.config"), Menu(to="config").pack())],
        [_btn(tr("btn.sessions"), Menu(to="sessions").pack())],
    )


def vip(tr: Translator) -> InlineKeyboardMarkup:
    return _rows(
        [_btn(tr("btn.manage_tariffs"), Menu(to="tariffs").pack())],
        [_btn(tr("btn.back"), Menu(to="root").pack())],
    )


def tariffs(tr: Translator, items: list[Tariff]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for tariff in items[:MAX_LIST]:
        price = tr.price(tariff.price, tariff.currency)
        label = f"{tariff.name[:40]} · {price} · {tariff.duration_days}d"
        builder.row(_btn(label, Open(what="tariff", id=tariff.id).pack()))
    builder.row(_btn(tr("btn.create_tariff"), Start(flow="tariff_creation").pack()))
    builder.row(_btn(tr("btn.back"), Menu(to="vip").pack()))
    return builder.as_markup()


def tariff(tr: Translator, item: Tariff) -> InlineKeyboardMarkup:
    def edit(label: str, field: str) -> InlineKeyboardButton:
        return _btn(tr(label), Start(flow="tariff_edit", args=f"{item.id}.{field}").pack())

    return _rows(
        [edit("btn.edit_price", "price"), edit("btn.edit_duration", "duration_days")],
        [edit("btn.edit_name", "name"), edit("btn.edit_description", "description")],
        [_btn(tr("btn.deactivate"), Start(flow="deactivation", args=f"tariff.{item.id}").pack())],
        [_btn(tr("btn.back"), Menu(to="tariffs").pack())],
    )


def config(tr: Translator) -> InlineKeyboardMarkup:
    return _rows(
        [_btn(tr("btn.add_channels"), Start(flow="channel_registration").pack())],
        [_btn(tr("btn.manage_channels"), Menu(to="channels").pack())],
        [_btn(tr("btn.back"), Menu(to="root").pack())],
    )


def channels(tr: Translator, items: list[Channel]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for channel in items[:MAX_LIST]:
        label = f"{'💎' if channel.kind == 'vip' else '🆓'} {channel.title[:40]}"
        builder.row(_btn(label, Open(what="channel", id=channel.id).pack()))
    builder.row(_btn(tr("btn.add_channels"), Start(flow="channel_registration").pack()))
    builder.row(_btn(tr("btn.back"), Menu(to="config").pack()))
    return builder.as_markup()


def channel(tr: Translator, item: Channel) -> InlineKeyboardMarkup:
    return _rows(
        [_btn(tr("btn.deactivate"), Start(flow="deactivation", args=f"channel.{item.id}").pack())],
        [_btn(tr("btn.back"), Menu(to="channels").pack())],
    )


def back_to(tr: Translator, to: str, label: str = "btn.back") -> InlineKeyboardMarkup:
    return _rows([_btn(tr(label), Menu(to=to).pack())])


def no_vip_channel(tr: Translator) -> InlineKeyboardMarkup:
    return _rows(
        [_btn(tr("btn.add_channels"), Start(flow="channel_registration").pack())],
        [_btn(tr("btn.back"), Menu(to="tariffs").pack())],
    )


# -- inside flows: every button carries the session token ------------------------------


def flow_cancel(tr: Translator, token: str, *, back: bool = False) -> InlineKeyboardMarkup:
    row = [_btn(tr("btn.cancel"), FlowButton(t=token, act="cancel").pack())]
    if back:
        row.insert(0, _btn(tr("btn.back_step"), FlowButton(t=token, act="back").pack()))
    return _rows(row)


def flow_confirm(
    tr: Translator,
    token: str,
    *,
    back: bool = False,
    extra: list[InlineKeyboardButton] | None = None,
) -> InlineKeyboardMarkup:
    row = [_btn(tr("btn.confirm"), FlowButton(t=token, act="confirm").pack())]
    if back:
        row.append(_btn(tr("btn.back_step"), FlowButton(t=token, act="back").pack()))
    row.append(_btn(tr("btn.cancel"), FlowButton(t=token, act="cancel").pack()))
    return _rows(extra or [], row)


def flow_button(text: str, token: str, act: str, value: str = "") -> InlineKeyboardButton:
    return _btn(text, FlowButton(t=token, act=act, v=value).pack())


def pick_channel(tr: Translator, token: str, items: list[Channel]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for item in items[:MAX_LIST]:
        builder.row(flow_button(f"💎 {item.title[:40]}", token, "pick", str(item.id)))
    builder.row(_btn(tr("btn.cancel"), FlowButton(t=token, act="cancel").pack()))
    return builder.as_markup()


def resume(tr: Translator, token: str, then: str) -> InlineKeyboardMarkup:
    return _rows(
        [
            _btn(tr("btn.continue"), Resume(t=token, act="continue").pack()),
            _btn(tr("btn.discard"), Resume(t=token, act="discard", then=then).pack()),
        ],
    )
