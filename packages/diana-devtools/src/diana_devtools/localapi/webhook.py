"""Webhook delivery: POST queued updates to the URL given to setWebhook.

Updates go out one at a time, in order. A non-2xx answer or a connection error is
retried after each of a few bounded delays, then the update is dropped, and
getWebhookInfo reports the last error, as Telegram does. A 2xx answer may carry
a Bot API call (aiogram's webhook handler can reply with one); it is executed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from diana_devtools.localapi.records import BotIdentity, PendingUpdate, WebhookConfig
from diana_devtools.localapi.state import World

JsonDict = dict[str, Any]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
_log = logging.getLogger(__name__)
Executor = Callable[[BotIdentity, str, JsonDict], Awaitable[object]]


class WebhookDelivery:
    """Background task that feeds the webhook from the world's update queue.

    Args:
        world: the world whose queue is delivered.
        execute: runs a Bot API call found in a webhook answer.
        retry_delays: seconds to wait before each retry of a failed delivery.
        timeout: seconds to wait for the webhook's answer.
    """

    def __init__(
        self,
        world: World,
        execute: Executor,
        *,
        retry_delays: Sequence[float] = (0.05, 0.2, 0.5),
        timeout: float = 10.0,
    ) -> None:
        self._world = world
        self._execute = execute
        self._retry_delays = tuple(retry_delays)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        """Start delivering in the background."""
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        self._task = asyncio.create_task(self._run(), name="localapi-webhook")

    async def stop(self) -> None:
        """Stop delivering and close the HTTP session."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        world = self._world
        while not world.closed:
            item = await world.wait_until(world.webhook_next, timeout=3600.0)
            if item is None:
                continue
            try:
                await self._deliver(*item)
            except Exception:
                # A broken reply must not stop delivery of the updates after it.
                _log.exception("webhook delivery of update %s failed", item[1].update_id)
                world.webhook_done(item[1], delivered=False, error="stand-in error")

    async def _deliver(self, webhook: WebhookConfig, entry: PendingUpdate) -> None:
        world = self._world
        error: str | None = None
        for delay in (0.0, *self._retry_delays):
            if delay:
                # Backoff between attempts of a failed delivery, not test synchronisation.
                await asyncio.sleep(delay)
            if world.webhook is not webhook or entry not in world.queue:
                return  # the webhook changed meanwhile: the loop looks again
            error = await self._post(webhook, entry)
            if error is None:
                world.webhook_done(entry, delivered=True, error=None)
                return
            world.webhook_error(entry, error)
        world.webhook_done(entry, delivered=False, error=error)

    async def _post(self, webhook: WebhookConfig, entry: PendingUpdate) -> str | None:
        assert self._session is not None
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        try:
            async with self._session.post(webhook.url, json=entry.update, headers=headers) as resp:
                if not 200 <= resp.status < 300:
                    return f"Wrong response from the webhook: {resp.status} {resp.reason}"
                reply = await _read_reply(resp)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {type(exc).__name__}"
        if reply is not None:
            method, params = reply
            await self._execute(BotIdentity(webhook.bot_id, webhook.token), method, params)
        return None


async def _read_reply(resp: aiohttp.ClientResponse) -> tuple[str, JsonDict] | None:
    """A Bot API call in the webhook's answer: JSON or multipart with a "method" field."""
    params: JsonDict = {}
    if resp.content_type == "application/json":
        try:
            body = json.loads(await resp.text() or "null")
        except ValueError:
            return None
        if isinstance(body, dict):
            params = body
    elif resp.content_type == "multipart/form-data":
        reader = aiohttp.MultipartReader.from_response(resp)
        while (part := await reader.next()) is not None:
            if isinstance(part, aiohttp.BodyPartReader) and part.name:
                params[part.name] = await part.text()
    method = params.pop("method", None)
    return (method, params) if isinstance(method, str) and method else None


__all__ = ["SECRET_HEADER", "WebhookDelivery"]
