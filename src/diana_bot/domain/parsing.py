"""Parsers for what admins type.

Every parser is a pure function that returns a clean value or raises ``ValidationError``;
nothing else escapes, whatever the input (a property test checks this).

The domain shows nothing: how a price or a duration is written for an admin is
``diana_bot.texts`` (catalogues and CLDR formatting). What the parsers accept includes
everything the bot shows, in every language it speaks, because an admin copies a value
from the screen into a prompt: so the input vocabulary — the unit words of both
languages, the currency markers, the number forms — stays here with the parser, and a
property test in tests/domain checks every valid value round-trips through the texts'
formatting in each language.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from diana_bot.domain.errors import ValidationError

MAX_PRICE = Decimal("100000.00")
PRICE_DECIMALS = 2
CURRENCY = "USD"
MIN_DURATION_DAYS = 1
MAX_DURATION_DAYS = 3650
MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 500

_CENT = Decimal("0.01")
_MAX_PRICE_DIGITS = 6  # digits in the whole part of MAX_PRICE
# Inputs longer than this are rejected before any regex or int() work (no DoS by size).
_MAX_INPUT = 64
_MINUS_SIGNS = ("-", "\u2212")

_CURRENCY_PREFIX = re.compile(r"(?:US\$|USD|\$)\s*", re.IGNORECASE)
_CURRENCY_SUFFIX = re.compile(r"\s*(?:US\$|USD|\$)\Z", re.IGNORECASE)
# ASCII digits only: ``\d`` and Decimal() would also take Arabic-Indic and other digits.
_PRICE_NUMBER = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?")
_PRICE_GROUPED = re.compile(r"[0-9]+(?:[.,][0-9]+)+")
# A price of 1000 or more as the bot shows it (CLDR): groups of three digits after one
# mark, two decimals after the other. Both marks, so nothing is ambiguous.
_PRICE_CLDR = re.compile(
    r"(?P<whole>[1-9][0-9]{0,2}(?:,[0-9]{3})+)\.(?P<cents>[0-9]{2})"
    r"|(?P<whole_es>[1-9][0-9]{0,2}(?:\.[0-9]{3})+),(?P<cents_es>[0-9]{2})"
)

_DURATION = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?\s*(\w*)")
# Enough digits for any valid duration (3650) plus slack; more is "too long", not int().
_MAX_DURATION_DIGITS = 6
# The unit words of both languages, singular and plural, with and without accents: what
# admins type and what texts/ shows ("30 días", "14 days (2 weeks)").
_DAYS_PER_UNIT: dict[str, int] = {
    **dict.fromkeys(("", "d", "dia", "día", "dias", "días", "day", "days"), 1),
    **dict.fromkeys(("w", "sem", "semana", "semanas", "week", "weeks"), 7),
    **dict.fromkeys(("m", "mes", "meses", "month", "months"), 30),
    **dict.fromkeys(("y", "año", "años", "ano", "anos", "year", "years"), 365),
}
# What the bot shows for a duration: "365 días (1 año)"; the bracket must agree.
_WITH_EQUIVALENT = re.compile(r"([^()]+?)\s*\(([^()]+)\)")

_USERNAME_MIN = 5
_USERNAME_MAX = 32
_CHANNEL_ID = re.compile(r"-100[0-9]{10,13}")
_INTEGER = re.compile(r"[-\u2212+]?[0-9]+")
_TME_LINK = re.compile(r"(?:https?://)?(?:www\.)?(?:t|telegram)\.me/([^?#]*)", re.IGNORECASE)
_USERNAME_CHARS = re.compile(r"[A-Za-z0-9_]+")

# Zero-width joiner: Cf, but it glues emoji sequences (👨‍💻) that admins do use in names.
_ALLOWED_FORMAT_CHARS = frozenset({"\u200d"})


def parse_price(text: str) -> Decimal:
    """Parse a price in USD.

    Accepted: ``29.99``, ``29,99``, ``$29.99``, ``USD 10``, ``10 usd``, ``15``, ``0``. The
    currency marker (``$``, ``US$``, ``USD``) may come first or last, once. What the bot
    shows reads back: ``29,99 US$``, ``1.500,00 US$`` (Spanish), ``US$1,500.00``
    (English).

    Separators: a single ``.`` or ``,`` is the decimal mark. Exactly three digits after
    it with a short integer part (``1.500``, ``2,000``) is rejected as ambiguous, because
    a Spanish-speaking admin may mean 1500. Two marks are read only in the bot's own
    form: groups of three after one mark and two decimals after the other
    (``1.500,00``, ``1,500.00``); any other use of two (``1,000.5``, ``1.000.000``) is
    rejected as a thousands separator. Exponents, NaN, infinity and non-ASCII digits are
    rejected.

    Args:
        text: What the admin typed.

    Returns:
        The price between 0.00 and 100000.00 inclusive, quantized to cents.

    Raises:
        ValidationError: With a ``price.*`` code saying what is wrong.
    """
    s = text.strip()
    if not s:
        raise ValidationError("price.empty")
    if len(s) > _MAX_INPUT:
        raise ValidationError("price.invalid", value=_preview(s))
    negative, s = _strip_minus(s)
    if prefix := _CURRENCY_PREFIX.match(s):
        s = s[prefix.end() :]
    elif suffix := _CURRENCY_SUFFIX.search(s):
        s = s[: suffix.start()]
    if not negative:
        negative, s = _strip_minus(s)
    number = _PRICE_NUMBER.fullmatch(s)
    grouped = _PRICE_CLDR.fullmatch(s) if number is None else None
    if grouped is not None:
        whole = (grouped["whole"] or grouped["whole_es"]).replace(",", "").replace(".", "")
        fraction = grouped["cents"] or grouped["cents_es"]
    elif number is None:
        if _PRICE_GROUPED.fullmatch(s):
            raise ValidationError("price.thousands_separator", value=_preview(text.strip()))
        raise ValidationError("price.invalid", value=_preview(text.strip()))
    else:
        whole, fraction = number.group(1), number.group(2) or ""
    if len(fraction) == 3 and len(whole) <= 3 and not whole.startswith("0"):
        raise ValidationError("price.ambiguous_separator", value=s, thousands=whole + fraction)
    if len(fraction) > PRICE_DECIMALS:
        raise ValidationError("price.too_many_decimals", max_decimals=PRICE_DECIMALS)
    if negative:
        raise ValidationError("price.negative")
    # Decide "too large" on the digits: quantize() would raise InvalidOperation on a
    # whole part longer than the decimal context's 28 digits of precision.
    if len(whole.lstrip("0")) > _MAX_PRICE_DIGITS:
        raise ValidationError("price.too_large", max=MAX_PRICE, currency=CURRENCY)
    value = Decimal(f"{whole}.{fraction or '0'}").quantize(_CENT)
    if value > MAX_PRICE:
        raise ValidationError("price.too_large", max=MAX_PRICE, currency=CURRENCY)
    return value


def check_price(value: Decimal) -> Decimal:
    """Re-check an already-typed price against the same rules as :func:`parse_price`.

    Raises:
        ValidationError: If the value is not finite, negative, too precise or too large.
    """
    if not value.is_finite():
        raise ValidationError("price.invalid", value=_preview(str(value)))
    if value < 0:
        raise ValidationError("price.negative")
    # Range first: quantize() raises InvalidOperation on huge values such as 1E+30.
    if value > MAX_PRICE:
        raise ValidationError("price.too_large", max=MAX_PRICE, currency=CURRENCY)
    cents = value.quantize(_CENT)
    if cents != value:
        raise ValidationError("price.too_many_decimals", max_decimals=PRICE_DECIMALS)
    # copy_abs() turns Decimal("-0") into 0.00 rather than "-0.00".
    return cents.copy_abs()


def parse_duration(text: str) -> int:
    """Parse a subscription length into days.

    Accepted: a whole number with an optional unit, case-insensitive: days (``30``,
    ``30d``, ``30 días``, ``30 dias``, ``1 day``), weeks (``2 semanas``, ``2w``: 7 days),
    months (``1 mes``, ``3 meses``, ``1m``: 30 days), years (``1 año``, ``1y``: 365 days).
    What the bot shows reads back too, an exact equivalent in brackets included
    (``365 días (1 año)``, ``14 days (2 weeks)``), as long as both halves agree.

    Returns:
        The number of days, 1 to 3650 inclusive.

    Raises:
        ValidationError: With a ``duration.*`` code saying what is wrong.
    """
    s = unicodedata.normalize("NFC", text).strip().lower()
    if not s:
        raise ValidationError("duration.empty")
    if len(s) > _MAX_INPUT:
        raise ValidationError("duration.invalid", value=_preview(s))
    bracketed = _WITH_EQUIVALENT.fullmatch(s)
    if bracketed is not None:
        # A value copied from the bot's own screen: both halves must say the same.
        days = parse_duration(bracketed.group(1))
        try:
            same = parse_duration(bracketed.group(2)) == days
        except ValidationError:
            same = False
        if not same:
            raise ValidationError("duration.invalid", value=_preview(text.strip()))
        return days
    negative, s = _strip_minus(s)
    match = _DURATION.fullmatch(s)
    if match is None:
        raise ValidationError("duration.invalid", value=_preview(text.strip()))
    digits, fraction, unit = match.groups()
    factor = _DAYS_PER_UNIT.get(unit)
    if factor is None:
        raise ValidationError("duration.unknown_unit", unit=unit)
    if fraction is not None:
        raise ValidationError("duration.not_integer")
    if negative:
        raise ValidationError("duration.negative")
    digits = digits.lstrip("0") or "0"
    if len(digits) > _MAX_DURATION_DIGITS:
        raise ValidationError("duration.too_long", max=MAX_DURATION_DAYS)
    return check_duration(int(digits) * factor)


def check_duration(days: int) -> int:
    """Check a number of days against the 1–3650 range.

    Raises:
        ValidationError: ``duration.too_short`` or ``duration.too_long``.
    """
    if days < MIN_DURATION_DAYS:
        raise ValidationError("duration.too_short", min=MIN_DURATION_DAYS)
    if days > MAX_DURATION_DAYS:
        raise ValidationError("duration.too_long", max=MAX_DURATION_DAYS)
    return days


def parse_name(text: str) -> str:
    """Clean a tariff name: trimmed, whitespace runs collapsed to one space, NFC.

    Returns:
        The name, 1 to 100 characters.

    Raises:
        ValidationError: ``name.empty``, ``name.too_long`` or ``name.control_chars``.
    """
    s = unicodedata.normalize("NFC", text)
    # Tabs and newlines count as whitespace (they collapse); other controls are refused.
    if _has_control_chars(s, allowed=frozenset("\t\n\r")):
        raise ValidationError("name.control_chars")
    s = " ".join(s.split())
    if not s:
        raise ValidationError("name.empty")
    if len(s) > MAX_NAME_LENGTH:
        raise ValidationError("name.too_long", max=MAX_NAME_LENGTH, length=len(s))
    return s


def parse_description(text: str) -> str | None:
    """Clean a tariff description: trimmed, NFC, line breaks normalised to ``\\n``.

    Returns:
        The description (at most 500 characters), or None for ``-`` or blank input.

    Raises:
        ValidationError: ``description.too_long`` or ``description.control_chars``.
    """
    s = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if s in ("", "-"):
        return None
    if _has_control_chars(s, allowed=frozenset("\n")):
        raise ValidationError("description.control_chars")
    if len(s) > MAX_DESCRIPTION_LENGTH:
        raise ValidationError("description.too_long", max=MAX_DESCRIPTION_LENGTH, length=len(s))
    return s


def parse_channel_ref(text: str) -> int | str:
    """Parse a reference to a Telegram channel.

    Accepted: a channel id (``-100`` then 10 to 13 digits), ``@username``,
    ``t.me/username`` or ``https://t.me/username``. Usernames follow Telegram's rules:
    5 to 32 characters, ASCII letters, digits and ``_``, starting with a letter.

    Returns:
        The chat id as an int, or the username with its leading ``@``.

    Raises:
        ValidationError: With a ``channel_ref.*`` code giving the reason.
    """
    s = text.strip()
    if not s:
        raise ValidationError("channel_ref.empty")
    if len(s) > _MAX_INPUT * 2:
        raise ValidationError("channel_ref.invalid", value=_preview(s))
    if _INTEGER.fullmatch(s):
        if _CHANNEL_ID.fullmatch(s):
            return int(s)
        raise ValidationError("channel_ref.bad_id", value=s)
    if s.startswith("@"):
        return "@" + _check_username(s[1:])
    link = _TME_LINK.fullmatch(s)
    if link is not None:
        path = link.group(1).rstrip("/")
        if path.startswith(("+", "joinchat/")):
            raise ValidationError("channel_ref.invite_link")
        if "/" not in path and path:
            return "@" + _check_username(path)
    raise ValidationError("channel_ref.invalid", value=_preview(s))


def _check_username(name: str) -> str:
    if not _USERNAME_MIN <= len(name) <= _USERNAME_MAX:
        raise ValidationError("channel_ref.username_length", min=_USERNAME_MIN, max=_USERNAME_MAX)
    if not _USERNAME_CHARS.fullmatch(name):
        raise ValidationError("channel_ref.username_chars")
    if not ("a" <= name[0].lower() <= "z"):
        raise ValidationError("channel_ref.username_start")
    return name


def _strip_minus(s: str) -> tuple[bool, str]:
    if s.startswith(_MINUS_SIGNS):
        return True, s[1:].lstrip()
    return False, s


def _has_control_chars(s: str, *, allowed: frozenset[str]) -> bool:
    # Cs: lone surrogates cannot even be encoded for the database.
    return any(
        unicodedata.category(ch) in ("Cc", "Cf", "Cs")
        and ch not in allowed
        and ch not in _ALLOWED_FORMAT_CHARS
        for ch in s
    )


def _preview(s: str) -> str:
    # Error messages echo the input; keep a pasted novel out of the reply.
    return s if len(s) <= 20 else s[:19] + "…"
