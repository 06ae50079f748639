"""``diana-bot backup PATH``: a consistent copy of the SQLite database, taken while the
bot runs, with SQLite's online backup API. PostgreSQL is backed up with its own tools
(pg_dump; see docs/operating.md).

Exit codes as the other commands: 0 done, 1 nothing found or the copy is bad, 2 usage
or configuration error, 3 the database could not be read.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Annotated

import typer

from aiogram_durable.urls import is_sqlite, sqlite_path
from diana_bot.config import ConfigError, load_settings

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
# How long the backup waits for a lock (a checkpoint or WAL recovery in progress).
BUSY_TIMEOUT_S = 30.0


class BackupError(Exception):
    """The copy was made but is not sound; nothing was left at the target."""


def backup_database(source: Path, target: Path) -> int:
    """Copy the SQLite database ``source`` to the new file ``target``; its size in bytes.

    One backup step copies every page inside one read transaction. In WAL mode (the
    bot's) that is a consistent snapshot that includes the transactions committed to
    the -wal file and not yet checkpointed, and it never blocks the bot's writes. The
    copy is written beside ``target``, switched to a rollback journal (one
    self-contained file, no -wal to carry along), checked with ``PRAGMA
    integrity_check``, then renamed into place; it is readable by its owner only.
    """
    if target.exists():
        raise FileExistsError(target)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)  # left by an interrupted run
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)
        try:
            dst = sqlite3.connect(partial, timeout=BUSY_TIMEOUT_S)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
                verdict = [row[0] for row in dst.execute("PRAGMA integrity_check")]
            finally:
                dst.close()
        finally:
            src.close()
        if verdict != ["ok"]:
            raise BackupError("the copy fails PRAGMA integrity_check: " + "; ".join(verdict[:5]))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)
    return target.stat().st_size


def _sync_directory(path: Path) -> None:
    """Make the rename itself durable (the file's content is synced by SQLite)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(
    path: Annotated[
        Path, typer.Argument(help="The file to write; it must not exist yet.", show_default=False)
    ],
) -> None:
    """Copy the SQLite database in DATABASE_URL to PATH, consistently, while the bot runs."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    url = settings.database_url.get_secret_value()
    if not is_sqlite(url):
        typer.echo(
            "backup copies a SQLite database; back up PostgreSQL with "
            "`pg_dump --format=custom` (docs/operating.md)",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)
    source = Path(sqlite_path(url))
    if not source.is_file():
        typer.echo(f"no database at {source} (DATABASE_URL)", err=True)
        raise typer.Exit(EXIT_FAILED)
    if path.exists():
        typer.echo(f"{path} exists: back up to a new file", err=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        size = backup_database(source, path)
    except BackupError as exc:
        typer.echo(f"backup failed: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    except (sqlite3.Error, OSError) as exc:
        typer.echo(f"backup failed: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    typer.echo(f"backed up {source} to {path} ({size} bytes, integrity ok)")
