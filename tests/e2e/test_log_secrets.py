"""Secrets never reach a log: a real bot process with a known token and passwords.

One process per log format and session backend goes through the paths that used to
print them: a handler raising, a callback answer failing ("query is too old" on
✅ Confirmar), and the session store (PostgreSQL or Redis) stopped mid-flow while the
sweeper runs. Then nothing the process wrote to stdout/stderr may hold the token, its
secret part or a password, and every log entry (a line and its traceback) stays small.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from sqlalchemy import text

from aiogram_durable.testing import PostgresServer, RedisServer, free_port
from diana_bot.db.engine import create_engine
from diana_devtools.localapi import BotApiUser, LocalBotApi
from diana_devtools.localapi.errors import QUERY_TOO_OLD
from tests.support.botproc import ADMIN, OTHER_ADMIN, BotProcess, bot_env
from tests.support.chat import AdminChat
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

TOKEN = "7415926:AAHk9Xq2Lm4Np7Rs1Tv5Wx8Yz3Bc6Df0Gh"
# Characters that a URL must percent-encode: both spellings must stay out of the log.
PG_PASSWORD = "Pgw@7!kQz93rT"
REDIS_PASSWORD = "Rds#4kLm82pVx"
WEBHOOK_SECRET = "whk_Secret-4Tq9Lz2Mx7"
VIP_ID = -1007777777777
# One log entry: its line plus its traceback. Frame locals made it megabytes.
MAX_ENTRY = 32 * 1024
_CONSOLE_ENTRY = re.compile(r"(?m)^(?=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")


def _forbidden() -> dict[str, str]:
    secrets = {
        "the bot token": TOKEN,
        "the token's secret part": TOKEN.split(":", 1)[1],
        "the webhook secret": WEBHOOK_SECRET,
    }
    for name, password in (("PostgreSQL", PG_PASSWORD), ("Redis", REDIS_PASSWORD)):
        secrets[f"the {name} password"] = password
        secrets[f"the {name} password, URL-encoded"] = quote(password, safe="")
    return secrets


async def _updates_handled(metrics_port: int) -> float:
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        body = await resp.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("diana_updates_total{")
    )


class _Run:
    """The bot process of one test, with what the test sent it."""

    def __init__(self, proc: BotProcess, user: BotApiUser, metrics_port: int) -> None:
        self.proc = proc
        self.user = user
        self.metrics_port = metrics_port
        self.sent = 0  # updates sent so far: each send or press is one

    def log(self) -> str:
        return self.proc.log_path.read_text(errors="replace")

    async def wait_handled(self) -> None:
        """Until the process has finished every update sent so far."""
        expected = self.sent
        await eventually(
            lambda: self._handled_at_least(expected), f"{expected} updates handled", timeout=60
        )

    async def _handled_at_least(self, expected: int) -> bool:
        return await _updates_handled(self.metrics_port) >= expected

    async def wait_log(self, needle: str, count: int = 1) -> None:
        await eventually(
            lambda: self.log().count(needle) >= count, f"{count}x {needle!r} in the log"
        )


async def _sql(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def _a_handler_raises(run: _Run, chat: AdminChat, db_url: str) -> None:
    # A schema the code does not expect: the tariff list raises inside the handler.
    await _sql(db_url, "ALTER TABLE tariffs RENAME TO tariffs_away")
    menu = await chat.send("/admin")
    vip = await chat.press(menu, "💎 VIP")
    run.sent += 2
    await chat.press_only(vip, "🏷 Gestionar Tarifas")
    run.sent += 1
    await run.wait_handled()
    await run.wait_log("UndefinedTableError")
    await _sql(db_url, "ALTER TABLE tariffs_away RENAME TO tariffs")


async def _the_answer_to_confirm_fails(run: _Run, chat: AdminChat) -> None:
    menu = await chat.send("/admin")
    config = await chat.press(menu, "⚙ Configuración Global")
    await chat.press(config, "➕ Añadir Canales")
    confirm = await chat.forward_channel(VIP_ID, "VIP")
    run.sent += 4
    mark = await run.user.mark()
    await run.user.fail("answerCallbackQuery", description=QUERY_TOO_OLD)
    await chat.press_only(confirm, "✅ Confirmar")
    run.sent += 1
    failed = await run.user.wait_request("answerCallbackQuery", after=mark)
    assert failed.error is not None and "query is too old" in failed.error
    await run.wait_handled()


async def _the_store_stops_mid_flow(run: _Run, stop: Callable[[], None]) -> None:
    # Another admin, so that what the steps above left open does not matter here.
    chat = AdminChat(run.user, OTHER_ADMIN)
    menu = await chat.send("/admin")
    vip = await chat.press(menu, "💎 VIP")
    tariffs = await chat.press(vip, "🏷 Gestionar Tarifas")
    step = await chat.press(tariffs, "➕ Crear Tarifa")
    run.sent += 4
    assert step.buttons, step.text  # a flow is open, waiting for the admin
    failures = run.log().count("sweeper.round_failed")
    stop()
    answer = await chat.send("7")
    run.sent += 1
    assert "no disponible temporalmente" in answer.text
    # Every round of the sweeper fails against the stopped store, and is logged.
    await run.wait_log("sweeper.round_failed", failures + 2)


def _entries(log: str, log_format: str) -> list[str]:
    if log_format == "json":
        return [line for line in log.splitlines() if line.strip()]
    return [entry for entry in _CONSOLE_ENTRY.split(log) if entry.strip()]


def _check_log(log: str, log_format: str) -> None:
    leaked = [name for name, value in _forbidden().items() if value in log]
    assert not leaked, f"the log holds {', '.join(leaked)}"
    entries = _entries(log, log_format)
    biggest = max(entries, key=len)
    assert len(biggest) < MAX_ENTRY, f"a log entry of {len(biggest)} chars:\n{biggest[:3000]}"
    # Tracebacks are there, as text, without frame locals.
    assert "Traceback (most recent call last)" in log
    assert "UndefinedTableError" in log
    assert "<traceback object" not in log
    if log_format == "json":
        for line in entries:
            assert isinstance(json.loads(line), dict), line


@pytest.mark.parametrize("sessions", ["sql", "redis"])
@pytest.mark.parametrize("log_format", ["console", "json"])
async def test_no_secret_reaches_the_log(
    api: LocalBotApi, user: BotApiUser, tmp_path: Path, log_format: str, sessions: str
) -> None:
    # Servers of this test's own, with passwords: stopping them disturbs no other test.
    pg = PostgresServer(password=PG_PASSWORD).start()
    redis = RedisServer(password=REDIS_PASSWORD).start() if sessions == "redis" else None
    db_url = pg.create_database("secrets")
    metrics_port = free_port()
    extra = {
        "BOT_TOKEN": TOKEN,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LOG_FORMAT": log_format,
        "METRICS_PORT": str(metrics_port),
        "SESSION_SWEEP_INTERVAL_SECONDS": "0.3",
    }
    if redis is not None:
        extra.update({"SESSION_BACKEND": "redis", "REDIS_URL": redis.url(0)})
    proc = BotProcess(bot_env(api.base_url, db_url, **extra), tmp_path / "bot.log")
    run = _Run(proc, user, metrics_port)
    try:
        await proc.start(user)
        api.add_channel(VIP_ID, "VIP")
        chat = AdminChat(user, ADMIN)
        await _a_handler_raises(run, chat, db_url)
        await _the_answer_to_confirm_fails(run, chat)
        await _the_store_stops_mid_flow(run, redis.stop if redis is not None else pg.stop)
        await proc.terminate()
    finally:
        if proc.proc is not None:
            await proc.kill9()
        pg.cleanup()
        if redis is not None:
            redis.cleanup()
    _check_log(run.log(), log_format)
