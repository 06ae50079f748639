"""One aiohttp app: the webhook (in webhook mode), health and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, Final

import structlog
from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from diana_bot.container import Container
from diana_bot.metrics import Metrics
from diana_bot.web.health import live, ready_handler

log = structlog.get_logger(__name__)

# Telegram's updates are a few KiB; a bigger body is not one (413).
MAX_BODY_BYTES: Final = 1024 * 1024
TELEGRAM_AUTH_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"


def build_web_app(
    container: Container,
    metrics: Metrics,
    *,
    dispatcher: Dispatcher | None = None,
    bot: Bot | None = None,
    webhook_path: str = "/webhook",
    webhook_secret: str | None = None,
) -> web.Application:
    """Health and metrics routes; the webhook route too when a dispatcher is given."""
    app = web.Application(
        client_max_size=MAX_BODY_BYTES, middlewares=[_webhook_guard(webhook_path)]
    )

    async def metrics_route(_request: web.Request) -> web.Response:
        try:
            await metrics.refresh(container.sessions)
        except Exception as exc:  # a store outage must not hide the other metrics
            log.warning("metrics.refresh_failed", error=str(exc))
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/health/live", live)
    app.router.add_get("/health/ready", ready_handler(container))
    app.router.add_get("/metrics", metrics_route)
    if dispatcher is not None and bot is not None:
        # Answer Telegram only once the update is handled: a crash mid-update means
        # Telegram delivers it again, and the flows' idempotency keys make that safe.
        SimpleRequestHandler(
            dispatcher=dispatcher, bot=bot, secret_token=webhook_secret, handle_in_background=False
        ).register(app, path=webhook_path)
    return app


def _webhook_guard(path: str) -> Any:
    """Refusals aiogram's handler would turn into a 500 and Telegram into redeliveries."""

    @web.middleware
    async def guard(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path != path:
            return await handler(request)
        # compare_digest raises TypeError on non-ASCII text: an unknown secret, 401.
        if not request.headers.get(TELEGRAM_AUTH_HEADER, "").isascii():
            return web.Response(status=401, text="Unauthorized")
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return web.Response(status=413, text="Request body too large")
        try:
            return await handler(request)
        except ValueError as exc:  # not JSON, or not an Update (pydantic's error is one)
            log.warning("webhook.bad_request", error=type(exc).__name__)
            return web.Response(status=400, text="Bad request: not a Telegram update")

    return guard


async def start_site(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve ``app`` on ``host:port``; returns the runner to clean up."""
    runner = web.AppRunner(app, shutdown_timeout=30, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


class RetryingSite:
    """``app`` on ``host:port`` for the side endpoints (metrics, health) of polling.

    A busy port must not stop the bot: during a deploy two processes share a host
    for a while. Then one warning is logged and the bind is retried in the
    background every ``retry_seconds``; ``web.listening`` names the port once bound.
    """

    def __init__(
        self,
        app: web.Application,
        host: str,
        port: int,
        *,
        routes: list[str],
        retry_seconds: float = 5.0,
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._routes = routes
        self._retry = retry_seconds
        self._runner: web.AppRunner | None = None
        self._retrying: asyncio.Task[None] | None = None

    @property
    def bound(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        """Bind now, or warn and keep trying in the background."""
        try:
            await self._bind()
        except OSError as exc:
            log.warning(
                "web.port_busy",
                host=self._host,
                port=self._port,
                error=exc.strerror or type(exc).__name__,
                retry_in_seconds=self._retry,
                hint="the bot handles updates meanwhile; metrics and health wait for the port",
            )
            self._retrying = asyncio.get_running_loop().create_task(self._keep_trying())

    async def _bind(self) -> None:
        runner = web.AppRunner(self._app, shutdown_timeout=30, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("web.listening", host=self._host, port=self._port, routes=self._routes)

    async def _keep_trying(self) -> None:
        while True:
            await asyncio.sleep(self._retry)  # the retry interval, not synchronisation
            try:
                await self._bind()
            except OSError:
                continue
            return

    async def stop(self) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
            with suppress(asyncio.CancelledError):
                await self._retrying
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
