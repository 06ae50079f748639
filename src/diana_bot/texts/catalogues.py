"""The gettext catalogues: where they are, how they are loaded, which languages they cover.

Each language has ``locales/<lang>/LC_MESSAGES/diana.po`` (what translators edit) and the
``diana.mo`` compiled from it (what the bot reads; ``scripts/i18n compile``). Spanish is
the source catalogue: every key is written there first, and every other language falls
back to it for a key it lacks (then to the key itself), so a missing translation shows
Spanish rather than crashing a handler or showing ``menu.root``.
"""

from __future__ import annotations

import gettext
from pathlib import Path

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "diana"
# The catalogue every key is written in first, and the last fallback.
SOURCE_LOCALE = "es"
# The languages Diana speaks; a test checks there is a catalogue for each and no other.
LOCALES: tuple[str, ...] = ("es", "en")


def load_catalogues(
    path: Path = LOCALES_DIR, domain: str = DOMAIN
) -> dict[str, gettext.GNUTranslations]:
    """The compiled catalogue of each language found under ``path``, each falling back to
    the source language's.

    Raises:
        RuntimeError: A language has a .po but no .mo (run ``scripts/i18n compile``), or
            the source language has none.
    """
    found: dict[str, gettext.GNUTranslations] = {}
    for folder in sorted(p for p in path.iterdir() if p.is_dir()):
        mo = folder / "LC_MESSAGES" / f"{domain}.mo"
        if mo.exists():
            with mo.open("rb") as file:
                found[folder.name] = gettext.GNUTranslations(file)
        elif mo.with_suffix(".po").exists():
            raise RuntimeError(f"{mo.with_suffix('.po')} is not compiled: run scripts/i18n compile")
    source = found.get(SOURCE_LOCALE)
    if source is None:
        raise RuntimeError(f"no {SOURCE_LOCALE} catalogue under {path}")
    for locale, catalogue in found.items():
        if locale != SOURCE_LOCALE:
            catalogue.add_fallback(source)
    return found


def supported_locale(language_code: str | None, available: tuple[str, ...], default: str) -> str:
    """The language to answer in for a Telegram ``language_code`` (``en``, ``en-US``,
    ``pt-br``): its base language when there is a catalogue for it, else ``default``."""
    if language_code:
        base = language_code.replace("_", "-").split("-", 1)[0].lower()
        if base in available:
            return base
    return default
