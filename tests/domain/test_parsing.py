"""Parsers: examples for each accepted and rejected form, then properties on any text:
every parser is total, and reads back whatever the bot shows in each of its languages."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diana_bot.domain import (
    CURRENCY,
    ERROR_CODES,
    MAX_PRICE,
    DomainError,
    ValidationError,
    check_duration,
    check_price,
    parse_channel_ref,
    parse_description,
    parse_duration,
    parse_name,
    parse_price,
)
from diana_bot.texts import LOCALES, placeholders, translator_for

_FAST = settings(max_examples=250, deadline=None)
ES, EN = translator_for("es"), translator_for("en")


def _assert_rendered(err: ValidationError, prefix: str) -> None:
    assert err.code.startswith(prefix)
    for locale in LOCALES:
        tr = translator_for(locale)
        # The error carries every parameter its text names in each language.
        assert placeholders(tr(f"error.{err.code}")) <= set(err.params), (locale, err)


def _rejects(parser: Callable[[str], object], text: str, code: str) -> ValidationError:
    """Assert ``parser(text)`` fails with ``code`` and that the error renders in both languages."""
    with pytest.raises(ValidationError) as info:
        parser(text)
    err = info.value
    assert err.code == code
    _assert_rendered(err, code)
    return err


# --- price ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("29.99", "29.99"),
        ("29,99", "29.99"),
        ("$29.99", "29.99"),
        ("$ 29.99", "29.99"),
        ("15", "15.00"),
        ("0", "0.00"),
        ("USD 10", "10.00"),
        ("usd10", "10.00"),
        ("10 USD", "10.00"),
        ("10$", "10.00"),
        ("US$5", "5.00"),
        ("  7.5  ", "7.50"),
        ("0.01", "0.01"),
        ("100000", "100000.00"),
        ("100000.00", "100000.00"),
        ("1234.5", "1234.50"),
        ("007", "7.00"),
        ("0" * 40 + "1", "1.00"),  # leading zeros do not make a price large
        # What the bot shows, copied back: CLDR's forms in each language.
        ("29,99\u00a0US$", "29.99"),
        ("US$29.99", "29.99"),
        ("1.500,00 US$", "1500.00"),
        ("US$1,500.00", "1500.00"),
        ("1,000.50", "1000.50"),
        ("1.000,50", "1000.50"),
        ("100.000,00\u00a0US$", "100000.00"),
        ("US$100,000.00", "100000.00"),
        ("12,345.67", "12345.67"),
    ],
)
def test_parse_price_accepts(text: str, expected: str) -> None:
    value = parse_price(text)
    assert value == Decimal(expected)
    assert str(value) == expected  # always exactly two places


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "price.empty"),
        ("   ", "price.empty"),
        ("abc", "price.invalid"),
        ("12abc", "price.invalid"),
        ("-5", "price.negative"),
        ("-0.01", "price.negative"),
        ("$-5", "price.negative"),
        ("-$5", "price.negative"),
        ("\u22125", "price.negative"),
        ("1.234", "price.ambiguous_separator"),
        ("1,500", "price.ambiguous_separator"),
        ("29.999", "price.ambiguous_separator"),
        ("1234.567", "price.too_many_decimals"),
        ("0.999", "price.too_many_decimals"),  # cannot be a thousands group: plainly too precise
        ("1.2345", "price.too_many_decimals"),
        # Two marks only in the bot's own form: groups of three, then two decimals.
        ("1,000.5", "price.thousands_separator"),
        ("1.000,5", "price.thousands_separator"),
        ("1.000.000", "price.thousands_separator"),
        ("1,000,00", "price.thousands_separator"),
        ("1,00,000.00", "price.thousands_separator"),
        ("01,000.00", "price.thousands_separator"),
        ("1,0000.00", "price.thousands_separator"),
        ("1.000.00", "price.thousands_separator"),
        ("100,000.01", "price.too_large"),
        ("999.999,99 US$", "price.too_large"),
        ("1 000", "price.invalid"),
        ("NaN", "price.invalid"),
        ("nan", "price.invalid"),
        ("inf", "price.invalid"),
        ("Infinity", "price.invalid"),
        ("1e309", "price.invalid"),
        ("1e2", "price.invalid"),
        ("1E-2", "price.invalid"),
        ("0x10", "price.invalid"),
        ("+5", "price.invalid"),
        ("5.", "price.invalid"),
        (".5", "price.invalid"),
        ("$10 USD", "price.invalid"),
        ("\u0663", "price.invalid"),  # ARABIC-INDIC DIGIT THREE: Decimal() would take it
        ("1_000", "price.invalid"),
        ("9" * 200, "price.invalid"),
        ("100000.01", "price.too_large"),
        ("999999", "price.too_large"),
        ("9" * 40, "price.too_large"),  # beyond Decimal's 28-digit context: no InvalidOperation
    ],
)
def test_parse_price_rejects(text: str, code: str) -> None:
    _rejects(parse_price, text, code)


def test_price_error_carries_its_limit() -> None:
    err = _rejects(parse_price, "1.2345", "price.too_many_decimals")
    assert err.params == {"max_decimals": 2}
    assert "2" in ES.error(err)


def test_the_price_limit_is_an_amount_the_texts_write_as_money() -> None:
    err = _rejects(parse_price, "100000.01", "price.too_large")
    assert err.params == {"max": MAX_PRICE, "currency": CURRENCY}
    assert ES.error(err) == "El precio máximo es 100.000,00\u00a0US$."
    assert EN.error(err) == "The maximum price is US$100,000.00."


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("10"), "10.00"), (Decimal("29.990"), "29.99"), (Decimal("-0"), "0.00")],
)
def test_check_price_accepts_typed_values(value: Decimal, expected: str) -> None:
    assert str(check_price(value)) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (Decimal("NaN"), "price.invalid"),
        (Decimal("Infinity"), "price.invalid"),
        (Decimal("-1"), "price.negative"),
        (Decimal("1.001"), "price.too_many_decimals"),
        (Decimal("1E+30"), "price.too_large"),
        (Decimal("100000.01"), "price.too_large"),
    ],
)
def test_check_price_rejects(value: Decimal, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_price(value)
    assert info.value.code == code


# --- duration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("30", 30),
        ("30d", 30),
        ("30 d", 30),
        ("30 días", 30),
        ("30 dias", 30),
        ("30 día", 30),
        ("30 DÍAS", 30),
        ("30 di\u0301as", 30),  # decomposed accent, as some keyboards send it
        ("30 days", 30),
        ("1 day", 1),
        ("2 semanas", 14),
        ("1 semana", 7),
        ("2 weeks", 14),
        ("2w", 14),
        ("1 mes", 30),
        ("3 meses", 90),
        ("1 month", 30),
        ("1m", 30),
        ("1M", 30),
        ("1 año", 365),
        ("2 años", 730),
        ("1 ano", 365),
        ("1 year", 365),
        ("1y", 365),
        ("10 years", 3650),
        ("3650", 3650),
        ("  7  ", 7),
        ("0030", 30),
        # What the bot itself shows, copied back.
        ("365 días (1 año)", 365),
        ("14 days (2 weeks)", 14),
    ],
)
def test_parse_duration_accepts(text: str, days: int) -> None:
    assert parse_duration(text) == days


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "duration.empty"),
        ("  ", "duration.empty"),
        ("0", "duration.too_short"),
        ("0 días", "duration.too_short"),
        ("-5", "duration.negative"),
        ("-1 mes", "duration.negative"),
        ("1.5", "duration.not_integer"),
        ("1,5 meses", "duration.not_integer"),
        ("3651", "duration.too_long"),
        ("11 años", "duration.too_long"),
        ("122 meses", "duration.too_long"),
        ("5 fortnights", "duration.unknown_unit"),
        ("30 horas", "duration.unknown_unit"),
        ("días", "duration.invalid"),
        ("treinta", "duration.invalid"),
        ("30 días!", "duration.invalid"),
        ("1e3", "duration.unknown_unit"),
        ("9" * 40, "duration.too_long"),  # capped before int(): no huge-int parsing
        ("9" * 5000, "duration.invalid"),
        ("365 días (2 años)", "duration.invalid"),
        ("365 días (un año)", "duration.invalid"),
        ("1 (1 (1))", "duration.invalid"),
    ],
)
def test_parse_duration_rejects(text: str, code: str) -> None:
    _rejects(parse_duration, text, code)


def test_check_duration_range() -> None:
    assert check_duration(1) == 1
    assert check_duration(3650) == 3650
    for days, code in ((0, "duration.too_short"), (3651, "duration.too_long")):
        with pytest.raises(ValidationError) as info:
            check_duration(days)
        assert info.value.code == code


# --- name and description ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VIP mensual", "VIP mensual"),
        ("  VIP   \t mensual \n", "VIP mensual"),
        ("x", "x"),
        ("a" * 100, "a" * 100),
        ("Plan 🔥 dev 👨\u200d💻", "Plan 🔥 dev 👨\u200d💻"),
        ("Cafe\u0301", "Café"),  # NFC
    ],
)
def test_parse_name_accepts(text: str, expected: str) -> None:
    assert parse_name(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "name.empty"),
        (" \t\n ", "name.empty"),
        ("a" * 101, "name.too_long"),
        ("VIP\x00", "name.control_chars"),
        ("VIP\x1b[31m", "name.control_chars"),
        ("VIP\u200b", "name.control_chars"),  # zero-width space
        ("\u202eVIP", "name.control_chars"),  # right-to-left override
    ],
)
def test_parse_name_rejects(text: str, code: str) -> None:
    _rejects(parse_name, text, code)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acceso completo", "Acceso completo"),
        ("  Línea 1\nLínea 2  ", "Línea 1\nLínea 2"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("-", None),
        (" - ", None),
        ("", None),
        ("   \n ", None),
        ("d" * 500, "d" * 500),
    ],
)
def test_parse_description_accepts(text: str, expected: str | None) -> None:
    assert parse_description(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("d" * 501, "description.too_long"),
        ("tab\there", "description.control_chars"),
        ("bell\x07", "description.control_chars"),
        ("zw\u200bsp", "description.control_chars"),
    ],
)
def test_parse_description_rejects(text: str, code: str) -> None:
    _rejects(parse_description, text, code)


# --- channel reference ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-1001234567890", -1001234567890),
        ("  -1001234567890 ", -1001234567890),
        ("-1001234567890123", -1001234567890123),
        ("@my_channel", "@my_channel"),
        ("@abcde", "@abcde"),
        ("@" + "a" * 32, "@" + "a" * 32),
        ("https://t.me/my_channel", "@my_channel"),
        ("http://t.me/my_channel/", "@my_channel"),
        ("t.me/my_channel", "@my_channel"),
        ("https://telegram.me/Chan_2024", "@Chan_2024"),
    ],
)
def test_parse_channel_ref_accepts(text: str, expected: int | str) -> None:
    assert parse_channel_ref(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "channel_ref.empty"),
        ("12345", "channel_ref.bad_id"),
        ("1001234567890", "channel_ref.bad_id"),
        ("-100123456789", "channel_ref.bad_id"),  # 9 digits after -100
        ("-10012345678901234", "channel_ref.bad_id"),  # 14 digits after -100
        ("-2001234567890", "channel_ref.bad_id"),
        ("@abcd", "channel_ref.username_length"),
        ("@" + "a" * 33, "channel_ref.username_length"),
        ("@", "channel_ref.username_length"),
        ("@my-channel", "channel_ref.username_chars"),
        ("@canal_ñandú", "channel_ref.username_chars"),
        ("@1channel", "channel_ref.username_start"),
        ("@_channel", "channel_ref.username_start"),
        ("t.me/+AbCdEf123", "channel_ref.invite_link"),
        ("https://t.me/joinchat/AbCdEf", "channel_ref.invite_link"),
        ("https://t.me/c/123456/7", "channel_ref.invalid"),
        ("https://t.me/my_channel?start=1", "channel_ref.invalid"),
        ("https://example.com/my_channel", "channel_ref.invalid"),
        ("my_channel", "channel_ref.invalid"),
        ("t.me/", "channel_ref.invalid"),
    ],
)
def test_parse_channel_ref_rejects(text: str, code: str) -> None:
    _rejects(parse_channel_ref, text, code)


# --- error codes and their texts -----------------------------------------------------


def test_every_error_code_has_a_text_in_both_languages() -> None:
    for code in ERROR_CODES:
        # English falls back to Spanish, Spanish to the key: equal means untranslated.
        es, en = ES(f"error.{code}"), EN(f"error.{code}")
        assert es != f"error.{code}", code
        assert es != en, code
        assert placeholders(es) == placeholders(en), code


def test_unknown_error_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown domain error code"):
        DomainError("price.typo")


def test_str_of_a_domain_error_is_its_code_and_params_and_texts_render_it() -> None:
    err = ValidationError("name.too_long", max=100, length=120)
    assert str(err) == "name.too_long (max=100, length=120)"
    assert str(ValidationError("name.empty")) == "name.empty"
    assert EN.error(err) == "The name is 120 characters long; the maximum is 100."
    assert ES.error(err) == "El nombre tiene 120 caracteres; el máximo es 100."


def test_a_missing_parameter_stays_visible() -> None:
    assert "{value}" in ES("error.price.invalid")


# --- properties: total on any text, and round trips ----------------------------------

_price_texts = st.one_of(
    st.text(max_size=30),
    st.from_regex(
        r"\A\s?(?:\$|USD ?|-)?[0-9]{1,40}(?:[.,][0-9]{1,4})*(?: ?USD|\$)?\s?\Z", fullmatch=True
    ),
)
_duration_texts = st.one_of(
    st.text(max_size=20),
    st.from_regex(
        r"\A-?[0-9]{1,8}(?:[.,][0-9])? ?(?:d|días|semanas|w|m|meses|y|años|years|h)?\Z",
        fullmatch=True,
    ),
)
_channel_texts = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\A-100[0-9]{8,15}\Z", fullmatch=True),
    st.from_regex(r"\A(?:@|https://t\.me/|t\.me/)[A-Za-z0-9_+-]{0,35}/?\Z", fullmatch=True),
)


@_FAST
@given(_price_texts)
def test_parse_price_is_total_and_round_trips(text: str) -> None:
    try:
        value = parse_price(text)
    except ValidationError as err:
        _assert_rendered(err, "price.")
        return
    assert Decimal(0) <= value <= MAX_PRICE
    assert value.as_tuple().exponent == -2
    assert parse_price(str(value)) == value
    for locale in LOCALES:
        assert parse_price(translator_for(locale).price(value, CURRENCY)) == value


@_FAST
@given(st.decimals(min_value=0, max_value=100000, places=2), st.sampled_from(LOCALES))
def test_every_valid_price_formats_and_parses_back(value: Decimal, locale: str) -> None:
    # What the bot shows in each language is what an admin may copy back.
    assert parse_price(translator_for(locale).price(value, CURRENCY)) == value
    assert parse_price(f"{value:f}".replace(".", ",")) == value
    assert parse_price(f"${value:f}") == value
    assert check_price(value) == value


@_FAST
@given(_duration_texts)
def test_parse_duration_is_total_and_round_trips(text: str) -> None:
    try:
        days = parse_duration(text)
    except ValidationError as err:
        _assert_rendered(err, "duration.")
        return
    assert 1 <= days <= 3650
    assert parse_duration(str(days)) == days
    for locale in LOCALES:
        assert parse_duration(translator_for(locale).duration(days)) == days


@_FAST
@given(st.integers(min_value=1, max_value=3650), st.sampled_from(LOCALES))
def test_every_valid_duration_formats_and_parses_back(days: int, locale: str) -> None:
    assert parse_duration(translator_for(locale).duration(days)) == days
    assert parse_duration(f"{days} d") == days


@_FAST
@given(st.text(max_size=120))
def test_parse_name_is_total_and_idempotent(text: str) -> None:
    try:
        name = parse_name(text)
    except ValidationError as err:
        _assert_rendered(err, "name.")
        return
    assert 1 <= len(name) <= 100
    assert name == name.strip()
    assert "  " not in name
    assert parse_name(name) == name


@_FAST
@given(st.text(max_size=520))
def test_parse_description_is_total_and_idempotent(text: str) -> None:
    try:
        description = parse_description(text)
    except ValidationError as err:
        _assert_rendered(err, "description.")
        return
    if description is None:
        return
    assert 1 <= len(description) <= 500
    assert "\r" not in description
    assert parse_description(description) == description


@_FAST
@given(_channel_texts)
def test_parse_channel_ref_is_total_and_round_trips(text: str) -> None:
    try:
        ref = parse_channel_ref(text)
    except ValidationError as err:
        _assert_rendered(err, "channel_ref.")
        return
    if isinstance(ref, int):
        assert str(ref).startswith("-100")
    else:
        assert ref.startswith("@")
        assert 5 <= len(ref) - 1 <= 32
    assert parse_channel_ref(str(ref)) == ref
