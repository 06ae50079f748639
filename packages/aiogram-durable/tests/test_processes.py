"""Sessions across real OS processes: restart and cross-process isolation."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from aiogram_durable.schema import upgrade as upgrade_async
from aiogram_durable.testing import RedisServer

WORKER = str(Path(__file__).with_name("worker.py"))


async def _run(*args: str, stdin: bytes | None = None) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        WORKER,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 120)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def _backend_url(name: str, request: pytest.FixtureRequest) -> str:
    if name == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        return server.url(63)
    url = str(request.getfixturevalue("sqlite_url" if name == "sqlite" else "pg_url"))
    await upgrade_async(url)
    return url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "redis"])
async def test_session_survives_a_process_restart(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = await _backend_url(backend, request)
    await _run(url, "start", "41")
    out = await _run(url, "continue", "0")
    result = json.loads(out.strip().splitlines()[-1])
    assert result["state"] == "Counting:counting"
    assert result["data"] == {"n": 41, "pid_written": True}
    # The second process finished it: a third finds nothing.
    again = json.loads((await _run(url, "continue", "0")).strip().splitlines()[-1])
    assert again == {"state": None, "data": {}}


@pytest.mark.parametrize("backend", ["postgresql", "redis"])
async def test_two_processes_on_one_admin_lose_no_step(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = await _backend_url(backend, request)
    if backend == "redis":
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(url)
        await client.flushdb()
        await client.aclose()
    per_process = 150
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            WORKER,
            url,
            "increment",
            str(per_process),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line.strip() == b"ready"
    outputs = await asyncio.gather(*(asyncio.wait_for(p.communicate(b"go\n"), 120) for p in procs))
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
    conflicts = [
        json.loads(out.decode().strip().splitlines()[-1])["conflicts"] for out, _ in outputs
    ]
    assert conflicts == [0, 0]
    final = json.loads((await _run(url, "continue", "0")).strip().splitlines()[-1])
    assert final["data"]["n"] == 2 * per_process
