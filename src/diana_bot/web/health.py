"""Liveness (the process answers) apart from readiness (its stores answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from sqlalchemy import text

from diana_bot.container import Container

log = structlog.get_logger(__name__)

_CHECK_TIMEOUT_S = 3.0


async def live(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def check_ready(container: Container) -> dict[str, str]:
    """``{component: "ok" | "down"}`` for the database and the session store.

    The page says only what is down; why goes to the log (masked like every log
    line), because an exception's text names hosts, users and databases.
    """
    results: dict[str, str] = {}

    async def database() -> None:
        async with container.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    for name, probe in (("database", database), ("sessions", container.backend.store.ping)):
        try:
            await asyncio.wait_for(probe(), _CHECK_TIMEOUT_S)
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; say which
            results[name] = "down"
            log.warning("health.not_ready", component=name, error=f"{type(exc).__name__}: {exc}")
    return results


def ready_handler(container: Container) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``/health/ready``: 200 when the database and the session store answer, else 503."""

    async def ready(_request: web.Request) -> web.Response:
        results = await check_ready(container)
        down = [name for name, state in results.items() if state != "ok"]
        body = {"status": "unavailable" if down else "ok", "down": down, "checks": results}
        return web.json_response(body, status=503 if down else 200)

    return ready
