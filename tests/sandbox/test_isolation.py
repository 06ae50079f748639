"""The sandbox can never touch a real deployment (issue 10, item 5).

It uses its own SQLite file whatever DATABASE_URL, SESSION_BACKEND and REDIS_URL
say, and other web sites cannot reach it from the browser: exact Host check
(DNS rebinding), JSON-only POSTs from its own origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from sqlalchemy import text

from aiogram_durable.testing import PostgresServer, RedisServer
from diana_bot.db.engine import create_engine
from diana_devtools.sandbox import ADMIN_ID, Sandbox, database_notice, run_sandbox

JsonDict = dict[str, Any]
WAIT_S = 60.0
REDIS_DB = 57  # no other test uses it
SEND = {"user_id": ADMIN_ID, "text": "/admin"}
SEND_TEXT = '{"user_id": 1, "text": "/admin"}'


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    box = Sandbox(port=0, db_path=tmp_path / "sandbox.db", settings_overrides={"locale": "es"})
    await box.start()
    yield box
    await box.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def tables(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(name) for (name,) in found}


async def pg_tables(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            query = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            return int((await conn.execute(text(query))).scalar_one())
    finally:
        await engine.dispose()


async def bot_answers_admin(http: aiohttp.ClientSession, url: str) -> None:
    """Write /admin on the page and long-poll until the bot has answered."""
    async with http.post(f"{url}api/send", json=SEND) as response:
        assert response.status == 200, await response.text()
    seq = -1
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while loop.time() < deadline:
        query = {"user_id": str(ADMIN_ID), "after": str(seq), "timeout": "10"}
        async with http.get(f"{url}api/chat", params=query) as response:
            snapshot = (await response.json())["result"]
        seq = snapshot["seq"]
        if any(m["from_bot"] for m in snapshot["messages"]):
            return
    pytest.fail("the bot never answered /admin")


def nothing_sent(box: Sandbox) -> bool:
    return not box.world.messages(ADMIN_ID, include_user=True) and not box.world.queue


# ---------------------------------------------------------------------- the database


@pytest.mark.parametrize("where", ["environment", "dotenv"])
async def test_the_configured_database_and_redis_are_ignored(
    where: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_server: PostgresServer,
    redis_server: RedisServer,
    http: aiohttp.ClientSession,
) -> None:
    production = tmp_path / "production"
    production.mkdir()
    monkeypatch.chdir(production)
    production_pg = pg_server.create_database(f"sandbox_prod_{where}")
    production_redis = redis_server.url(REDIS_DB)
    redis = aioredis.Redis.from_url(production_redis)
    await redis.flushdb()
    configured = {
        # The environment points at PostgreSQL, .env at a SQLite file in the folder.
        "DATABASE_URL": production_pg
        if where == "environment"
        else "sqlite+aiosqlite:///./production.db",
        "SESSION_BACKEND": "redis",
        "REDIS_URL": production_redis,
        "LOCALE": "es",
    }
    for name, value in configured.items():
        if where == "environment":
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    if where == "dotenv":
        lines = [f"{name}={value}" for name, value in configured.items()]
        (production / ".env").write_text("\n".join(lines) + "\n")

    printed: list[str] = []
    ready = asyncio.Event()

    def show(line: str) -> None:
        printed.append(line)
        if len(printed) == 2:
            ready.set()

    task = asyncio.create_task(run_sandbox(port=0, open_message=show))
    waiting = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait(
        {task, waiting}, timeout=WAIT_S, return_when=asyncio.FIRST_COMPLETED
    )
    waiting.cancel()
    assert waiting in done, task.exception() if task.done() else f"printed only {printed}"
    notice, opened = printed
    assert notice.startswith("sandbox: using its own SQLite database at ")
    assert "DATABASE_URL/SESSION_BACKEND/REDIS_URL are ignored" in notice
    own = Path(notice.split(" at ", 1)[1].split("; ", 1)[0])
    assert notice == database_notice(own)
    assert own.name == "sandbox.db" and production not in own.parents
    url = opened.split("open ", 1)[1].split(" ", 1)[0]
    await bot_answers_admin(http, url)  # a session was opened, somewhere

    assert {"alembic_version", "durable_sessions", "tariffs"} <= tables(own)
    assert await redis.dbsize() == 0
    await redis.aclose()
    assert await pg_tables(production_pg) == 0
    assert sorted(p.name for p in production.iterdir()) == (
        [] if where == "environment" else [".env"]
    )
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, WAIT_S)
    assert not own.parent.exists()  # the default temporary directory goes on exit


async def test_the_cli_uses_the_db_file_and_says_so_first(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "DATABASE_URL=sqlite+aiosqlite:///./production.db\n"
        "SESSION_BACKEND=redis\n"
        "REDIS_URL=redis://127.0.0.1:9/0\n"  # nothing listens: using it would fail
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'from-env.db'}"}
    stderr = (tmp_path / "stderr.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "diana_devtools.sandbox",
        "--port",
        "0",
        "--db",
        "chosen.db",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), WAIT_S)).decode().rstrip()
        chosen = tmp_path / "chosen.db"
        assert first == database_notice(chosen), (tmp_path / "stderr.log").read_text()
        second = (await asyncio.wait_for(proc.stdout.readline(), WAIT_S)).decode()
        url = second.split("open ", 1)[1].split(" ", 1)[0]
        async with aiohttp.ClientSession() as http:
            await bot_answers_admin(http, url)
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), WAIT_S) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        stderr.close()
    assert sorted(os.listdir(tmp_path)) == [".env", "chosen.db", "stderr.log"]
    assert {"alembic_version", "durable_sessions"} <= tables(chosen)


# ---------------------------------------------------------------------- the page


def port_of(box: Sandbox) -> int:
    return int(box.url.rstrip("/").rsplit(":", 1)[1])


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1.nip.io:{port}",  # DNS rebinding: resolves to 127.0.0.1, another site
        "127.0.0.2:{port}",
        "localhost.:{port}",
        "127.0.0.1:{other}",
        "127.0.0.1",
        "evil.example",
    ],
)
async def test_only_its_own_loopback_address_is_answered(
    sandbox: Sandbox, http: aiohttp.ClientSession, host: str
) -> None:
    port = port_of(sandbox)
    headers = {"Host": host.format(port=port, other=port + 1)}
    for path in ("", "static/app.js", "api/chat?user_id=1"):
        async with http.get(sandbox.url + path, headers=headers) as response:
            assert response.status == 403, path
            assert "unexpected Host header" in (await response.json())["error"]
    # What a rebinding page would send: its own name as Host and as Origin.
    origin = {"Origin": f"http://{headers['Host']}"}
    async with http.post(f"{sandbox.url}api/send", json=SEND, headers=headers | origin) as r:
        assert r.status == 403
    assert nothing_sent(sandbox)


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}"])
async def test_the_loopback_names_are_answered(
    sandbox: Sandbox, http: aiohttp.ClientSession, host: str
) -> None:
    headers = {"Host": host.format(port=port_of(sandbox))}
    async with http.get(sandbox.url, headers=headers) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        # A form a foreign page submits: text/plain, which needs no CORS preflight.
        ({"Origin": "http://evil.example", "Content-Type": "text/plain"}, SEND_TEXT, 403),
        ({"Origin": "null", "Content-Type": "application/json"}, SEND_TEXT, 403),
        ({"Origin": "http://127.0.0.1.nip.io", "Content-Type": "application/json"}, SEND_TEXT, 403),
        (
            {"Origin": "https://127.0.0.1:{port}", "Content-Type": "application/json"},
            SEND_TEXT,
            403,
        ),
        ({"Content-Type": "text/plain"}, SEND_TEXT, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "user_id=1&text=%2Fadmin", 415),
        ({"Origin": "http://127.0.0.1:{port}", "Content-Type": "text/plain"}, SEND_TEXT, 415),
        ({"Content-Type": "application/json"}, "[1]", 400),
    ],
)
async def test_other_sites_cannot_drive_the_sandbox(
    sandbox: Sandbox,
    http: aiohttp.ClientSession,
    headers: dict[str, str],
    body: str,
    status: int,
) -> None:
    sent = {k: v.format(port=port_of(sandbox)) for k, v in headers.items()}
    for path in ("api/send", "api/restart"):
        async with http.post(sandbox.url + path, data=body, headers=sent) as response:
            assert response.status == status, path
            assert (await response.json())["ok"] is False
    assert nothing_sent(sandbox) and sandbox.restarts == 0


@pytest.mark.parametrize("origin", [None, "http://127.0.0.1:{port}", "http://localhost:{port}"])
async def test_json_from_its_own_origin_or_without_one_is_taken(
    sandbox: Sandbox, http: aiohttp.ClientSession, origin: str | None
) -> None:
    headers = {} if origin is None else {"Origin": origin.format(port=port_of(sandbox))}
    async with http.post(f"{sandbox.url}api/send", json=SEND, headers=headers) as response:
        assert response.status == 200, await response.text()
    assert sandbox.world.messages(ADMIN_ID, include_user=True)[0].text == "/admin"
