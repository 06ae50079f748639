"""Files only their owner may read: a SQLite session file holds users' conversations."""

from __future__ import annotations

import os

PRIVATE_MODE = 0o600


def create_private_file(path: str) -> None:
    """Create ``path`` with mode 0600 unless it exists (an existing file keeps its mode).

    SQLite then gives its ``-wal`` and ``-shm`` files the database file's mode.
    """
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_MODE)
    os.close(fd)


__all__ = ["PRIVATE_MODE", "create_private_file"]
