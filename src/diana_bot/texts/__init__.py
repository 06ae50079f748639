"""User-facing texts: gettext catalogues in Spanish (the default) and English, and numbers
written by CLDR's rules for each language.

What is here, and what is not:

- ``locales/<lang>/LC_MESSAGES/diana.po`` are the texts, the files translators edit;
  the ``.mo`` beside each is compiled from it (``scripts/i18n compile``; a test fails
  when one is out of date). A msgid is the text's key (``menu.root``), the msgstr what
  the admin reads. Texts that show a count are plural entries (``msgid_plural``), one
  form per CLDR plural category of the language.
- ``Translator`` (``svc.tr`` in handlers): a text, a plural, a price, a duration or a
  domain error's message, in whatever language is current.
- ``formatting``: prices through Babel's CLDR data, and what a duration shows.
- Not here: choosing the language. That needs the Telegram update, and this package
  imports no Telegram library (``tests/test_architecture.py``): aiogram's I18n core and
  the middleware that picks each update's language live in ``diana_bot.bot.i18n``.

Why aiogram's own gettext i18n (``aiogram.utils.i18n``) with Babel, and not aiogram-i18n
with Fluent: our keys are dotted ids (``menu.root``, ``error.price.invalid``) — valid
gettext msgids, not Fluent identifiers, so Fluent would mean renaming every key the code
and the tests name. ``.po`` files are what translators' tools (Poedit, Weblate) open
as they are. Babel brings CLDR's plural rules (``ngettext``) and number and currency
formatting, and ``pybabel`` extracts, updates and compiles the catalogues. aiogram
ships the I18n core and middleware, so the only new dependency is Babel.
"""

from __future__ import annotations

from diana_bot.texts.catalogues import (
    DOMAIN,
    LOCALES,
    LOCALES_DIR,
    SOURCE_LOCALE,
    load_catalogues,
    supported_locale,
)
from diana_bot.texts.formatting import exact_equivalent, format_price
from diana_bot.texts.translator import (
    CodedError,
    Lookup,
    Translator,
    placeholders,
    translator_for,
)

__all__ = [
    "DOMAIN",
    "LOCALES",
    "LOCALES_DIR",
    "SOURCE_LOCALE",
    "CodedError",
    "Lookup",
    "Translator",
    "exact_equivalent",
    "format_price",
    "load_catalogues",
    "placeholders",
    "supported_locale",
    "translator_for",
]
