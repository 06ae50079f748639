"""The language of each update: aiogram's gettext I18n core over Diana's catalogues, and
the middleware that picks an admin's language.

- ``DianaI18n`` is ``aiogram.utils.i18n.I18n`` loading ``diana_bot.texts``' catalogues
  (each language falling back to Spanish, the source) with ``LOCALE`` as its default.
  Its context variable holds the language of the update being handled; the one shared
  ``Translator`` (``svc.tr``) reads it, so handlers never pass a language around.
- ``UserLanguage`` is an ``I18nMiddleware``: the sender's Telegram ``language_code``
  when Diana speaks it (``en``, ``en-US`` → English), else ``LOCALE``.
  ``DianaDispatcher.feed_update`` runs every update inside it, before the admin gate,
  so refusals and "service unavailable" answers speak the sender's language too.
- Outside an update (the sweeper's "your session expired", another admin's "closed your
  session") there is no sender: each prompt a flow shows notes the language on its step
  in the audit trail (``LANGUAGE_NOTE``, beside the prompt's message id: no store write),
  and the notice is written in the language last noted for that session, else
  ``LOCALE``.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from diana_bot.texts import DOMAIN, LOCALES_DIR, Translator, load_catalogues, supported_locale

# The audit-trail note holding the language a flow's admin was last answered in.
LANGUAGE_NOTE = "_lang"


class DianaI18n(I18n):
    """aiogram's I18n core on Diana's catalogues, with its one ``Translator``."""

    def __init__(self, default_locale: str) -> None:
        super().__init__(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)
        if default_locale not in self.locales:
            raise ValueError(f"no catalogue for LOCALE={default_locale!r}")
        self.translator = Translator(self.gettext, self.ctx_locale.get)

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        # Ours add the fallback to the source language that the stock loader lacks.
        return load_catalogues(self.path, self.domain)

    def locale_of(self, language_code: str | None) -> str:
        """The language to answer a Telegram user with ``language_code`` in."""
        return supported_locale(language_code, self.available_locales, self.default_locale)

    @contextmanager
    def speaking(self, locale: object) -> Iterator[None]:
        """Use ``locale`` inside the block when it is one of ours (a value read back from
        storage may be anything), else the default."""
        chosen = locale if isinstance(locale, str) and locale in self.locales else None
        with self.use_locale(chosen or self.default_locale):
            yield


class UserLanguage(I18nMiddleware):
    """Picks an update's language from its sender's Telegram ``language_code``."""

    i18n: DianaI18n

    def __init__(self, i18n: DianaI18n) -> None:
        super().__init__(i18n)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        if user is None and isinstance(event, Update):
            # Run around the whole update, before aiogram's own middlewares resolve it.
            user = UserContextMiddleware.resolve_event_context(event).user
        return self.i18n.locale_of(user.language_code if user is not None else None)


def current_language() -> str | None:
    """The language of the update being handled, None outside any."""
    # aiogram keeps the current instance per class: ask ours, not the base class.
    i18n = DianaI18n.get_current(no_error=True)
    return i18n.current_locale if i18n is not None else None
