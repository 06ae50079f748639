"""The logging chain: plain tracebacks without frame locals, secrets masked, bounded size."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from diana_bot.config import load_settings
from diana_bot.log_setup import MAX_EXCEPTION_CHARS, configure_logging
from diana_bot.redaction import Redactor, url_password

TOKEN = "7415926:AAHk9Xq2Lm4Np7Rs1Tv5Wx8Yz3Bc6Df0Gh"
PASSWORD = "Pgw@7!kQz93rT"
DB_URL = "postgresql+asyncpg://diana:Pgw%407%21kQz93rT@db.internal:5432/diana"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


def _fail_with_secrets_in_locals() -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/answerCallbackQuery"
    password = PASSWORD
    raise RuntimeError(f"request failed ({len(url) + len(password)} bytes)")


def _log_failure(fmt: str) -> None:
    configure_logging("INFO", fmt, [TOKEN, TOKEN.split(":")[1], PASSWORD])
    log = structlog.get_logger("test_log_setup")
    try:
        _fail_with_secrets_in_locals()
    except RuntimeError:
        log.exception("callback.failed", url=f"https://api.telegram.org/bot{TOKEN}/x")


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_a_traceback_is_text_without_frame_locals_or_secrets(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _log_failure(fmt)
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError: request failed" in err
    assert "_fail_with_secrets_in_locals" in err
    assert TOKEN not in err and TOKEN.split(":")[1] not in err and PASSWORD not in err
    assert "password =" not in err and "<traceback object" not in err
    if fmt == "json":
        [line] = err.splitlines()
        entry = json.loads(line)
        assert entry["event"] == "callback.failed"
        assert entry["url"] == "https://api.telegram.org/bot***/x"
        assert entry["exception"].startswith("Traceback")


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_library_records_are_masked_too(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", fmt, [PASSWORD])
    library = logging.getLogger("asyncpg.pool")
    try:
        raise ConnectionError(f"connect failed for {DB_URL} password={PASSWORD}")
    except ConnectionError:
        library.exception("pool of %s lost", DB_URL)
    err = capsys.readouterr().err
    assert "pool of postgresql+asyncpg://diana:***@db.internal:5432/diana lost" in err
    assert "ConnectionError: connect failed" in err
    assert PASSWORD not in err and "Pgw%407%21kQz93rT" not in err


def test_every_exception_entry_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    log = structlog.get_logger("test_log_setup")

    def deep(n: int) -> None:
        if n == 0:
            raise ValueError("x" * 100_000)
        deep(n - 1)

    try:
        deep(300)
    except ValueError:
        log.exception("deep.failed", blob="y" * 100_000)
    [line] = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert len(entry["exception"]) < MAX_EXCEPTION_CHARS + 200
    assert "characters cut" in entry["exception"] and "ValueError" in entry["exception"]
    assert len(entry["blob"]) < 5_000
    assert len(line) < 20_000


def test_shapes_of_secrets_are_masked_whatever_their_value() -> None:
    redact = Redactor()  # nothing configured
    assert redact(f"GET /bot{TOKEN}/getMe") == "GET /bot***/getMe"
    assert redact("redis://:s3cr3t-pw@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redact("connect(user='diana', password='hunter22')") == (
        "connect(user='diana', password='***')"
    )
    assert redact("host=db password=hunter22 dbname=x") == "host=db password=*** dbname=x"
    # Ordinary text is left alone.
    assert redact("update 12345: verdict pass, 30 días") == "update 12345: verdict pass, 30 días"


def test_settings_name_every_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(
        bot_token=TOKEN,
        database_url=DB_URL,
        redis_url="redis://default:r3dis-pass@cache:6379/0",
        webhook_secret="whk_secret_1",
    )
    values = settings.secret_values()
    assert {TOKEN, TOKEN.split(":")[1], PASSWORD, "r3dis-pass", "whk_secret_1"} == set(values)
    assert url_password("sqlite+aiosqlite:///./diana.db") is None
    redact = Redactor(values)
    assert redact(f"pw {PASSWORD} and Pgw%407%21kQz93rT") == "pw *** and ***"
