"""Every variable the deployment files set is a setting of the bot, and .env.example
lists every setting with its default."""

from __future__ import annotations

from pathlib import Path

import pytest

from diana_bot.config import ConfigError, Settings, load_settings
from tests.deploy.deployfiles import (
    COMPOSE,
    COMPOSE_VALUES,
    ENV_EXAMPLE,
    SETTINGS,
    UNIT,
    Unit,
    bot_services,
    compose,
    dockerfile_env,
    env_example,
    interpolated_names,
    service_environment,
)

# Variables of the image that are Python's or the shell's, not the bot's.
IMAGE_OWN = frozenset(
    {"PATH", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting from this process's environment or a .env in the working directory."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_settings_are_known() -> None:
    # The sets below compare against this one: make sure it is the real list.
    assert {"BOT_TOKEN", "DATABASE_URL", "SESSION_ALERT_THRESHOLD", "METRICS_PORT"} <= SETTINGS


def test_env_example_names_every_setting_and_nothing_else() -> None:
    names = [line.name for line in env_example()]
    assert len(names) == len(set(names)), "a setting listed twice"
    assert set(names) - SETTINGS == set(), "not a setting"
    assert SETTINGS - set(names) == set(), "missing from .env.example"


def test_env_example_explains_every_setting() -> None:
    for line in env_example():
        assert line.explained, f"{line.name}: no comment says what it is"


def test_env_example_holds_the_defaults(clean_env: Path) -> None:
    """Read by the settings themselves, the file gives exactly the defaults; what it
    leaves unset (#NAME=) is what has no default."""
    for line in env_example():
        default = Settings.model_fields[line.name.lower()].default
        assert line.unset == (default is None), f"{line.name}: default {default!r}"
    (clean_env / ".env").write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    from_file = Settings()
    defaults = Settings(_env_file=None)
    for name in Settings.model_fields:
        assert getattr(from_file, name) == getattr(defaults, name), name.upper()
    # The comparison sees a wrong default: the same file with one value changed.
    changed = ENV_EXAMPLE.read_text(encoding="utf-8").replace(
        "SESSION_TTL_SECONDS=600", "SESSION_TTL_SECONDS=601"
    )
    (clean_env / ".env").write_text(changed, encoding="utf-8")
    assert Settings().session_ttl_seconds != defaults.session_ttl_seconds


def test_the_unit_sets_only_settings_with_valid_values(clean_env: Path) -> None:
    env = Unit.read(UNIT).environment()
    assert env
    assert set(env) - SETTINGS == set()
    load_settings(**{k.lower(): v for k, v in env.items()})


def test_the_compose_file_gives_the_bot_only_settings_with_valid_values(
    clean_env: Path,
) -> None:
    doc = compose()
    services = bot_services(doc)
    assert set(services) == {"migrate", "bot"}
    for name, service in services.items():
        env = service_environment(service)
        assert env, name
        assert set(env) - SETTINGS == set(), name
        try:
            settings = load_settings(**{k.lower(): v for k, v in env.items()})
        except ConfigError as exc:
            raise AssertionError(f"{name}: {exc}") from None
        assert settings.database_url.get_secret_value().startswith("postgresql+asyncpg://")


def test_the_compose_file_documents_its_own_variables() -> None:
    """A variable the compose file takes from the shell is a setting, or one of its
    own, explained in its header."""
    text = COMPOSE.read_text(encoding="utf-8")
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    own = interpolated_names(text) - SETTINGS
    assert own == set(COMPOSE_VALUES)
    for name in own:
        assert f"#   {name}" in header, name


def test_the_image_sets_only_settings() -> None:
    env = dockerfile_env()
    assert "DATABASE_URL" in env
    assert set(env) - SETTINGS - IMAGE_OWN == set()
