"""User-facing texts: Spanish by default, English as the second language.

Look-ups fall back from the requested language to Spanish, then to the key itself, so a
missing translation shows something readable instead of crashing a handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Protocol

from diana_bot.texts import en, es

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "CodedError",
    "Translator",
    "error_text",
    "normalize_locale",
    "t",
]

DEFAULT_LOCALE = "es"
_CATALOGUES: dict[str, dict[str, str]] = {"es": es.TEXTS, "en": en.TEXTS}
LOCALES: tuple[str, ...] = tuple(_CATALOGUES)


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


def normalize_locale(locale: str | None) -> str:
    """Map a Telegram ``language_code`` such as ``en-US`` to a supported locale."""
    if not locale:
        return DEFAULT_LOCALE
    base = locale.replace("_", "-").split("-", 1)[0].lower()
    return base if base in _CATALOGUES else DEFAULT_LOCALE


def t(key: str, locale: str = DEFAULT_LOCALE, /, **params: object) -> str:
    """The text for ``key`` in ``locale``, formatted with ``params``.

    Falls back to Spanish when the locale lacks the key, and to the key itself when
    Spanish lacks it too.
    """
    catalogue = _CATALOGUES[normalize_locale(locale)]
    template = catalogue.get(key) or es.TEXTS.get(key)
    if template is None:
        return key
    try:
        return template.format_map(_KeepMissing(params))
    except (ValueError, IndexError):
        # A malformed template (stray brace, positional field) is a bug in the catalogue;
        # showing it raw beats failing the user's request.
        return template


def error_text(err: CodedError, locale: str = DEFAULT_LOCALE) -> str:
    """The message for a domain error in ``locale``."""
    return t(f"error.{err.code}", locale, **err.params)


class Translator:
    """``t`` bound to one locale; handlers receive it as ``tr``."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = normalize_locale(locale)

    def __call__(self, key: str, /, **params: object) -> str:
        return t(key, self.locale, **params)

    def error(self, err: CodedError) -> str:
        """A domain error's message, with what the user typed HTML-escaped."""
        safe = {k: escape(v) if isinstance(v, str) else v for k, v in err.params.items()}
        return t(f"error.{err.code}", self.locale, **safe)
