"""Records of the test world: users, chats, messages, updates, events, requests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from diana_devtools.localapi.errors import ApiError

JsonDict = dict[str, Any]

TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_post_messages",
    "can_edit_messages",
)


class EventKind(StrEnum):
    """What an `Event` reports."""

    UPDATE_QUEUED = "update_queued"
    UPDATES_DELIVERED = "updates_delivered"
    UPDATE_CONFIRMED = "update_confirmed"
    MESSAGE_SENT = "message_sent"
    MESSAGE_EDITED = "message_edited"
    MESSAGE_DELETED = "message_deleted"
    CALLBACK_ANSWERED = "callback_answered"
    REQUEST_RECEIVED = "request_received"
    REQUEST = "request"
    WEBHOOK_DELIVERED = "webhook_delivered"
    WEBHOOK_FAILED = "webhook_failed"
    WORLD_CHANGED = "world_changed"


BOT_MESSAGE_KINDS = frozenset({EventKind.MESSAGE_SENT, EventKind.MESSAGE_EDITED})


@dataclass(frozen=True)
class Event:
    """One observable change of the world, numbered by `seq`."""

    seq: int
    kind: EventKind
    chat_id: int | None = None
    message_id: int | None = None
    update_id: int | None = None
    method: str | None = None
    query_id: str | None = None
    data: JsonDict = field(default_factory=dict)

    def to_json(self) -> JsonDict:
        """A JSON-ready dict."""
        return {
            "seq": self.seq,
            "kind": self.kind.value,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "update_id": self.update_id,
            "method": self.method,
            "query_id": self.query_id,
            "data": self.data,
        }


@dataclass(frozen=True)
class EventFilter:
    """Matches events by kind and by the ids they carry; None means "any"."""

    kinds: frozenset[EventKind] | None = None
    chat_id: int | None = None
    message_id: int | None = None
    update_id: int | None = None
    method: str | None = None
    query_id: str | None = None

    def __call__(self, event: Event) -> bool:
        checks = (
            (self.chat_id, event.chat_id),
            (self.message_id, event.message_id),
            (self.update_id, event.update_id),
            (self.method, event.method),
            (self.query_id, event.query_id),
        )
        if self.kinds is not None and event.kind not in self.kinds:
            return False
        return all(wanted is None or wanted == actual for wanted, actual in checks)


@dataclass
class RecordedRequest:
    """One Bot API call as the bot made it; status is None while it is in flight."""

    index: int
    method: str
    params: JsonDict
    bot_id: int
    status: int | None = None
    error: str | None = None

    def to_json(self) -> JsonDict:
        """A JSON-ready dict."""
        return {
            "index": self.index,
            "method": self.method,
            "params": self.params,
            "bot_id": self.bot_id,
            "status": self.status,
            "error": self.error,
        }


@dataclass
class Fault:
    """An injected failure: the next `remaining` calls of `method` fail."""

    method: str
    remaining: int
    error: ApiError


@dataclass
class UserInfo:
    """A Telegram user of the test world."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    started: bool = False
    blocked_bot: bool = False

    def to_api(self) -> JsonDict:
        """Telegram's User object."""
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                user[key] = value
        return user


@dataclass
class StoredMessage:
    """A message in a chat, in its current (possibly edited) state."""

    chat_id: int
    message_id: int
    date: int
    sender: JsonDict
    from_bot: bool
    text: str
    entities: list[JsonDict]
    source_text: str | None = None
    parse_mode: str | None = None
    reply_markup: JsonDict | None = None
    reply_keyboard: JsonDict | None = None
    extra: JsonDict = field(default_factory=dict)
    edit_date: int | None = None
    edits: list[JsonDict] = field(default_factory=list)
    deleted: bool = False

    def to_api(self, chat: JsonDict) -> JsonDict:
        """Telegram's Message object (only inline keyboards are echoed back)."""
        message: JsonDict = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat,
            "from": self.sender,
            **self.extra,
            "text": self.text,
        }
        if self.entities:
            message["entities"] = self.entities
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        return message

    def snapshot(self) -> JsonDict:
        """The editable part of the message, as kept in the edit history."""
        return {
            "text": self.text,
            "entities": self.entities,
            "source_text": self.source_text,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "edit_date": self.edit_date,
        }

    def to_view(self, chat: JsonDict) -> JsonDict:
        """The test-side view: current state, original source and edit history."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "date": self.date,
            "deleted": self.deleted,
            "reply_keyboard": self.reply_keyboard,
            **self.snapshot(),
            "edits": list(self.edits),
            "api": self.to_api(chat),
        }


@dataclass
class ChatInfo:
    """A chat of the test world: a private chat, group, supergroup or channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    bot_status: str = "member"
    bot_rights: dict[str, bool] = field(default_factory=dict)
    members: dict[int, str] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1

    def take_message_id(self) -> int:
        """Message ids grow per chat, as in Telegram."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class CallbackQueryRecord:
    """A pressed button and the bot's answer, if any."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    update_id: int
    answer: JsonDict | None = None

    def to_json(self) -> JsonDict:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "data": self.data,
            "update_id": self.update_id,
            "answered": self.answer is not None,
            "answer": self.answer,
        }


@dataclass(eq=False)  # identity: a redelivered copy must not stand for the original
class PendingUpdate:
    """An update waiting for confirmation; `forced` ones ignore an older offset once."""

    update: JsonDict
    forced: bool = False

    @property
    def update_id(self) -> int:
        """The update's id."""
        return int(self.update["update_id"])

    @property
    def type(self) -> str:
        """The update's type, e.g. "message" or "callback_query"."""
        return next(key for key in self.update if key != "update_id")


@dataclass
class WebhookConfig:
    """What setWebhook asked for, plus the delivery error state getWebhookInfo reports."""

    url: str
    bot_id: int
    token: str
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True)
class BotIdentity:
    """The bot a request is made as, from its token."""

    id: int
    token: str

    @classmethod
    def from_token(cls, token: str) -> BotIdentity | None:
        """Parse "<digits>:<secret>"; None if the token is malformed."""
        match = TOKEN_RE.match(token)
        return cls(int(match.group(1)), token) if match else None


@dataclass(frozen=True)
class UserAction:
    """What a user-side action produced: the update and the event seq to wait after."""

    update_id: int
    seq: int
    message_id: int | None = None
    callback_query_id: str | None = None

    def to_json(self) -> JsonDict:
        """A JSON-ready dict."""
        return {
            "update_id": self.update_id,
            "seq": self.seq,
            "message_id": self.message_id,
            "callback_query_id": self.callback_query_id,
        }


def _channel_admin_json(user: JsonDict, rights: dict[str, bool]) -> JsonDict:
    member: JsonDict = {"status": "administrator", "user": user}
    member["can_be_edited"] = False
    member["is_anonymous"] = False
    for right in _ADMIN_RIGHTS:
        member[right] = rights.get(right, right != "can_promote_members")
    return member


def member_json(status: str, user: JsonDict, rights: dict[str, bool] | None = None) -> JsonDict:
    """Telegram's ChatMember object for a status."""
    if status == "administrator":
        return _channel_admin_json(user, rights or {})
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": 0}
    return {"status": status, "user": user}
