"""Settings: the contract names, defaults, and one clear line per mistake."""

from __future__ import annotations

import pytest

from diana_bot.config import ConfigError, load_settings, require_webhook

TOKEN = "123:" + "a" * 35


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in (
        "BOT_TOKEN",
        "ADMIN_IDS",
        "DATABASE_URL",
        "TELEGRAM_API_URL",
        "SESSION_BACKEND",
        "REDIS_URL",
        "SESSION_TTL_SECONDS",
        "SESSION_SWEEP_INTERVAL_SECONDS",
        "LOCALE",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults() -> None:
    s = load_settings()
    assert s.bot_token is None
    assert s.admin_ids == frozenset()
    assert s.database_url.get_secret_value() == "sqlite+aiosqlite:///./diana.db"
    assert s.telegram_api_url == "https://api.telegram.org"
    assert (s.session_backend, s.session_ttl_seconds, s.session_sweep_interval_seconds) == (
        "sql",
        600,
        60,
    )
    assert (s.locale, s.log_level, s.log_format) == ("es", "INFO", "console")


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", " 1, 22 ,333")
    monkeypatch.setenv("SESSION_BACKEND", "REDIS")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("LOCALE", "en")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    s = load_settings()
    assert s.require_token() == TOKEN
    assert s.admin_ids == {1, 22, 333}
    assert s.session_backend == "redis"
    assert s.telegram_api_url == "http://127.0.0.1:8081"
    assert (s.locale, s.log_level) == ("en", "DEBUG")


def test_env_file_is_read(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    Path(str(tmp_path), ".env").write_text("ADMIN_IDS=5,6\nLOCALE=en\n")
    s = load_settings()
    assert s.admin_ids == {5, 6}
    assert s.locale == "en"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ADMIN_IDS", "1,two", "ADMIN_IDS: must be comma-separated Telegram user ids"),
        ("BOT_TOKEN", "nope", "BOT_TOKEN: does not look like a Telegram bot token"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: must start with sqlite+aiosqlite://"),
        ("SESSION_BACKEND", "mongo", "SESSION_BACKEND:"),
        ("SESSION_TTL_SECONDS", "0", "SESSION_TTL_SECONDS:"),
        ("SESSION_SWEEP_INTERVAL_SECONDS", "soon", "SESSION_SWEEP_INTERVAL_SECONDS:"),
        ("LOCALE", "fr", "LOCALE:"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT:"),
        ("TELEGRAM_API_URL", "ftp://x", "TELEGRAM_API_URL:"),
    ],
)
def test_a_wrong_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    text = str(exc.value)
    assert text.startswith(message)
    assert "\n" not in text
    if name == "BOT_TOKEN":
        assert value not in text  # secrets are never echoed


def test_missing_token_and_redis_url_and_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"^BOT_TOKEN: required"):
        load_settings().require_token()
    monkeypatch.setenv("SESSION_BACKEND", "redis")
    with pytest.raises(ConfigError, match=r"^REDIS_URL: required"):
        load_settings()
    monkeypatch.delenv("SESSION_BACKEND")
    with pytest.raises(ConfigError, match=r"^WEBHOOK_URL"):
        require_webhook(load_settings())
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com/webhook")
    with pytest.raises(ConfigError, match=r"^WEBHOOK_SECRET"):
        require_webhook(load_settings())
