"""A round-robin reverse proxy: one webhook address in front of several bot processes."""

from __future__ import annotations

import itertools

import aiohttp
from aiohttp import web

from aiogram_durable.testing import free_port


class RoundRobinProxy:
    """Forwards each POST to the next backend in turn, as a load balancer would."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.port = free_port()
        self.sent: list[str] = []
        self._next = itertools.cycle(range(len(backends)))
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhook", self._forward)
        self._client = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._client is not None
        target = self.backends[next(self._next)]
        self.sent.append(target)
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")
        }
        try:
            async with self._client.post(
                target, data=await request.read(), headers=headers
            ) as resp:
                return web.Response(
                    body=await resp.read(), status=resp.status, content_type=resp.content_type
                )
        except aiohttp.ClientError:
            return web.Response(status=502)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()
