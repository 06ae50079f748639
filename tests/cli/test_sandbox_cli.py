"""``diana-sandbox`` (diana-devtools), in-process: its options and exit codes.

Serving the page and the bot through the command is tested in tests/sandbox.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from diana_bot.cli import main as bot_main
from diana_devtools.sandbox.cli import main


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the repository
    for name in ("DATABASE_URL", "SESSION_BACKEND", "REDIS_URL", "SESSION_TTL_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_help_names_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage: diana-sandbox" in out
    for option in ("--host", "--port", "--db"):
        assert option in out


def test_the_bot_cli_has_no_sandbox_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert bot_main(["sandbox", "--help"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_a_configuration_error_exits_2(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SESSION_TTL_SECONDS", "0")
    assert main(["--port", "0", "--db", "box.db"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("configuration error:") and "SESSION_TTL_SECONDS" in err.upper()


def test_a_taken_port_exits_1_and_says_where(
    clean_env: Path, taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--host", "127.0.0.1", "--port", str(taken_port), "--db", "box.db"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"cannot serve the sandbox on 127.0.0.1:{taken_port}:")
