"""The translators' files: every language has every key, every plural form, the same
placeholders, valid Telegram HTML, and a compiled .mo that matches its .po; every key
the code names exists; a missing text falls back to Spanish, then to the key."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from diana_bot.bot.flows import DEFAULT_FLOWS
from diana_bot.domain import CHANNEL_KINDS, EDITABLE_FIELDS
from diana_bot.texts import (
    DOMAIN,
    LOCALES,
    LOCALES_DIR,
    SOURCE_LOCALE,
    Translator,
    load_catalogues,
    placeholders,
)
from tests.support.recording_bot import parse_html

SRC = Path(__file__).resolve().parents[2] / "src" / "diana_bot"


def _po(locale: str, root: Path = LOCALES_DIR) -> Path:
    return root / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _catalogue(locale: str) -> Catalog:
    with _po(locale).open("rb") as file:
        return read_po(file, locale=locale)


def _messages(catalogue: Catalog) -> dict[str, Message]:
    """The entries by key, without the header."""
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogue if m.id}


def _forms(message: Message) -> tuple[str, ...]:
    """The text of an entry, one form per plural category ('' when untranslated)."""
    string = message.string
    if isinstance(string, tuple | list):
        return tuple(string)
    return (string or "",)


def test_there_is_a_catalogue_for_each_language_and_no_other() -> None:
    folders = {p.name for p in LOCALES_DIR.iterdir() if p.is_dir()}
    assert folders == set(LOCALES)
    assert SOURCE_LOCALE in LOCALES
    assert set(load_catalogues()) == set(LOCALES)


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != SOURCE_LOCALE])
def test_every_key_is_in_every_language(locale: str) -> None:
    source, other = _messages(_catalogue(SOURCE_LOCALE)), _messages(_catalogue(locale))
    assert sorted(set(source) - set(other)) == [], f"missing in {locale}"
    assert sorted(set(other) - set(source)) == [], f"missing in {SOURCE_LOCALE}"
    # A text with a count is a plural entry in every language, or in none.
    plural = sorted(key for key, m in source.items() if m.pluralizable)
    assert plural == sorted(key for key, m in other.items() if m.pluralizable)
    assert "duration.days" in plural and "sessions.cleared" in plural


@pytest.mark.parametrize("locale", LOCALES)
def test_every_text_is_translated_with_every_plural_form(locale: str) -> None:
    catalogue = _catalogue(locale)
    # The Plural-Forms header is CLDR's rule for the language, as Babel knows it.
    assert catalogue.plural_forms == get_plural(locale).plural_forms
    for key, message in _messages(catalogue).items():
        assert not message.fuzzy, key
        forms = _forms(message)
        expected = catalogue.num_plurals if message.pluralizable else 1
        assert len(forms) == expected, key
        assert all(form.strip() for form in forms), f"{locale}: {key} has an empty form"


def test_placeholders_are_the_same_in_every_language() -> None:
    by_locale = {loc: _messages(_catalogue(loc)) for loc in LOCALES}
    for key, message in by_locale[SOURCE_LOCALE].items():
        expected = set().union(*(placeholders(f) for f in _forms(message)))
        for locale in LOCALES:
            forms = _forms(by_locale[locale][key])
            found = set().union(*(placeholders(f) for f in forms))
            assert found == expected, (locale, key)
            if message.pluralizable:
                # The general form says the number (the one form may say "the session").
                assert "count" in placeholders(forms[-1]), (locale, key)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_text_is_valid_telegram_html(locale: str) -> None:
    for key, message in _messages(_catalogue(locale)).items():
        for form in _forms(message):
            _, error = parse_html(form)
            assert error is None, (locale, key, error)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_matches_its_source(locale: str) -> None:
    """The bot reads the .mo: one left behind by an edit of the .po would show old texts
    (``scripts/i18n compile`` writes them)."""
    compiled = BytesIO()
    write_mo(compiled, _catalogue(locale))
    compiled.seek(0)
    with (LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as file:
        committed = read_mo(file)
    fresh = read_mo(compiled)

    def entries(catalogue: Catalog) -> dict[object, object]:
        return {_key(m.id): _key(m.string) for m in catalogue if m.id}

    assert entries(committed) == entries(fresh), f"run scripts/i18n compile ({locale})"


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _keys_named_in_code() -> Iterator[tuple[str, int, str]]:
    """``(file, line, key)`` of each literal ``tr("…")`` / ``tr.plural("…", n)``."""
    keywords = {"tr": None, "plural": None}
    for filename, line, key, _, _ in extract_from_dir(SRC, keywords=keywords):
        if isinstance(key, str):
            yield filename, line, key


def test_every_key_the_code_names_is_in_the_catalogues() -> None:
    known = set(_messages(_catalogue(SOURCE_LOCALE)))
    named = list(_keys_named_in_code())
    assert len(named) > 50  # the extraction sees the handlers
    missing = [f"{file}:{line} {key}" for file, line, key in named if key not in known]
    assert missing == []


def test_every_key_built_from_a_name_is_in_the_catalogues() -> None:
    """Keys the code builds (``flow.<name>``, ``edit.ask.<field>``, ``channel.kind.<kind>``)
    extraction cannot see; ``error.<code>`` is checked in tests/domain."""
    known = set(_messages(_catalogue(SOURCE_LOCALE)))
    built = {
        *(f"flow.{flow.name}" for flow in DEFAULT_FLOWS),
        "flow.fsm",
        *(f"edit.ask.{field}" for field in EDITABLE_FIELDS),
        *(f"channel.kind.{kind}" for kind in CHANNEL_KINDS),
        *(
            f"{what}.{act}"
            for what in ("tariff", "channel")
            for act in ("deactivate_ask", "deactivated", "inactive")
        ),
        *(f"btn.make_{kind}" for kind in CHANNEL_KINDS),
    }
    assert sorted(built - known) == []


def _compile(root: Path, locale: str, texts: dict[str, str]) -> None:
    catalogue = Catalog(locale=locale, domain=DOMAIN)
    for key, text in texts.items():
        catalogue.add(key, text)
    folder = root / locale / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / f"{DOMAIN}.mo").open("wb") as file:
        write_mo(file, catalogue)


def test_a_missing_text_falls_back_to_spanish_then_to_the_key(tmp_path: Path) -> None:
    _compile(tmp_path, "es", {"a.both": "ambos", "a.only_es": "hola {name}"})
    _compile(tmp_path, "en", {"a.both": "both"})
    catalogues = load_catalogues(tmp_path)

    def lookup(
        singular: str, plural: str | None = None, n: int = 1, locale: str | None = None
    ) -> str:
        return catalogues[locale or "es"].gettext(singular)

    english = Translator(lookup, lambda: "en")
    assert english("a.both") == "both"
    assert english("a.only_es", name="Ana") == "hola Ana"
    assert english("a.nowhere") == "a.nowhere"


def test_a_catalogue_that_was_never_compiled_stops_the_start(tmp_path: Path) -> None:
    _compile(tmp_path, "es", {"a.both": "ambos"})
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / f"{DOMAIN}.po").write_text('msgid "a.both"\nmsgstr "both"\n')
    with pytest.raises(RuntimeError, match="not compiled"):
        load_catalogues(tmp_path)
