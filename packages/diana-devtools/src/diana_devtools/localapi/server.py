"""The aiohttp application that speaks the Telegram Bot API, and a runner for it.

The bot calls `{base_url}/bot{token}/{method}` with GET query parameters or a
form-urlencoded, multipart or JSON POST body, exactly as against Telegram. The
user side of the world is driven through `/_test/...` (see `control.py`).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from aiogram_durable import Clock
from diana_devtools.localapi.actions import UserActions
from diana_devtools.localapi.control import (
    add_control_routes,
    bound_port,
    foreign_origin,
    local_authorities,
)
from diana_devtools.localapi.errors import ApiError
from diana_devtools.localapi.methods import BotApiMethods, normalize_params
from diana_devtools.localapi.records import BotIdentity, ChatInfo, RecordedRequest, UserInfo
from diana_devtools.localapi.state import World
from diana_devtools.localapi.webhook import WebhookDelivery

JsonDict = dict[str, Any]
_UNAUTHORIZED = ApiError(401, "Unauthorized")
_WRONG_HOST = ApiError(403, "Forbidden: unexpected Host header")
_CROSS_SITE = ApiError(403, "Forbidden: requests from other web sites are refused")


def _from_another_site(request: web.Request) -> bool:
    """A browser request that another web site made; the bot never sends these headers.

    Here a GET changes state too, and an ``<img>`` GET carries no Origin: browsers
    mark it with ``Sec-Fetch-Site`` instead.
    """
    if request.headers.get("Sec-Fetch-Site", "none") not in ("none", "same-origin"):
        return True
    port = bound_port(request)
    return foreign_origin(request, local_authorities(port) if port is not None else ())


async def _read_params(request: web.Request) -> JsonDict:
    params: JsonDict = dict(request.query)
    if request.method != "POST" or not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.text())
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON object") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: can't parse JSON object")
        params.update(body)
        return params
    form = await request.post()
    for key, value in form.items():
        # Uploaded files are not stored; the call is recorded with the file's name.
        if isinstance(value, web.FileField):
            params[key] = f"<file {value.filename}>"
        elif isinstance(value, str):
            params[key] = value
        else:
            params[key] = bytes(value).decode(errors="replace")
    return params


class LocalBotApi:
    """A local stand-in for api.telegram.org, backed by an in-memory `World`.

    Use `await api.start()` (or `async with LocalBotApi() as api`) and point the bot
    at `api.base_url`. `api.world` is the state; the shortcuts below cover the usual
    test needs; `api.actions` acts as users in-process (the HTTP client is `BotApiUser`).

    Args:
        world: the world to serve (a fresh one by default).
        clock: time source for a fresh world's message dates.
        tokens: if given, only these bot tokens are accepted (others get 401).
        webhook_retry_delays: seconds before each retry of a failed webhook delivery.
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        clock: Clock | None = None,
        tokens: Sequence[str] | None = None,
        webhook_retry_delays: Sequence[float] = (0.05, 0.2, 0.5),
    ) -> None:
        self.world = world or World(clock=clock)
        self.methods = BotApiMethods(self.world)
        self.actions = UserActions(self.world)
        self._tokens = frozenset(tokens) if tokens is not None else None
        self._webhook = WebhookDelivery(
            self.world, self._execute, retry_delays=webhook_retry_delays
        )
        self.app = web.Application(middlewares=[self._host_guard])
        self._authorities: frozenset[str] = frozenset()
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_call)
        add_control_routes(self.app, self.world)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._holds: dict[str, asyncio.Event] = {}

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (port 0 picks a free one); see `base_url`."""
        if self._runner is not None:
            raise RuntimeError("already started")
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.bind((host, port))
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        bound_port = sock.getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        self._base_url = f"http://{shown_host}:{bound_port}"
        # On a wildcard address any name reaches it: the loopback names only, then.
        extra = () if host in ("0.0.0.0", "::", "") else (shown_host,)  # noqa: S104
        self._authorities = local_authorities(bound_port, *extra)
        self.world.closed = False
        self._webhook.start()

    @web.middleware
    async def _host_guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        # Exact Host: a DNS name rebound to 127.0.0.1 would make another site same-origin.
        if request.headers.get("Host", "").lower() not in self._authorities:
            return web.json_response(_WRONG_HOST.to_json(), status=403)
        return await handler(request)

    async def stop(self) -> None:
        """Wake pending long polls, stop webhook delivery and close the server."""
        self.world.closed = True
        self.world.notify()
        await self._webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """E.g. "http://127.0.0.1:PORT": the bot's TELEGRAM_API_URL."""
        if self._base_url is None:
            raise RuntimeError("the server is not started")
        return self._base_url

    # ------------------------------------------------------------------ shortcuts

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every Bot API call, in arrival order."""
        return self.world.requests

    def calls(self, method: str) -> list[RecordedRequest]:
        """The recorded calls of one method (case-insensitive)."""
        return [r for r in self.world.requests if r.method.lower() == method.lower()]

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        raw_body: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail with this error (``raw_body``:
        answer that text instead of JSON, as a proxy's error page would)."""
        self.world.fail(
            method,
            times=times,
            code=code,
            description=description,
            retry_after=retry_after,
            raw_body=raw_body,
        )

    def hold(self, method: str) -> asyncio.Event:
        """Hold every call of ``method`` until the returned event is set (tests use it
        to catch the bot in the middle of an update)."""
        gate = asyncio.Event()
        self._holds[method.lower()] = gate
        return gate

    def add_channel(
        self,
        channel_id: int,
        title: str,
        username: str | None = None,
        bot_status: str = "administrator",
        *,
        bot_rights: dict[str, bool] | None = None,
    ) -> ChatInfo:
        """Make a channel known, with the bot's membership in it."""
        return self.world.add_channel(
            channel_id, title, username, bot_status, bot_rights=bot_rights
        )

    def add_user(self, user_id: int, first_name: str | None = None) -> UserInfo:
        """Make a user known (they have not written to the bot yet)."""
        return self.world.add_user(user_id, first_name=first_name)

    # ------------------------------------------------------------------ Bot API

    async def _execute(
        self, bot: BotIdentity, method: str, raw: JsonDict
    ) -> tuple[int, JsonDict | str]:
        world = self.world
        params = normalize_params(raw)
        record = world.record_request(self.methods.canonical(method), params, bot.id)
        gate = self._holds.get(record.method.lower())
        if gate is not None:
            await gate.wait()
        try:
            fault = world.take_fault(record.method)
            if fault is not None:
                raise fault
            result = await self.methods.call(bot, method, params)
        except ApiError as error:
            world.finish_request(record, error.code, error.description)
            return error.code, error.to_json() if error.raw_body is None else error.raw_body
        world.finish_request(record, 200, None)
        return 200, {"ok": True, "result": result}

    async def _handle_bot_call(self, request: web.Request) -> web.Response:
        if _from_another_site(request):
            return web.json_response(_CROSS_SITE.to_json(), status=403)
        token = request.match_info["token"]
        bot = BotIdentity.from_token(token)
        if bot is None or (self._tokens is not None and token not in self._tokens):
            return web.json_response(_UNAUTHORIZED.to_json(), status=401)
        try:
            raw = await _read_params(request)
        except ApiError as error:
            return web.json_response(error.to_json(), status=error.code)
        status, body = await self._execute(bot, request.match_info["method"], raw)
        if isinstance(body, str):
            return web.Response(text=body, status=status, content_type="text/html")
        return web.json_response(body, status=status)


__all__ = ["LocalBotApi"]
