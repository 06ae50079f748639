"""``Translator``: what handlers call as ``svc.tr``, in the language of the update at hand.

One Translator serves every update. It owns no language: it asks ``current_locale``
(the bot wires in the aiogram I18n core's context, which the dispatcher sets per update)
and looks texts up through ``lookup`` (that core's ``gettext``). Code without a
dispatcher (tests, tools) uses ``translator_for(locale)``: the same catalogues, one
fixed language.
"""

from __future__ import annotations

import gettext
import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from html import escape
from typing import Protocol

from diana_bot.texts.catalogues import SOURCE_LOCALE, load_catalogues
from diana_bot.texts.formatting import exact_equivalent, format_amount, format_price


class Lookup(Protocol):
    """``gettext`` / ``ngettext`` in one call, as aiogram's ``I18n.gettext`` is."""

    def __call__(
        self, singular: str, plural: str | None = None, n: int = 1, locale: str | None = None
    ) -> str: ...


class CodedError(Protocol):
    """What an error needs for its message: a code (the key is ``"error." + code``) and
    the template's parameters. Domain errors are such errors; texts never imports them."""

    @property
    def code(self) -> str: ...

    @property
    def params(self) -> Mapping[str, object]: ...


class _KeepMissing(dict[str, object]):
    # A template naming a parameter the caller did not pass keeps "{name}" visible
    # rather than raising KeyError inside a handler.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, params: Mapping[str, object]) -> str:
    try:
        return template.format_map(_KeepMissing(params))
    except (ValueError, IndexError, AttributeError):
        # A malformed template (stray brace, positional field) is a bug in a catalogue;
        # showing it raw beats failing the user's request.
        return template


class Translator:
    """Texts, plurals, prices and durations in the current update's language."""

    def __init__(self, lookup: Lookup, current_locale: Callable[[], str]) -> None:
        self._lookup = lookup
        self._current_locale = current_locale

    @property
    def locale(self) -> str:
        """The language being spoken now (``es``, ``en``)."""
        return self._current_locale()

    def __call__(self, key: str, /, **params: object) -> str:
        """The text ``key``, its ``{placeholders}`` filled from ``params``."""
        return _fill(self._lookup(key, locale=self.locale), params)

    def plural(self, key: str, count: int, /, **params: object) -> str:
        """The form of the plural text ``key`` for ``count`` (CLDR's rule for the
        language: ``1 día``, ``2 días``); ``{count}`` in it is the number."""
        # The msgid_plural of our catalogues is the key again: a key names the text,
        # whatever the number.
        text = self._lookup(key, key, count, self.locale)
        return _fill(text, {"count": count, **params})

    def price(self, value: Decimal, currency: str) -> str:
        """A price as this language writes money (CLDR): ``29,99 US$``, ``US$29.99``."""
        return format_price(value, currency, self.locale)

    def duration(self, days: int) -> str:
        """Days as typed and stored, with an exact equivalent in brackets where there is
        one: ``30 días``, ``14 días (2 semanas)``, ``365 days (1 year)``. The brackets are
        what ``parse_duration`` reads back; they stay in code, not in the catalogues."""
        shown = self.plural("duration.days", days)
        equivalent = exact_equivalent(days)
        if equivalent is None:
            return shown
        key, count = equivalent
        return f"{shown} ({self.plural(key, count)})"

    def error(self, err: CodedError) -> str:
        """A domain error's message: what the user typed HTML-escaped, an amount
        (``Decimal``) written as a price in the error's ``currency``."""
        currency = err.params.get("currency")
        safe: dict[str, object] = {}
        for name, value in err.params.items():
            if isinstance(value, str):
                safe[name] = escape(value)
            elif isinstance(value, Decimal):
                safe[name] = (
                    self.price(value, currency)
                    if isinstance(currency, str)
                    else format_amount(value, self.locale)
                )
            else:
                safe[name] = value
        return self(f"error.{err.code}", **safe)


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a template fills in."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@cache
def _catalogues() -> dict[str, gettext.GNUTranslations]:
    return load_catalogues()


def _standalone_lookup(
    singular: str, plural: str | None = None, n: int = 1, locale: str | None = None
) -> str:
    catalogue = _catalogues().get(locale or SOURCE_LOCALE) or _catalogues()[SOURCE_LOCALE]
    if plural is None:
        return catalogue.gettext(singular)
    return catalogue.ngettext(singular, plural, n)


@cache
def translator_for(locale: str) -> Translator:
    """A Translator that always speaks ``locale``: for tests and tools (the bot's own
    follows each update's language)."""
    return Translator(_standalone_lookup, lambda: locale)
