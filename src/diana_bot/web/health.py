"""Liveness (the process answers) apart from readiness (its stores answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import text

from diana_bot.bootstrap import Container

_CHECK_TIMEOUT_S = 3.0


async def live(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def check_ready(container: Container) -> dict[str, str]:
    """``{component: "ok" | error}`` for the database and the session store."""
    results: dict[str, str] = {}

    async def database() -> None:
        async with container.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    for name, probe in (("database", database), ("sessions", container.backend.store.ping)):
        try:
            await asyncio.wait_for(probe(), _CHECK_TIMEOUT_S)
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; say which
            results[name] = f"{type(exc).__name__}: {exc}"[:200]
    return results


def ready_handler(container: Container) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``/health/ready``: 200 when the database and the session store answer, else 503."""

    async def ready(_request: web.Request) -> web.Response:
        results = await check_ready(container)
        ok = all(v == "ok" for v in results.values())
        return web.json_response(
            {"status": "ok" if ok else "unavailable", "checks": results}, status=200 if ok else 503
        )

    return ready
