"""The systemd unit, checked by systemd's own systemd-analyze (Debian's systemd package;
scripts/system-deps installs it). Nothing here starts the unit: no systemd runs as
PID 1 on the machines the tests run on."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from diana_bot.cli import main as cli
from tests.deploy.deployfiles import SYSUSERS, UNIT, Unit

EXEC_START = "/opt/diana-bot/bin/diana-bot"


def systemd_analyze(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("systemd-analyze")
    assert exe is not None, "systemd-analyze is missing: run scripts/system-deps"
    return subprocess.run(
        [exe, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _testable_copy(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at an executable in tmp_path.

    `systemd-analyze verify` checks that ExecStart's program exists, and the unit's
    (the virtualenv of docs/operating.md) does not on a test machine. Everything else
    is the unit as shipped.
    """
    program = tmp_path / "diana-bot"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    text = UNIT.read_text(encoding="utf-8")
    assert f"ExecStart={EXEC_START} " in text
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace(f"ExecStart={EXEC_START} ", f"ExecStart={program} "))
    return copy


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    copy = _testable_copy(tmp_path)
    result = systemd_analyze("verify", "--man=no", copy.name, cwd=tmp_path)
    # verify exits 0 on a bad value too (it only warns): any output is a finding.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_verify_finds_what_is_wrong_in_a_unit(tmp_path: Path) -> None:
    """The check above can fail: the shipped unit's only finding is the program that
    is not installed here, and a bad value is reported."""
    shipped = systemd_analyze("verify", "--man=no", UNIT, cwd=tmp_path)
    assert f"Command {EXEC_START} is not executable" in shipped.stderr
    assert len(shipped.stderr.strip().splitlines()) == 1, shipped.stderr
    copy = _testable_copy(tmp_path)
    copy.write_text(copy.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    result = systemd_analyze("verify", "--man=no", copy.name, cwd=tmp_path)
    assert "Failed to parse service restart specifier" in result.stderr


def test_the_unit_is_hardened(tmp_path: Path) -> None:
    """systemd's own exposure score, offline: at most 2.0 of 10 ("OK")."""
    copy = _testable_copy(tmp_path)
    result = systemd_analyze("security", "--offline=yes", "--threshold=20", copy.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "Overall exposure level" in result.stdout


def test_the_unit_polls_restarts_on_failure_and_runs_as_its_own_user() -> None:
    unit = Unit.read(UNIT)
    assert unit.one("Service", "Restart") == "on-failure"
    # A configuration error (exit code 2) is not retried.
    assert unit.one("Service", "RestartPreventExitStatus") == "2"
    assert unit.one("Service", "EnvironmentFile").startswith("/etc/")
    user = unit.one("Service", "User")
    assert user not in ("", "root", "0")
    # The sysusers.d file creates that user.
    entries = [
        line.split()
        for line in SYSUSERS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert [(e[0], e[1]) for e in entries] == [("u", user)]
    program, *args = unit.one("Service", "ExecStart").split()
    assert program == EXEC_START
    assert args == ["run"]  # polling: no --webhook
    assert cli([*args, "--help"]) == 0  # a command the CLI has


def test_the_unit_can_write_only_where_the_sqlite_file_lives() -> None:
    unit = Unit.read(UNIT)
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "PrivateDevices": "yes",
    }.items():
        assert unit.one("Service", key) == value, key
    url = unit.environment()["DATABASE_URL"]
    database = Path(url.removeprefix("sqlite+aiosqlite:///"))
    writable = [Path(p) for p in unit.one("Service", "ReadWritePaths").split()]
    assert database.parent in writable
    state = Path("/var/lib") / unit.one("Service", "StateDirectory")
    assert database.parent == state
    assert unit.one("Service", "WorkingDirectory") == str(state)
