"""The real ``diana-bot run`` process, started, killed and restarted by tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from diana_devtools.localapi import BotApiUser

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:" + "E" * 35
BOT_ID = 123456
ADMIN = 1001
OTHER_ADMIN = 1002
STRANGER = 2002


@dataclass
class BotProcess:
    """One bot OS process (python -m diana_bot run) against the local Bot API."""

    env: dict[str, str]
    log_path: Path
    args: tuple[str, ...] = ("run",)
    # What the interpreter runs, and where: Diana by default, or any bot script.
    program: tuple[str, ...] = ("-m", "diana_bot")
    cwd: Path = ROOT
    # The Bot API call that says the process is ready: polling, or its webhook registered.
    ready_method: str = "getUpdates"
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0
    _log: object | None = field(default=None, repr=False)

    async def start(self, user: BotApiUser | None = None) -> None:
        """Start the process; with ``user``, wait until it polls for updates."""
        mark = await user.mark() if user is not None else 0
        log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.program,
            *self.args,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        log.close()
        self.starts += 1
        if user is not None:
            await self.wait_polling(user, after=mark)

    async def wait_polling(self, user: BotApiUser, after: int) -> None:
        """Until the process asks for updates (it is ready to handle them)."""
        assert self.proc is not None
        polling = asyncio.create_task(user.wait_request(self.ready_method, after=after, timeout=90))
        exited = asyncio.create_task(self.proc.wait())
        done, _ = await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
        for task in (polling, exited):
            if task not in done:
                task.cancel()
        if exited in done:
            raise AssertionError(f"bot exited with {exited.result()}:\n{self.tail()}")
        try:
            polling.result()
        except TimeoutError:
            raise AssertionError(f"bot did not start polling:\n{self.tail()}") from None

    async def kill9(self) -> None:
        """SIGKILL: the process dies wherever it is."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()
        self.proc = None

    async def terminate(self, timeout: float = 60) -> int:
        """SIGTERM and wait for a clean exit; returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        self.proc = None
        return code

    async def terminate_wait(self, timeout: float = 60) -> int:
        """Wait for a process already told to stop; returns its exit code."""
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        self.proc = None
        return code

    async def restart(self, user: BotApiUser) -> None:
        await self.kill9()
        await self.start(user)

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def bot_env(base_url: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a bot process in tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    env.update(
        {
            "BOT_TOKEN": TOKEN,
            "ADMIN_IDS": f"{ADMIN},{OTHER_ADMIN}",
            "DATABASE_URL": database_url,
            "TELEGRAM_API_URL": base_url,
            "SESSION_BACKEND": "sql",
            "SESSION_TTL_SECONDS": "600",
            "SESSION_SWEEP_INTERVAL_SECONDS": "3600",
            "METRICS_PORT": "0",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "LOCALE": "es",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def merged(env: Mapping[str, str], **extra: str) -> dict[str, str]:
    return {**env, **extra}
