"""``diana-bot backup``: SQLite's online backup of the database the running bot has open."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aiogram_durable import SessionKey
from diana_bot.cli import main
from diana_bot.composition import build_container
from diana_bot.config import load_settings
from diana_bot.container import Container

KEY = SessionKey(bot_id=9, chat_id=11, user_id=11)
LATER_KEY = SessionKey(bot_id=9, chat_id=12, user_id=12)


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DATABASE_URL for the CLI: a SQLite file in tmp_path; nothing else configured."""
    path = tmp_path / "diana.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    for name in ("BOT_TOKEN", "SESSION_BACKEND", "REDIS_URL", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
async def running(db_file: Path) -> AsyncIterator[Container]:
    """What the running bot holds open on the file: its engine and its session store."""
    container = await build_container(load_settings(database_url=f"sqlite+aiosqlite:///{db_file}"))
    yield container
    await container.close()


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_backup_copies_what_the_running_bot_committed(
    running: Container, db_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await running.channels.register(-1001234567890, "VIP", "vip", registered_by=11)
    await running.sessions.start(KEY, "tariff_creation", step="price", data={"price": "5.00"})
    await running.audit.flush()
    # The commits are in the -wal file, not yet in the database file: copying the file
    # alone (cp) would lose them.
    assert db_file.with_name("diana.db-wal").stat().st_size > 0
    naive = shutil.copy(db_file, tmp_path / "naive.db")
    assert _rows(Path(naive), "SELECT count(*) FROM durable_sessions") == [(0,)]

    target = tmp_path / "backups" / "diana-1.db"
    target.parent.mkdir()
    assert main(["backup", str(target)]) == 0
    assert f"backed up {db_file} to {target}" in capsys.readouterr().out

    # The bot goes on writing; the backup is the moment it was taken.
    await running.sessions.start(LATER_KEY, "channel_registration", step="ref")
    assert _rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert _rows(target, "SELECT title FROM channels") == [("VIP",)]
    assert _rows(target, "SELECT user_id, current_step FROM durable_sessions") == [(11, "price")]
    assert _rows(target, "SELECT count(*) FROM durable_session_events") == [(1,)]
    # One self-contained file, readable by its owner only, nothing left beside it.
    assert _rows(target, "PRAGMA journal_mode") == [("delete",)]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["diana-1.db"]


async def test_a_restored_backup_is_the_bot_database_it_was(
    running: Container, db_file: Path, tmp_path: Path
) -> None:
    await running.sessions.start(KEY, "tariff_creation", step="price", data={"price": "5.00"})
    target = tmp_path / "diana-backup.db"
    assert main(["backup", str(target)]) == 0
    restored = tmp_path / "restored" / "diana.db"
    restored.parent.mkdir()
    shutil.copy(target, restored)
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{restored}")
    container = await build_container(settings, migrate=False)
    try:
        session = await container.sessions.get(KEY)
        assert session is not None
        assert (session.session_type, session.step) == ("tariff_creation", "price")
        assert session.data == {"price": "5.00"}
    finally:
        await container.close()


@pytest.mark.usefixtures("running")
def test_backup_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "exists.db"
    target.write_bytes(b"keep me")
    assert main(["backup", str(target)]) == 2
    assert "exists" in capsys.readouterr().err
    assert target.read_bytes() == b"keep me"


def test_backup_without_a_database_file_finds_nothing(
    db_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", str(tmp_path / "copy.db")]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not db_file.exists()  # the backup did not create an empty one
    assert not (tmp_path / "copy.db").exists()


def test_backup_of_postgresql_points_at_pg_dump(
    db_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://diana:pw@127.0.0.1:1/diana")
    assert main(["backup", str(tmp_path / "copy.db")]) == 2
    assert "pg_dump" in capsys.readouterr().err
