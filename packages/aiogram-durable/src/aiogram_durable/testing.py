"""Throwaway PostgreSQL and Redis servers on loopback, for tests and the benchmark.

They use the Debian ``postgresql`` and ``redis-server`` binaries that ``scripts/test``
installs. A missing binary is an error, never a skip: CI must not pass on less.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

_START_TIMEOUT_S = 60.0


class ServerError(RuntimeError):
    """A test server could not be started."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise ServerError(
            f"PostgreSQL binary '{name}' not found: run scripts/test, which installs "
            "the Debian 'postgresql' package"
        )
    return path


def _as_postgres_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"{what} exited at start: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)  # polling a port that is not up yet, not synchronising a test
    raise ServerError(f"{what} did not listen on port {port} within {_START_TIMEOUT_S}s")


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, trusting local connections.

    With ``password``, TCP connections must give it (SCRAM), as in production; the
    URLs then carry it.
    """

    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="durable-pg-")))
    password: str | None = None
    _running: bool = False

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    @property
    def _userinfo(self) -> str:
        if self.password is None:
            return "postgres"
        return f"postgres:{quote(self.password, safe='')}"

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        """A SQLAlchemy URL for ``database`` on this server."""
        return f"{driver}://{self._userinfo}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """A libpq/asyncpg DSN for ``database``."""
        return f"postgresql://{self._userinfo}@127.0.0.1:{self.port}/{database}"

    def _auth_options(self) -> list[str]:
        if self.password is None:
            return ["-A", "trust"]
        pwfile = self.workdir / "pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        # The Unix socket stays trusted: pg_ctl and the superuser's own tools use it.
        return ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]

    def start(self) -> PostgresServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        if not self.datadir.exists():
            subprocess.run(
                _as_postgres_user(
                    [
                        _pg_bin("initdb"),
                        "-D",
                        str(self.datadir),
                        "-U",
                        "postgres",
                        *self._auth_options(),
                        "-E",
                        "UTF8",
                        "--no-sync",
                    ]
                ),
                check=True,
                capture_output=True,
            )
            (self.workdir / "pwfile").unlink(missing_ok=True)
        log = self.workdir / "server.log"
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self.workdir} -c max_connections=300 "
            # fsync off: these clusters are thrown away; durability is not under test here.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        # pg_ctl, not a child process: stop() must stop the server itself, and it runs
        # under runuser when we are root.
        result = subprocess.run(
            _as_postgres_user(
                [
                    _pg_bin("pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-l",
                    str(log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(int(_START_TIMEOUT_S)),
                    "start",
                ]
            ),
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise ServerError(
                f"PostgreSQL did not start: {result.stderr.decode(errors='replace')}\n"
                f"{log.read_text(errors='replace')[-2000:] if log.exists() else ''}"
            )
        self._running = True
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            probe = subprocess.run(
                [_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if probe.returncode == 0:
                return
            time.sleep(0.05)  # polling a server that is starting
        raise ServerError("PostgreSQL did not become ready")

    def create_database(self, name: str) -> str:
        """Create database ``name``; returns its SQLAlchemy URL."""
        subprocess.run(
            [
                _pg_bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                f'CREATE DATABASE "{name}"',
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PGPASSWORD": self.password} if self.password else None,
        )
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown: clients are cut off, data is kept)."""
        if not self._running:
            return
        subprocess.run(
            _as_postgres_user(
                [_pg_bin("pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "-t", "60", "stop"]
            ),
            capture_output=True,
            check=False,
        )
        self._running = False

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass
class RedisServer:
    """A redis-server without persistence, on a loopback port."""

    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="durable-redis-")))
    # Append-only file, fsync'd on every write: data survives a stop/start, as a
    # production Redis holding sessions must be configured.
    persistent: bool = False
    # With a password (``requirepass``), clients must AUTH; the URLs then carry it.
    password: str | None = None
    _proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        auth = f":{quote(self.password, safe='')}@" if self.password is not None else ""
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerError(
                "redis-server not found: run scripts/test, which installs the Debian "
                "'redis-server' package"
            )
        log = self.workdir / "server.log"
        with log.open("ab") as out:
            self._proc = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "yes" if self.persistent else "no",
                    "--appendfsync",
                    "always",
                    "--dir",
                    str(self.workdir),
                    "--databases",
                    "64",
                    *(["--requirepass", self.password] if self.password is not None else []),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(self.port, self._proc, "Redis", log)
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
