"""The in-memory Telegram world behind the local Bot API stand-in.

`World` holds users, chats, messages, callback queries, the update queue, the
webhook setting, recorded requests and an event log. Every observable change
appends an `Event` with a growing sequence number and wakes waiters, so tests
wait for "the next matching thing after seq N" without sleeping and without races.

What users do lives in `actions.py`; the Bot API methods live in `methods.py`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from aiogram_durable import Clock, SystemClock
from diana_devtools.localapi.errors import ApiError, WorldError, default_error
from diana_devtools.localapi.records import (
    MEMBER_STATUSES,
    CallbackQueryRecord,
    ChatInfo,
    Event,
    EventFilter,
    EventKind,
    Fault,
    PendingUpdate,
    RecordedRequest,
    StoredMessage,
    UserAction,
    UserInfo,
    WebhookConfig,
)

JsonDict = dict[str, Any]
T = TypeVar("T")

_EVENT_HISTORY = 20_000
_QUERY_ID_BASE = 4_000_000_000_000_000


class World:
    """Everything the stand-in knows, plus the event log that makes it observable.

    Args:
        clock: time source for message dates (defaults to the wall clock).
        bot_first_name: what getMe reports as the bot's name.
        bot_username: what getMe reports as the bot's username.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        bot_first_name: str = "Diana Bot",
        bot_username: str = "diana_test_bot",
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.bot_first_name = bot_first_name
        self.bot_username = bot_username
        self._changed = asyncio.Event()
        self.closed = False
        # Counters survive reset(): a bot's offset and a client's cursor stay valid.
        self._seq = 0
        self.poll_generation = 0
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._reset_state()

    def _reset_state(self) -> None:
        self.events: deque[Event] = deque(maxlen=_EVENT_HISTORY)
        self.users: dict[int, UserInfo] = {}
        self.chats: dict[int, ChatInfo] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.queue: list[PendingUpdate] = []
        self.all_updates: dict[int, JsonDict] = {}
        self.confirmed_offset = 0
        self.allowed_updates: list[str] | None = None
        self.webhook: WebhookConfig | None = None
        self.commands: dict[str, list[JsonDict]] = {}
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []

    # ------------------------------------------------------------------ events

    @property
    def seq(self) -> int:
        """Sequence number of the latest event (0 before any)."""
        return self._seq

    def now(self) -> int:
        """Unix time from the injected clock."""
        return int(self.clock.now().timestamp())

    def emit(self, kind: EventKind, **fields: Any) -> Event:
        """Append an event and wake every waiter."""
        self._seq += 1
        event = Event(seq=self._seq, kind=kind, **fields)
        self.events.append(event)
        self.notify()
        return event

    def notify(self) -> None:
        """Wake waiters without logging an event (e.g. on shutdown)."""
        # A fresh Event per change: a waiter grabs the current one after checking the
        # state, synchronously, so no change can slip in between the check and the wait.
        self._changed.set()
        self._changed = asyncio.Event()

    def find_event(self, after: int, match: Callable[[Event], bool]) -> Event | None:
        """The first event with seq > after that matches, if it is already there."""
        events = self.events
        if not events:
            return None
        # Seqs are consecutive in the log, so the first candidate's index is known.
        start = max(after - events[0].seq + 1, 0)
        return next((e for e in itertools.islice(events, start, None) if match(e)), None)

    async def wait_until(self, check: Callable[[], T | None], timeout: float) -> T | None:
        """Re-run `check` on every change until it returns non-None or time runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result is not None or self.closed:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            changed = self._changed
            try:
                async with asyncio.timeout(remaining):
                    await changed.wait()
            except TimeoutError:
                return check()

    async def wait_event(self, after: int, match: EventFilter, timeout: float) -> Event | None:
        """The first matching event after seq `after`, waiting up to `timeout` seconds."""
        return await self.wait_until(lambda: self.find_event(after, match), timeout)

    def reset(self) -> None:
        """Forget the whole world (users, chats, updates, requests, faults, webhook)."""
        self._reset_state()
        self.emit(EventKind.WORLD_CHANGED, data={"reason": "reset"})

    # ------------------------------------------------------------------ faults and requests

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
        """Make the next `times` calls of `method` fail with this error (or, with
        ``raw_body``, with that body as text/html instead of the Bot API's JSON)."""
        if times < 1:
            raise WorldError("times must be at least 1")
        text = description or default_error(code, retry_after)
        error = ApiError(code, text, retry_after=retry_after, raw_body=raw_body)
        self.faults.append(Fault(method.lower(), times, error))

    def take_fault(self, method: str) -> ApiError | None:
        """Consume one injected failure for `method`, if any is left."""
        for fault in self.faults:
            if fault.method == method.lower():
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault.error
        return None

    def record_request(self, method: str, params: JsonDict, bot_id: int) -> RecordedRequest:
        """Log a Bot API call in arrival order."""
        record = RecordedRequest(len(self.requests), method, params, bot_id)
        self.requests.append(record)
        self.emit(EventKind.REQUEST_RECEIVED, method=method, data={"index": record.index})
        return record

    def finish_request(self, record: RecordedRequest, status: int, error: str | None) -> None:
        """Store a call's outcome and announce it."""
        record.status = status
        record.error = error
        chat_id = record.params.get("chat_id")
        self.emit(
            EventKind.REQUEST,
            method=record.method,
            chat_id=chat_id if isinstance(chat_id, int) else None,
            data={"index": record.index, "status": status, "error": error},
        )

    # ------------------------------------------------------------------ world setup

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> UserInfo:
        """Create a user, or update the profile fields that are given."""
        if user_id <= 0:
            raise WorldError("user ids are positive")
        user = self.users.get(user_id)
        if user is None:
            user = UserInfo(user_id, first_name or f"User{user_id}")
            self.users[user_id] = user
        if first_name is not None:
            user.first_name = first_name
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                setattr(user, key, value)
        return user

    def block_bot(self, user_id: int, *, blocked: bool = True) -> None:
        """A user blocks (or unblocks) the bot: sending to them then fails with 403."""
        self.add_user(user_id).blocked_bot = blocked
        self.emit(EventKind.WORLD_CHANGED, data={"user_id": user_id, "blocked": blocked})

    def add_chat(
        self,
        chat_id: int,
        *,
        type: str = "supergroup",
        title: str | None = None,
        username: str | None = None,
        bot_status: str = "administrator",
        bot_rights: dict[str, bool] | None = None,
        members: dict[int, str] | None = None,
    ) -> ChatInfo:
        """Create or update a group, supergroup or channel; ids are negative."""
        if type not in {"group", "supergroup", "channel"}:
            raise WorldError(f"unknown chat type {type!r}")
        if chat_id >= 0:
            raise WorldError("group and channel ids are negative")
        if bot_status not in MEMBER_STATUSES:
            raise WorldError(f"unknown member status {bot_status!r}")
        if members and not set(members.values()) <= MEMBER_STATUSES:
            raise WorldError("unknown member status in members")
        chat = self.chats.get(chat_id) or ChatInfo(chat_id, type)
        chat.type = type
        chat.title = title or chat.title or f"Chat {chat_id}"
        chat.username = username.lstrip("@") if username else chat.username
        chat.bot_status = bot_status
        chat.bot_rights = dict(bot_rights or chat.bot_rights)
        chat.members.update(members or {})
        self.chats[chat_id] = chat
        self.emit(EventKind.WORLD_CHANGED, chat_id=chat_id, data={"bot_status": bot_status})
        return chat

    def add_channel(
        self,
        channel_id: int,
        title: str,
        username: str | None = None,
        bot_status: str = "administrator",
        *,
        bot_rights: dict[str, bool] | None = None,
        members: dict[int, str] | None = None,
    ) -> ChatInfo:
        """Create or update a channel and the bot's membership in it."""
        return self.add_chat(
            channel_id,
            type="channel",
            title=title,
            username=username,
            bot_status=bot_status,
            bot_rights=bot_rights,
            members=members,
        )

    # ------------------------------------------------------------------ lookups

    def chat_json(self, chat: ChatInfo) -> JsonDict:
        """Telegram's (short) Chat object."""
        if chat.type == "private":
            user = self.users[chat.id]
            data: JsonDict = {"id": chat.id, "type": "private", "first_name": user.first_name}
            for key in ("last_name", "username"):
                if (value := getattr(user, key)) is not None:
                    data[key] = value
            return data
        data = {"id": chat.id, "type": chat.type, "title": chat.title}
        if chat.username:
            data["username"] = chat.username
        return data

    def private_chat(self, user_id: int) -> ChatInfo:
        """The private chat with a user (chat id = user id), created on demand."""
        self.add_user(user_id)
        chat = self.chats.get(user_id)
        if chat is None:
            chat = ChatInfo(user_id, "private")
            self.chats[user_id] = chat
        return chat

    def find_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """A stored message, deleted or not."""
        chat = self.chats.get(chat_id)
        return chat.messages.get(message_id) if chat else None

    def message_view(self, message: StoredMessage) -> JsonDict:
        """The test-side view of a message."""
        return message.to_view(self.chat_json(self.chats[message.chat_id]))

    def messages(
        self, chat_id: int, *, include_user: bool = False, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """Messages of a chat in id order: the bot's by default."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [
            m
            for m in sorted(chat.messages.values(), key=lambda m: m.message_id)
            if (include_user or m.from_bot) and (include_deleted or not m.deleted)
        ]

    # ------------------------------------------------------------------ updates

    def next_query_id(self) -> str:
        """A fresh callback query id (numeric string, as Telegram's)."""
        return str(_QUERY_ID_BASE + next(self._query_ids))

    def enqueue(self, payload: JsonDict, **event_fields: Any) -> tuple[int, Event]:
        """Give a payload the next update_id and queue it for the bot."""
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **payload}
        self.all_updates[update_id] = update
        self.queue.append(PendingUpdate(update))
        event = self.emit(EventKind.UPDATE_QUEUED, update_id=update_id, **event_fields)
        return update_id, event

    def redeliver(self, update_id: int) -> UserAction:
        """Queue an already created update again with the same update_id.

        The copy is delivered even if the bot's offset has passed it (a duplicate
        delivery, as after a crash between handling and confirming); it is then
        confirmed like any other update.
        """
        update = self.all_updates.get(update_id)
        if update is None:
            raise WorldError(f"unknown update_id {update_id}")
        self.queue.append(PendingUpdate(update, forced=True))
        event = self.emit(EventKind.UPDATE_QUEUED, update_id=update_id, data={"redelivery": True})
        return UserAction(update_id, event.seq)

    def _accepts(self, entry: PendingUpdate, allowed: list[str] | None) -> bool:
        if allowed:
            return entry.type in allowed
        return entry.type not in {"chat_member", "message_reaction", "message_reaction_count"}

    def confirm(self, offset: int) -> None:
        """Apply getUpdates' offset: drop older updates (negative: keep the last -offset)."""
        if offset < 0:
            dropped, self.queue = self.queue[:offset], self.queue[offset:]
        else:
            dropped = [e for e in self.queue if e.update_id < offset and not e.forced]
            self.queue = [e for e in self.queue if e not in dropped]
            self.confirmed_offset = max(self.confirmed_offset, offset)
        for entry in dropped:
            self.emit(EventKind.UPDATE_CONFIRMED, update_id=entry.update_id)

    def deliverable(self, limit: int) -> list[PendingUpdate]:
        """Queued updates that getUpdates may hand out now, oldest first."""
        wanted = [e for e in self.queue if self._accepts(e, self.allowed_updates)]
        return wanted[:limit]

    def mark_delivered(self, entries: list[PendingUpdate]) -> None:
        """Handed out once: a forced redelivery now waits for an offset like the rest."""
        for entry in entries:
            entry.forced = False
        self.emit(
            EventKind.UPDATES_DELIVERED,
            data={"update_ids": [e.update_id for e in entries]},
        )

    def drop_pending(self) -> None:
        """drop_pending_updates=True on set/deleteWebhook."""
        dropped, self.queue = self.queue, []
        for entry in dropped:
            self.emit(EventKind.UPDATE_CONFIRMED, update_id=entry.update_id)

    def webhook_next(self) -> tuple[WebhookConfig, PendingUpdate] | None:
        """The next update the webhook should get, if a webhook is set."""
        webhook = self.webhook
        if webhook is None:
            return None
        entry = next((e for e in self.queue if self._accepts(e, webhook.allowed_updates)), None)
        return (webhook, entry) if entry else None

    def webhook_done(self, entry: PendingUpdate, *, delivered: bool, error: str | None) -> None:
        """Delivered (2xx) or given up after retries: either way it leaves the queue."""
        if entry in self.queue:
            self.queue.remove(entry)
        if delivered:
            self.emit(EventKind.WEBHOOK_DELIVERED, update_id=entry.update_id)
            self.emit(EventKind.UPDATE_CONFIRMED, update_id=entry.update_id)
        else:
            data = {"error": error, "final": True}
            self.emit(EventKind.WEBHOOK_FAILED, update_id=entry.update_id, data=data)

    def webhook_error(self, entry: PendingUpdate, error: str) -> None:
        """A failed attempt: getWebhookInfo reports it; delivery will be retried."""
        if self.webhook is not None:
            self.webhook.last_error_date = self.now()
            self.webhook.last_error_message = error
        self.emit(
            EventKind.WEBHOOK_FAILED,
            update_id=entry.update_id,
            data={"error": error, "final": False},
        )


__all__ = ["World"]
