"""Every button the bot can build fits Telegram's 64 bytes and reads back as built.

Packed with the widest real values: ids near 2^63, every editable field, every flow's
follow-up. aiogram refuses a value containing its ``:`` separator by raising, which in
a handler is an update that fails every time Telegram redelivers it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from aiogram_durable import new_session_id
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import (
    ChannelAct,
    Flow,
    Menu,
    Resume,
    SessionsAct,
    TariffAct,
    follow_up,
    split_follow_up,
    token_of,
)
from diana_bot.domain import EDITABLE_FIELDS, Channel, Tariff
from diana_bot.domain.ids import MAX_ROW_ID
from diana_bot.texts import Translator

NOW = datetime(2026, 12, 3, tzinfo=UTC)
TOKEN = token_of(new_session_id())
WIDE_CHANNEL = Channel(
    id=MAX_ROW_ID,
    chat_id=-1009999999999999,
    title="C" * 255,
    kind="vip",
    is_active=True,
    registered_by=2**63 - 1,
    registered_at=NOW,
)
WIDE_TARIFF = Tariff(
    id=MAX_ROW_ID,
    channel_id=MAX_ROW_ID,
    name="N" * 100,
    price=Decimal("100000.00"),
    currency="USD",
    duration_days=3650,
    description="D" * 500,
    is_active=True,
    created_at=NOW,
    updated_at=NOW,
    version=2**31,
)
FOLLOW_UPS = [
    "root",
    "add_channels",
    "tariff_create",
    *(follow_up("e", MAX_ROW_ID, field) for field in EDITABLE_FIELDS),
    follow_up("dt", MAX_ROW_ID),
    follow_up("dc", MAX_ROW_ID),
]


def _markups(tr: Translator) -> list[InlineKeyboardMarkup]:
    many_channels = [WIDE_CHANNEL] * keyboards.MAX_LIST
    return [
        keyboards.root(tr),
        keyboards.vip(tr),
        keyboards.tariffs(tr, [WIDE_TARIFF] * keyboards.MAX_LIST),
        keyboards.tariff(tr, WIDE_TARIFF),
        keyboards.config(tr),
        keyboards.channels(tr, many_channels),
        keyboards.channel(tr, WIDE_CHANNEL),
        keyboards.back_to(tr, "sessions"),
        keyboards.no_vip_channel(tr),
        keyboards.flow_cancel(tr, TOKEN, back=True),
        keyboards.flow_confirm(
            tr, TOKEN, back=True, extra=[keyboards.flow_button("x", TOKEN, "kind", "free")]
        ),
        keyboards.pick_channel(tr, TOKEN, many_channels),
        *(keyboards.resume(tr, TOKEN, then) for then in FOLLOW_UPS),
    ]


@pytest.mark.parametrize("locale", ["es", "en"])
def test_every_keyboard_button_fits_and_reads_back(locale: str) -> None:
    kinds: tuple[type[CallbackData], ...] = (Menu, TariffAct, ChannelAct, Flow, Resume)
    by_prefix = {kind.__prefix__: kind for kind in kinds}
    seen = 0
    for markup in _markups(Translator(locale)):
        for row in markup.inline_keyboard:
            for button in row:
                data = button.callback_data
                assert data is not None
                assert len(data.encode()) <= 64, data
                kind = by_prefix[data.split(":", 1)[0]]
                assert kind.unpack(data).pack() == data
                seen += 1
    assert seen > 100


def test_session_monitor_buttons_fit() -> None:
    for act in ("list", "clear", "all_ask", "all_yes", "events"):
        data = SessionsAct(act=act, id=new_session_id()).pack()
        assert len(data.encode()) <= 64 and SessionsAct.unpack(data).id


@pytest.mark.parametrize("then", FOLLOW_UPS)
def test_follow_ups_carry_no_separator_and_split_back(then: str) -> None:
    packed = Resume(t=TOKEN, act="discard", then=then).pack()
    assert Resume.unpack(packed).then == then
    name, args = split_follow_up(then)
    assert follow_up(name, *args) == then
