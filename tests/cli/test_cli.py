"""The command line, in-process: exit codes, tables and --json, against a real database."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from aiogram_durable import (
    SessionKey,
    SessionManager,
    SessionType,
    SessionTypes,
    SqlAuditLog,
    SqliteSessionStore,
    SystemClock,
)
from diana_bot.cli import main
from diana_bot.db.engine import create_engine
from diana_bot.db.migrate import upgrade_async

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    for name in ("BOT_TOKEN", "SESSION_BACKEND", "REDIS_URL", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    return url


async def _seed(url: str) -> list[str]:
    await upgrade_async(url)
    engine = create_engine(url)
    store = SqliteSessionStore(url.split("///", 1)[1], SystemClock())
    types = SessionTypes(SessionType("tariff_creation"), SessionType("channel_registration"))
    audit = SqlAuditLog(engine)
    manager = SessionManager(store, types, audit, default_ttl=timedelta(minutes=10))
    ids = [
        (await manager.start(SessionKey(9, 11, 11), "tariff_creation", step="price")).id,
        (
            await manager.start(
                SessionKey(9, 12, 12), "tariff_creation", step="name", data={"price": "5.00"}
            )
        ).id,
        (await manager.start(SessionKey(9, 13, 13), "channel_registration", step="ref")).id,
    ]
    await audit.close()
    await store.close()
    await engine.dispose()
    return ids


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_sessions_commands(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = asyncio.run(_seed(db))
    stats = _json(capsys, "sessions", "stats", "--json")
    assert stats == {
        "by_type": {
            "channel_registration": 1,
            "deactivation": 0,
            # States of no registered flow (none in Diana; always counted).
            "fsm": 0,
            "tariff_creation": 2,
            "tariff_edit": 0,
        },
        "total": 3,
    }
    listed = _json(capsys, "sessions", "list", "--type", "tariff_creation", "--json")
    assert isinstance(listed, list)
    assert [s["user_id"] for s in listed] == [11, 12]
    shown = _json(capsys, "sessions", "show", ids[1], "--json")
    assert isinstance(shown, dict)
    assert shown["data"] == {"price": "5.00"} and shown["step"] == "name"
    assert main(["sessions", "list"]) == 0
    table = capsys.readouterr().out
    assert ids[0] in table and "channel_registration" in table
    assert main(["sessions", "show", "0" * 32]) == 1
    assert main(["sessions", "clear", "--user", "11", "--all"]) == 2
    cleared = _json(capsys, "sessions", "clear", "--user", "12", "--yes", "--json")
    assert cleared == {"cleared": [ids[1]], "count": 1}
    events = _json(capsys, "sessions", "events", "--limit", "2", "--json")
    assert isinstance(events, list)
    assert events[0]["event"] == "cleared" and events[0]["detail"] == {"by": "cli"}
    assert _json(capsys, "sessions", "sweep", "--json") == {"expired": 0}
    assert main(["sessions", "stats"]) == 0
    assert "total" in capsys.readouterr().out


def test_clear_asks_first_and_declining_clears_nothing(db: str) -> None:
    # A real process, so the confirmation prompt reads a real stdin.
    ids = asyncio.run(_seed(db))
    proc = subprocess.run(
        [sys.executable, "-m", "diana_bot", "sessions", "clear", "--all"],
        input="n\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 1
    assert "nothing cleared" in proc.stderr
    assert main(["sessions", "show", ids[0]]) == 0


def test_unmigrated_database_says_what_to_do(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "stats"]) == 2
    assert "diana-bot migrate" in capsys.readouterr().err


def test_run_without_token_is_one_line_and_exit_2(db: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "diana_bot", "run"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "configuration error: BOT_TOKEN: required to run the bot (get one from @BotFather)"
    ]


def test_migrate_creates_the_four_tables(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    assert main(["migrate"]) == 0
    path = db.split("///", 1)[1]
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"channels", "tariffs", "durable_sessions", "durable_session_events"} <= names


def test_help_on_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--help"],
        ["run", "--help"],
        ["migrate", "--help"],
        ["sessions", "--help"],
        ["sessions", "list", "--help"],
        ["sessions", "clear", "--help"],
        ["sessions", "events", "--help"],
    ):
        assert main(argv) == 0, argv
        assert "Usage" in capsys.readouterr().out
