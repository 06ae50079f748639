"""Numbers as each language writes them (CLDR, through Babel), and what a duration shows.

Whatever is shown here an admin may copy back into a prompt, so ``domain.parsing`` reads
every form back: a price as ``29,99 US$`` or ``1.500,00 US$`` (Spanish) and
``US$29.99`` or ``US$1,500.00`` (English), a duration's counts as plain digits
(``3650 días``: CLDR would group them in English, ``3,650 days``, which reads as a
decimal to half the admins). A property test in tests/domain checks the round trip for
every valid value in both languages.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal

# The CLDR locale each language's money is written in. English is "world English"
# (en_001), whose dollar is "US$" like Spanish's: a bare "$" reads as the local peso to
# many of the admins' customers.
_MONEY_LOCALE = {"es": "es", "en": "en_001"}

# Units a number of days is shown in as well, in brackets, when it is an exact number of
# them, largest first. Never months: a month is not 30 days on the calendar, so "1 mes"
# would say something the tariff does not do.
EQUIVALENTS: tuple[tuple[str, int], ...] = (("duration.years", 365), ("duration.weeks", 7))


def format_price(value: Decimal, currency: str, locale: str) -> str:
    """A price with its currency, e.g. ``29,99 US$`` (es) or ``US$29.99`` (en)."""
    return format_currency(value, currency, locale=_MONEY_LOCALE.get(locale, locale))


def format_amount(value: Decimal, locale: str) -> str:
    """A money amount without a currency: ``1.500,00`` (es), ``1,500.00`` (en)."""
    return format_decimal(value, format="#,##0.00", locale=_MONEY_LOCALE.get(locale, locale))


def exact_equivalent(days: int) -> tuple[str, int] | None:
    """The text key and count of the largest unit ``days`` is an exact number of, if any:
    ``(duration.weeks, 2)`` for 14, ``(duration.years, 1)`` for 365, None for 30."""
    for key, size in EQUIVALENTS:
        if days >= size and days % size == 0:
            return key, days // size
    return None
