"""The user side of the local Bot API, as an async client over its `/_test` endpoints.

Tests act as Telegram users (write, forward, press buttons) and observe what the
bot did (messages in their current state, callback answers, recorded calls).

Waiting is race-free without sleeps: every action returns the world's event
sequence number, and waits ask the server for the next matching event after it.
Waits that follow a stream (`wait_bot_message`, `wait_event`, `wait_request`)
keep one cursor per filter: each call returns the next matching event after the
previous one, starting from this client's last action. Waits for something with
a unique id (`wait_callback_answer`, `wait_confirmed`) look at the whole history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, Self

import aiohttp

from diana_devtools.localapi.views import (
    BotMessage,
    Button,
    CallbackAnswer,
    RecordedCall,
    Sent,
    UpdatesState,
    WorldEvent,
)

JsonDict = dict[str, Any]
DEFAULT_TIMEOUT = 5.0


class LocalApiError(Exception):
    """A `/_test` endpoint refused the request (400) or found nothing (404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _query(values: dict[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


class BotApiUser:
    """Async client for the user side of a `LocalBotApi` at `base_url`.

    Use as `async with BotApiUser(api.base_url) as user: ...` (or call `close()`).

    Args:
        base_url: the server's base URL.
        timeout: default seconds for waits.
    """

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._action_seq = 0
        self._cursors: dict[tuple[object, ...], int] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def last_seq(self) -> int:
        """Event seq of this client's last action: where stream waits start."""
        return self._action_seq

    # ------------------------------------------------------------------ transport

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _call(
        self,
        method: str,
        name: str,
        *,
        query: dict[str, object] | None = None,
        body: JsonDict | None = None,
        timeout: float = 30.0,
    ) -> Any:
        url = f"{self.base_url}/_test/{name}"
        async with self._http().request(
            method,
            url,
            params=_query(query or {}),
            json=body,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            if resp.content_type != "application/json":
                raise LocalApiError(resp.status, await resp.text())
            payload = await resp.json()
        if resp.status != 200 or not payload.get("ok"):
            raise LocalApiError(resp.status, str(payload.get("error")))
        return payload["result"]

    async def _get(self, name: str, **query: object) -> Any:
        return await self._call("GET", name, query=query)

    async def _post(self, name: str, **body: object) -> Any:
        result = await self._call("POST", name, body=dict(body))
        if isinstance(result, dict) and isinstance(result.get("seq"), int):
            self._acted(result["seq"])
        return result

    def _acted(self, seq: int) -> None:
        self._action_seq = max(self._action_seq, seq)
        self._cursors.clear()

    async def _action(self, name: str, **body: object) -> Sent:
        return Sent.from_json(await self._post(name, **body))

    # ------------------------------------------------------------------ world setup

    async def state(self) -> JsonDict:
        """seq, confirmed_offset, pending_count, webhook_url and the bot's name."""
        result: JsonDict = await self._get("state")
        return result

    async def seq(self) -> int:
        """The world's current event seq."""
        return int((await self.state())["seq"])

    async def mark(self) -> int:
        """Start stream waits from now, as if this client had just acted."""
        seq = await self.seq()
        self._acted(seq)
        return seq

    async def reset(self) -> None:
        """Forget the whole world."""
        await self._post("reset")

    async def add_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JsonDict:
        """Make a user known without writing to the bot; returns the User object."""
        result: JsonDict = await self._post(
            "users",
            user_id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        return result

    async def block_bot(self, user_id: int, *, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot."""
        await self._post("block", user_id=user_id, blocked=blocked)

    async def add_chat(
        self,
        chat_id: int,
        *,
        type: str = "supergroup",
        title: str | None = None,
        username: str | None = None,
        bot_status: str = "administrator",
        bot_rights: dict[str, bool] | None = None,
        members: dict[int, str] | None = None,
    ) -> JsonDict:
        """Make a group/supergroup/channel known; returns its Chat object."""
        result: JsonDict = await self._post(
            "chats",
            chat_id=chat_id,
            type=type,
            title=title,
            username=username,
            bot_status=bot_status,
            bot_rights=bot_rights,
            members={str(k): v for k, v in (members or {}).items()},
        )
        return result

    async def add_channel(
        self,
        channel_id: int,
        title: str,
        username: str | None = None,
        bot_status: str = "administrator",
        *,
        bot_rights: dict[str, bool] | None = None,
        members: dict[int, str] | None = None,
    ) -> JsonDict:
        """Make a channel known, with the bot's status in it; returns its Chat object."""
        result: JsonDict = await self._post(
            "channels",
            channel_id=channel_id,
            title=title,
            username=username,
            bot_status=bot_status,
            bot_rights=bot_rights,
            members={str(k): v for k, v in (members or {}).items()},
        )
        return result

    async def fail(
        self,
        method: str,
        *,
        times: int = 1,
        code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Make the bot's next `times` calls of `method` fail with this error."""
        await self._post(
            "fail",
            method=method,
            times=times,
            code=code,
            description=description,
            retry_after=retry_after,
        )

    # ------------------------------------------------------------------ user actions

    async def send_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        entities: list[JsonDict] | None = None,
    ) -> Sent:
        """The user writes to the bot; "/cmd" text gets a bot_command entity."""
        return await self._action(
            "send_text",
            user_id=user_id,
            text=text,
            chat_id=chat_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            entities=entities,
        )

    async def forward_from_channel(
        self,
        user_id: int,
        channel_id: int,
        channel_title: str | None = None,
        channel_username: str | None = None,
        *,
        message_id: int | None = None,
        signature: str | None = None,
        text: str | None = None,
    ) -> Sent:
        """The user forwards a channel post (forward_origin "channel" + legacy fields)."""
        return await self._action(
            "forward_from_channel",
            user_id=user_id,
            channel_id=channel_id,
            channel_title=channel_title,
            channel_username=channel_username,
            message_id=message_id,
            signature=signature,
            text=text,
        )

    async def forward_from_user(
        self,
        user_id: int,
        origin_user_id: int,
        origin_first_name: str = "Someone",
        origin_username: str | None = None,
        *,
        hidden: bool = False,
        text: str | None = None,
    ) -> Sent:
        """The user forwards another user's message (origin "user" or "hidden_user")."""
        return await self._action(
            "forward_from_user",
            user_id=user_id,
            origin_user_id=origin_user_id,
            origin_first_name=origin_first_name,
            origin_username=origin_username,
            hidden=hidden,
            text=text,
        )

    async def forward_from_chat(
        self,
        user_id: int,
        group_id: int,
        group_title: str | None = None,
        group_username: str | None = None,
        *,
        group_type: str = "supergroup",
        text: str | None = None,
    ) -> Sent:
        """The user forwards a message sent on behalf of a group (origin "chat")."""
        return await self._action(
            "forward_from_chat",
            user_id=user_id,
            group_id=group_id,
            group_title=group_title,
            group_username=group_username,
            group_type=group_type,
            text=text,
        )

    async def press(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        forge: bool = False,
    ) -> Sent:
        """The user presses the button with this callback_data (any data if forge=True)."""
        return await self._action(
            "press",
            user_id=user_id,
            message_id=message_id,
            callback_data=callback_data,
            chat_id=chat_id,
            forge=forge,
        )

    async def press_button(
        self, user_id: int, message_id: int, text: str, *, chat_id: int | None = None
    ) -> Sent:
        """The user presses the button labelled `text` on the message's current keyboard."""
        return await self._action(
            "press", user_id=user_id, message_id=message_id, button_text=text, chat_id=chat_id
        )

    async def redeliver(self, update_id: int) -> Sent:
        """Telegram delivers the same update (same update_id) once more."""
        return await self._action("redeliver", update_id=update_id)

    # ------------------------------------------------------------------ observation

    async def messages(
        self, chat_id: int, *, include_user: bool = False, include_deleted: bool = False
    ) -> list[BotMessage]:
        """The bot's messages in a chat, current state, oldest first."""
        found = await self._get(
            "messages",
            chat_id=chat_id,
            include_user=include_user,
            include_deleted=include_deleted,
        )
        return [BotMessage.from_json(m) for m in found]

    async def last_message(self, chat_id: int) -> BotMessage | None:
        """The bot's latest (not deleted) message in a chat."""
        found = await self.messages(chat_id)
        return found[-1] if found else None

    async def message(self, chat_id: int, message_id: int) -> BotMessage:
        """One message (also a user's or a deleted one); LocalApiError 404 if unknown."""
        return BotMessage.from_json(
            await self._get("message", chat_id=chat_id, message_id=message_id)
        )

    async def callback_answers(self, query_id: str | None = None) -> list[CallbackAnswer]:
        """Pressed buttons and the bot's answers, all or for one query id."""
        found = await self._get("callback_answers", query_id=query_id)
        return [CallbackAnswer.from_json(q) for q in found]

    async def updates(self) -> UpdatesState:
        """The update queue and the highest offset the bot confirmed."""
        data = await self._get("updates")
        return UpdatesState(data["pending"], data["confirmed_offset"], data["last_update_id"])

    async def pending_updates(self) -> list[JsonDict]:
        """Updates the bot has not confirmed yet."""
        return (await self.updates()).pending

    async def confirmed_offset(self) -> int:
        """The highest offset a getUpdates call has confirmed."""
        return (await self.updates()).confirmed_offset

    async def requests(self, method: str | None = None, since: int = 0) -> list[RecordedCall]:
        """The bot's Bot API calls in arrival order (optionally of one method)."""
        found = await self._get("requests", method=method, since=since)
        return [RecordedCall.from_json(r) for r in found]

    async def events(
        self, after: int = 0, *, kinds: Iterable[str] | None = None
    ) -> list[WorldEvent]:
        """Logged events after a seq."""
        joined = ",".join(kinds) if kinds is not None else None
        found = await self._get("events", after=after, kinds=joined)
        return [WorldEvent.from_json(e) for e in found]

    async def webhook(self) -> JsonDict | None:
        """The webhook as set by the bot (with secret and last error), or None."""
        result: JsonDict | None = await self._get("webhook")
        return result

    # ------------------------------------------------------------------ waiting

    async def _wait_raw(
        self, after: int, timeout: float, filters: dict[str, object]
    ) -> tuple[WorldEvent | None, JsonDict | None]:
        data = await self._call(
            "GET",
            "wait",
            query={"after": after, "timeout": timeout, **filters},
            timeout=timeout + 10.0,
        )
        event = WorldEvent.from_json(data["event"]) if data["event"] else None
        return event, data["message"]

    async def _wait_stream(
        self, filters: dict[str, object], after: int | None, timeout: float | None, what: str
    ) -> tuple[WorldEvent, JsonDict | None]:
        key = tuple(sorted((k, str(v)) for k, v in filters.items() if v is not None))
        start = after if after is not None else self._cursors.get(key, self._action_seq)
        limit = self.timeout if timeout is None else timeout
        event, message = await self._wait_raw(start, limit, filters)
        if event is None:
            raise TimeoutError(f"no {what} after seq {start} within {limit}s")
        self._cursors[key] = event.seq
        return event, message

    async def wait_event(
        self,
        *,
        kinds: Iterable[str] | None = None,
        chat_id: int | None = None,
        message_id: int | None = None,
        update_id: int | None = None,
        method: str | None = None,
        query_id: str | None = None,
        after: int | None = None,
        timeout: float | None = None,
    ) -> WorldEvent:
        """The next matching event (see the module doc for the cursor); TimeoutError if none."""
        filters: dict[str, object] = {
            "kinds": ",".join(kinds) if kinds is not None else None,
            "chat_id": chat_id,
            "message_id": message_id,
            "update_id": update_id,
            "method": method,
            "query_id": query_id,
        }
        event, _ = await self._wait_stream(filters, after, timeout, "matching event")
        return event

    async def wait_bot_message(
        self, chat_id: int, after: int | None = None, timeout: float | None = None
    ) -> BotMessage:
        """The next message the bot sends or edits in the chat, in its current state."""
        filters: dict[str, object] = {"kinds": "bot_message", "chat_id": chat_id}
        what = f"bot message in chat {chat_id}"
        event, message = await self._wait_stream(filters, after, timeout, what)
        assert message is not None
        return BotMessage.from_json(message, seq=event.seq)

    async def wait_request(
        self, method: str, after: int | None = None, timeout: float | None = None
    ) -> RecordedCall:
        """The bot's next completed call of `method`."""
        filters: dict[str, object] = {"kinds": "request", "method": method}
        event, _ = await self._wait_stream(filters, after, timeout, f"{method} call")
        index = int(event.data["index"])
        return (await self.requests(since=index))[0]

    async def wait_callback_answer(
        self, query_id: str, timeout: float | None = None
    ) -> CallbackAnswer:
        """The bot's answer to a callback query (at any time since it was pressed)."""
        limit = self.timeout if timeout is None else timeout
        filters: dict[str, object] = {"kinds": "callback_answered", "query_id": query_id}
        event, _ = await self._wait_raw(0, limit, filters)
        if event is None:
            raise TimeoutError(f"callback query {query_id} not answered within {limit}s")
        return (await self.callback_answers(query_id))[0]

    async def wait_confirmed(self, sent: Sent | int, timeout: float | None = None) -> None:
        """Until the bot confirmed (or the webhook took) this update.

        Pass the `Sent` of a redelivery to wait for that copy, not the first one.
        """
        after, update_id = (sent.seq, sent.update_id) if isinstance(sent, Sent) else (0, sent)
        limit = self.timeout if timeout is None else timeout
        filters: dict[str, object] = {"kinds": "update_confirmed", "update_id": update_id}
        event, _ = await self._wait_raw(after, limit, filters)
        if event is None:
            raise TimeoutError(f"update {update_id} not confirmed within {limit}s")

    async def wait_until(
        self, check: Callable[[], Awaitable[bool]], timeout: float | None = None
    ) -> None:
        """Re-check after every change of the world until `check()` is true."""
        loop = asyncio.get_running_loop()
        limit = self.timeout if timeout is None else timeout
        deadline = loop.time() + limit
        while True:
            seq = await self.seq()
            if await check():
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {limit}s")
            await self._wait_raw(seq, remaining, {})


__all__ = [
    "BotApiUser",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "LocalApiError",
    "RecordedCall",
    "Sent",
    "UpdatesState",
    "WorldEvent",
]
