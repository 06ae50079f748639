"""The SQLite database, with its WAL files, is readable by its owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from aiogram_durable import SessionKey
from diana_bot.composition import build_container
from diana_bot.config import load_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_database_and_its_wal_files_are_0600(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask: it would make a plain new file 0644
    try:
        db = tmp_path / "diana.db"
        settings = load_settings(database_url=f"sqlite+aiosqlite:///{db}")
        container = await build_container(settings)
        try:
            key = SessionKey(1, 2, 2)
            await container.sessions.start(key, "tariff_creation", step="price")
            await container.tariffs.list_active()
            files = sorted(os.listdir(tmp_path))
            assert {"diana.db", "diana.db-wal", "diana.db-shm"} <= set(files)
            assert {name: _mode(tmp_path / name) for name in files} == dict.fromkeys(files, 0o600)
        finally:
            await container.close()
    finally:
        os.umask(previous)


async def test_an_existing_file_keeps_the_mode_its_operator_chose(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    db.touch(mode=0o640)
    db.chmod(0o640)
    container = await build_container(load_settings(database_url=f"sqlite+aiosqlite:///{db}"))
    await container.close()
    assert _mode(db) == 0o640
