"""Every button the bot can build fits Telegram's 64 bytes and reads back as built.

Packed with the widest real values: ids near 2^63, every editable field, every flow's
entry (also as the follow-up of the resume question). aiogram refuses a value
containing its ``:`` separator by raising, which in a handler is an update that fails
every time Telegram redelivers it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from aiogram_durable import new_session_id
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import FlowButton, Menu, Open, Resume, SessionsAct, Start, token_of
from diana_bot.bot.flows import DEFAULT_FLOWS
from diana_bot.domain import EDITABLE_FIELDS, Channel, Tariff
from diana_bot.domain.ids import MAX_ROW_ID
from diana_bot.texts import Translator, translator_for

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
FLOWS = {flow.name: flow for flow in DEFAULT_FLOWS}
ENTRIES = [
    Start(flow=""),
    FLOWS["channel_registration"].entry(),
    FLOWS["tariff_creation"].entry(),
    *(FLOWS["tariff_edit"].entry(MAX_ROW_ID, field) for field in EDITABLE_FIELDS),
    FLOWS["deactivation"].entry("tariff", MAX_ROW_ID),
    FLOWS["deactivation"].entry("channel", MAX_ROW_ID),
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
        *(keyboards.resume(tr, TOKEN, start.entry) for start in ENTRIES),
    ]


@pytest.mark.parametrize("locale", ["es", "en"])
def test_every_keyboard_button_fits_and_reads_back(locale: str) -> None:
    kinds: tuple[type[CallbackData], ...] = (Menu, Open, Start, FlowButton, Resume)
    by_prefix = {kind.__prefix__: kind for kind in kinds}
    seen = 0
    for markup in _markups(translator_for(locale)):
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


@pytest.mark.parametrize("start", ENTRIES, ids=lambda start: start.entry or "menu")
def test_entries_survive_the_resume_question(start: Start) -> None:
    packed = Resume(t=TOKEN, act="discard", then=start.entry).pack()
    assert len(packed.encode()) <= 64
    assert Start.from_entry(Resume.unpack(packed).then) == start
