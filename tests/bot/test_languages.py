"""Each admin in their own language: the Telegram ``language_code`` of the update when
Diana speaks it (``en``, ``en-US``), else ``LOCALE``; for a whole flow, the resume
question, refusals, the outage answer, and the notices sent outside any update."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from html import escape

import pytest

from aiogram_durable import SessionKey
from diana_bot.domain import CURRENCY
from diana_bot.texts import translator_for
from tests.bot.conftest import (
    ADMIN,
    BOT_ID,
    GROUP,
    OTHER_ADMIN,
    STRANGER,
    TTL_SECONDS,
    VIP_CHANNEL,
    Diana,
)
from tests.bot.steps import seed_channel
from tests.bot.test_errors import table_away

ES, EN = translator_for("es"), translator_for("en")
# (Telegram's language_code, the language Diana answers in) with LOCALE=es.
LANGUAGES = [("es", "es"), ("en", "en"), ("en-US", "en"), ("de", "es"), (None, "es")]
MINUTES = TTL_SECONDS // 60


@pytest.mark.parametrize(("language_code", "locale"), LANGUAGES)
async def test_a_tariff_is_created_in_the_admins_language(
    diana: Diana, language_code: str | None, locale: str
) -> None:
    tr = translator_for(locale)
    await seed_channel(diana, VIP_CHANNEL)
    admin = diana.chat(ADMIN, language_code=language_code)
    await admin.send("/admin")
    assert admin.last.html == tr("menu.root")
    assert admin.labels == [tr("btn.vip"), tr("btn.config"), tr("btn.sessions")]
    await admin.press(tr("btn.vip"))
    await admin.press(tr("btn.manage_tariffs"))
    await admin.press(tr("btn.create_tariff"))
    assert admin.last.html == tr("tariff.ask_price")

    # A price and a duration exactly as this language shows them are read back.
    price, duration = tr.price(Decimal(1500), CURRENCY), tr.duration(14)
    await admin.send(price)
    assert admin.last.html == tr("tariff.ask_duration")
    await admin.send(duration)
    await admin.send("Quincena")
    assert admin.last.html == tr(
        "tariff.summary",
        channel=escape(VIP_CHANNEL.title or ""),
        price=price,
        duration=duration,
        name="Quincena",
    )
    # CLDR's way of writing money, and the plural of each unit, in this language.
    assert {
        "es": "Precio: 1.500,00\u00a0US$\nDuración: 14 días (2 semanas)",
        "en": "Price: US$1,500.00\nDuration: 14 days (2 weeks)",
    }[locale] in admin.last_text
    assert admin.labels == [tr("btn.confirm"), tr("btn.back_step"), tr("btn.cancel")]

    await admin.press(tr("btn.confirm"))
    assert admin.last.html == tr("tariff.created", name="Quincena", price=price, duration=duration)
    (tariff,) = await diana.container.tariffs.list_active()
    assert (tariff.name, tariff.price, tariff.duration_days) == ("Quincena", Decimal(1500), 14)


@pytest.mark.parametrize(("language_code", "locale"), LANGUAGES)
async def test_the_resume_question_in_the_admins_language(
    diana: Diana, language_code: str | None, locale: str
) -> None:
    tr = translator_for(locale)
    admin = diana.chat(ADMIN, language_code=language_code)
    await admin.send("/admin")
    await admin.press(tr("btn.config"))
    await admin.press(tr("btn.add_channels"))
    await admin.send("/admin")
    assert admin.last.html == tr("session.unfinished", flow=tr("flow.channel_registration"), step=1)
    assert admin.labels == [tr("btn.continue"), tr("btn.discard")]
    await admin.press(tr("btn.continue"))
    assert admin.last.html == tr("channel.ask_ref")


async def test_the_language_follows_each_update(diana: Diana) -> None:
    """Two admins in two languages, turn by turn: nothing of one leaks into the other."""
    english = diana.chat(ADMIN, language_code="en")
    spanish = diana.chat(OTHER_ADMIN, language_code="es")
    for _ in range(2):
        await english.send("/admin")
        await spanish.send("/admin")
        assert english.last.html == EN("menu.root")
        assert spanish.last.html == ES("menu.root")


@pytest.mark.parametrize(
    ("language_code", "locale"), [("en", "en"), ("en-GB", "en"), ("es-MX", "es"), ("de", "es")]
)
async def test_a_stranger_is_refused_in_their_language(
    diana: Diana, language_code: str, locale: str
) -> None:
    tr = translator_for(locale)
    stranger = diana.chat(STRANGER, language_code=language_code)
    await stranger.send("/admin")
    assert stranger.last.html == tr("auth.refused")
    # A button pressed by a stranger (forged onto their own chat): the alert too.
    presser = diana.chat(STRANGER + 1, language_code=language_code)
    turn = await presser.press_data("m:vip", on=replace(stranger.last, chat_id=presser.chat_id))
    assert turn.alert == tr("auth.refused")


async def test_an_admin_in_a_group_is_told_in_their_language(diana: Diana) -> None:
    group = diana.chat(
        ADMIN, chat_id=GROUP.id, chat_type="supergroup", title=GROUP.title, language_code="en"
    )
    await group.send("/admin")
    assert group.last.html == EN("auth.private_only")


async def test_the_store_failing_is_answered_in_the_admins_language(diana: Diana) -> None:
    admin = diana.chat(ADMIN, language_code="en")
    await admin.send("/admin")
    await admin.press(EN("btn.config"))
    await admin.press(EN("btn.add_channels"))
    with table_away(diana.database, "durable_sessions"):
        await admin.send("@canal_vip")
        assert admin.last.html == EN("service.unavailable")


@pytest.mark.parametrize("locale_setting", ["en"])
async def test_locale_is_the_language_of_everyone_else(diana: Diana, locale_setting: str) -> None:
    german = diana.chat(ADMIN, language_code="de")
    spanish = diana.chat(OTHER_ADMIN, language_code="es")
    await german.send("/admin")
    await spanish.send("/admin")
    assert german.last.html == EN("menu.root")
    assert spanish.last.html == ES("menu.root")
    # The default command list is LOCALE's; Spanish users get theirs.
    default, other = diana.telegram.calls("setMyCommands")
    assert default.params.get("language_code") is None
    assert default.params["commands"][0]["description"] == EN("command.admin")
    assert other.params["language_code"] == "es"
    assert other.params["commands"][0]["description"] == ES("command.admin")


async def test_expiry_is_told_in_the_language_of_the_flows_prompts(diana: Diana) -> None:
    """The sweeper has no update to read a language from: each owner is told in the
    language their prompts were shown in."""
    english = diana.chat(ADMIN, language_code="en")
    spanish = diana.chat(OTHER_ADMIN, language_code="es")
    for chat, tr in ((english, EN), (spanish, ES)):
        await chat.send("/admin")
        await chat.press(tr("btn.config"))
        await chat.press(tr("btn.add_channels"))
    diana.clock.advance(TTL_SECONDS)
    assert await diana.sweep() == 2
    for chat, tr in ((english, EN), (spanish, ES)):
        assert chat.last.html == tr.plural(
            "session.expired", MINUTES, flow=tr("flow.channel_registration")
        )
    assert "after 10 minutes of inactivity" in english.last_text


async def test_a_cleared_session_is_told_in_its_owners_language(diana: Diana) -> None:
    english = diana.chat(ADMIN, language_code="en")
    spanish = diana.chat(OTHER_ADMIN, language_code="es")
    await english.send("/admin")
    await english.press(EN("btn.config"))
    await english.press(EN("btn.add_channels"))

    await spanish.send("/admin")
    await spanish.press(ES("btn.sessions"))
    turn = await spanish.press(f"🗑 {ADMIN} · {ES('flow.channel_registration')}")
    # The admin who cleared reads Spanish; the owner is told in English.
    assert turn.answer is not None and turn.answer.text == ES.plural("sessions.cleared", 1)
    assert english.last.html == EN("session.cleared_by_admin", flow=EN("flow.channel_registration"))


@pytest.mark.parametrize("locale_setting", ["es", "en"])
async def test_a_session_with_no_noted_language_is_told_in_locale(
    diana: Diana, locale_setting: str
) -> None:
    # Opened by an earlier release, which noted no language on its steps.
    key = SessionKey(BOT_ID, ADMIN, ADMIN)
    await diana.container.sessions.start(key, "channel_registration", step="ref")
    diana.clock.advance(TTL_SECONDS)
    assert await diana.sweep() == 1
    tr = translator_for(locale_setting)
    admin = diana.chat(ADMIN)
    assert admin.last.html == tr.plural(
        "session.expired", MINUTES, flow=tr("flow.channel_registration")
    )
