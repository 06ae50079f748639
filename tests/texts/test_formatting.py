"""Numbers, plurals and languages as the admin reads them: CLDR's money format and plural
rules per language, durations with their exact equivalents, Telegram language codes.

That the parsers read all of it back is checked in tests/domain/test_parsing.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from diana_bot.texts import LOCALES, format_price, supported_locale, translator_for

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "es", "en"),
    [
        ("29.99", f"29,99{NBSP}US$", "US$29.99"),
        ("29.9", f"29,90{NBSP}US$", "US$29.90"),
        ("0", f"0,00{NBSP}US$", "US$0.00"),
        ("1E+2", f"100,00{NBSP}US$", "US$100.00"),
        ("1500", f"1.500,00{NBSP}US$", "US$1,500.00"),
        ("100000.00", f"100.000,00{NBSP}US$", "US$100,000.00"),
    ],
)
def test_prices_are_written_the_way_each_language_writes_money(
    value: str, es: str, en: str
) -> None:
    assert format_price(Decimal(value), "USD", "es") == es
    assert format_price(Decimal(value), "USD", "en") == en
    assert translator_for("en").price(Decimal(value), "USD") == en


@pytest.mark.parametrize(
    ("days", "es", "en"),
    [
        (1, "1 día", "1 day"),
        (2, "2 días", "2 days"),
        (7, "7 días (1 semana)", "7 days (1 week)"),
        (14, "14 días (2 semanas)", "14 days (2 weeks)"),
        # A month is not exactly 30 days: shown as typed, no equivalent.
        (30, "30 días", "30 days"),
        (31, "31 días", "31 days"),
        (90, "90 días", "90 days"),
        (365, "365 días (1 año)", "365 days (1 year)"),
        (730, "730 días (2 años)", "730 days (2 years)"),
        # Counts are plain digits: "3,650 days" would read as a decimal to many.
        (3650, "3650 días (10 años)", "3650 days (10 years)"),
    ],
)
def test_durations_by_cldr_plural_rules(days: int, es: str, en: str) -> None:
    assert translator_for("es").duration(days) == es
    assert translator_for("en").duration(days) == en


@pytest.mark.parametrize(
    ("key", "count", "es", "en"),
    [
        ("sessions.cleared", 1, "1 sesión cerrada.", "1 session closed."),
        ("sessions.cleared", 3, "3 sesiones cerradas.", "3 sessions closed."),
        ("sessions.cleared", 0, "0 sesiones cerradas.", "0 sessions closed."),
        # Spanish's "many" form (CLDR): a round million takes "de".
        ("duration.days", 1_000_000, "1000000 de días", "1000000 days"),
    ],
)
def test_plurals_pick_the_form_cldr_gives_the_count(key: str, count: int, es: str, en: str) -> None:
    assert translator_for("es").plural(key, count) == es
    assert translator_for("en").plural(key, count) == en


def test_the_expiry_notice_says_minute_or_minutes() -> None:
    en = translator_for("en")
    assert "after 1 minute of" in en.plural("session.expired", 1, flow="x")
    assert "after 10 minutes of" in en.plural("session.expired", 10, flow="x")
    assert "tras 1 minuto sin" in translator_for("es").plural("session.expired", 1, flow="x")


@pytest.mark.parametrize(
    ("code", "with_es", "with_en"),
    [
        (None, "es", "en"),
        ("", "es", "en"),
        ("en", "en", "en"),
        ("en-US", "en", "en"),
        ("en_GB", "en", "en"),
        ("ES-mx", "es", "es"),
        ("pt-br", "es", "en"),
        ("de", "es", "en"),
    ],
)
def test_a_telegram_language_code_picks_a_language_we_speak_else_locale(
    code: str | None, with_es: str, with_en: str
) -> None:
    assert supported_locale(code, LOCALES, "es") == with_es
    assert supported_locale(code, LOCALES, "en") == with_en


def test_a_translator_follows_its_current_language() -> None:
    assert translator_for("en").locale == "en"
    assert translator_for("en")("btn.back") == "⬅ Back"
    assert translator_for("es")("btn.back") == "⬅ Volver"
