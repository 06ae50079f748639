"""Outage classification: a store that cannot be reached, however deeply wrapped."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from diana_bot.db.outages import is_outage


def _sqlite_cannot_open(tmp_path: Path) -> sqlite3.OperationalError:
    try:
        sqlite3.connect(tmp_path / "missing-dir" / "diana.db")
    except sqlite3.OperationalError as exc:
        return exc
    raise AssertionError("sqlite3 opened a file in a missing directory")


def test_an_unreachable_store_is_an_outage_even_when_wrapped(tmp_path: Path) -> None:
    cause = _sqlite_cannot_open(tmp_path)
    wrapped = RuntimeError("handler failed")
    wrapped.__cause__ = cause
    assert is_outage(cause)
    assert is_outage(wrapped)
    assert is_outage(ConnectionRefusedError())


@pytest.mark.parametrize("exc", [ValueError("bad"), KeyError("k"), RuntimeError("bug")])
def test_a_bug_is_not_an_outage(exc: Exception) -> None:
    assert not is_outage(exc)


def test_a_cyclic_chain_ends() -> None:
    first, second = RuntimeError("a"), RuntimeError("b")
    first.__cause__, second.__cause__ = second, first
    assert not is_outage(first)
