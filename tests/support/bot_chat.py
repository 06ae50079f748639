"""A user's chat with a bot running in the test process.

Updates are built as Telegram sends them and fed to the Dispatcher
(``Dispatcher.feed_update``); what the bot answers is read back from its
``RecordingSession``. Tests read like the chat::

    await chat.send("/admin")
    await chat.press("💎 VIP")          # a button of the last screen, by its text
    assert chat.last_text.startswith("💎 VIP")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from tests.support.recording_bot import BotMessage, CallbackAnswer, RecordingSession, Request

# Updates are dated; nothing in the bot reads the date, so one fixed moment will do.
_DATE = int(datetime(2026, 12, 3, 12, 0, tzinfo=UTC).timestamp())
# Bot API methods that change what the chat shows.
_SCREEN_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})


def user_json(user_id: int, first_name: str, language_code: str | None = "es") -> dict[str, Any]:
    """A Telegram user; ``language_code`` None: Telegram did not send one."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def text_message(
    update_id: int,
    message_id: int,
    chat: Mapping[str, Any],
    sender: Mapping[str, Any],
    text: str,
) -> dict[str, Any]:
    """An update with a text message (a command is text starting with ``/``)."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": _DATE,
        "chat": dict(chat),
        "from": dict(sender),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": message}


def sticker_message(
    update_id: int, message_id: int, chat: Mapping[str, Any], sender: Mapping[str, Any]
) -> dict[str, Any]:
    """An update with a sticker: a message without text."""
    sticker = {
        "file_id": "CAACAgIAAxkBAAEBsticker",
        "file_unique_id": "AgADsticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }
    message = {
        "message_id": message_id,
        "date": _DATE,
        "chat": dict(chat),
        "from": dict(sender),
        "sticker": sticker,
    }
    return {"update_id": update_id, "message": message}


def forwarded_message(
    update_id: int,
    message_id: int,
    chat: Mapping[str, Any],
    sender: Mapping[str, Any],
    origin: Mapping[str, Any],
    text: str = "Un mensaje reenviado",
) -> dict[str, Any]:
    """An update with a forwarded message; ``origin`` is its ``forward_origin``."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": _DATE,
        "chat": dict(chat),
        "from": dict(sender),
        "text": text,
        "forward_origin": dict(origin),
    }
    if origin.get("type") == "channel":
        # What clients before Bot API 7.0 read; Telegram still sends both.
        message["forward_from_chat"] = origin["chat"]
        message["forward_date"] = origin["date"]
    return {"update_id": update_id, "message": message}


def channel_origin(channel_id: int, title: str, username: str | None = None) -> dict[str, Any]:
    """``forward_origin`` of a post forwarded from a channel."""
    chat: dict[str, Any] = {"id": channel_id, "type": "channel", "title": title}
    if username is not None:
        chat["username"] = username
    return {"type": "channel", "date": _DATE, "chat": chat, "message_id": 77}


def user_origin(user_id: int, first_name: str) -> dict[str, Any]:
    """``forward_origin`` of a message forwarded from a user."""
    return {"type": "user", "date": _DATE, "sender_user": user_json(user_id, first_name)}


def hidden_user_origin(name: str) -> dict[str, Any]:
    """``forward_origin`` of a user who hides their account in forwards."""
    return {"type": "hidden_user", "date": _DATE, "sender_user_name": name}


def group_origin(chat_id: int, title: str) -> dict[str, Any]:
    """``forward_origin`` of a message sent on behalf of a group."""
    chat = {"id": chat_id, "type": "supergroup", "title": title}
    return {"type": "chat", "date": _DATE, "sender_chat": chat}


def callback_press(
    update_id: int,
    query_id: str,
    sender: Mapping[str, Any],
    message: Mapping[str, Any],
    data: str,
) -> dict[str, Any]:
    """An update with a press of an inline button carrying ``data`` on ``message``."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id,
            "from": dict(sender),
            "chat_instance": f"ci{message['chat']['id']}",
            "message": dict(message),
            "data": data,
        },
    }


@dataclass
class Turn:
    """What the bot did in answer to one update."""

    update: Update
    requests: list[Request]
    answers: list[CallbackAnswer] = field(default_factory=list)

    @property
    def methods(self) -> list[str]:
        return [r.method for r in self.requests]

    @property
    def answer(self) -> CallbackAnswer | None:
        """The answer to this update's button press, if Telegram accepted one."""
        return self.answers[0] if self.answers else None

    @property
    def alert(self) -> str | None:
        """The text of the alert this press was answered with (None: no alert)."""
        answer = self.answer
        return answer.text if answer is not None and answer.show_alert else None

    @property
    def changed_screen(self) -> bool:
        """True when the bot sent or edited a message."""
        return any(r.method in _SCREEN_METHODS for r in self.requests)


class Chat:
    """One user's chat with the bot (their private chat unless told otherwise), from a
    Telegram app set to ``language_code`` (None: Telegram sends no language)."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        telegram: RecordingSession,
        user_id: int,
        *,
        first_name: str = "Admin",
        chat_id: int | None = None,
        chat_type: str = "private",
        title: str | None = None,
        language_code: str | None = "es",
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.telegram = telegram
        self.user_id = user_id
        self.chat_id = user_id if chat_id is None else chat_id
        self.sender = user_json(user_id, first_name, language_code)
        if chat_type == "private":
            self.chat: dict[str, Any] = {"id": self.chat_id, "type": "private"}
            self.chat["first_name"] = first_name
        else:
            self.chat = {"id": self.chat_id, "type": chat_type, "title": title or "Grupo"}
        self.last_update: Update | None = None
        self._queries = 0

    # -- what the user does ---------------------------------------------------------------

    async def send(self, text: str) -> Turn:
        """Send a text message (or a command)."""
        return await self.feed(
            text_message(self._update_id(), self._message_id(), self.chat, self.sender, text)
        )

    async def send_sticker(self) -> Turn:
        return await self.feed(
            sticker_message(self._update_id(), self._message_id(), self.chat, self.sender)
        )

    async def forward(self, origin: Mapping[str, Any]) -> Turn:
        """Forward a message whose ``forward_origin`` is ``origin`` (see ``*_origin``)."""
        return await self.feed(
            forwarded_message(self._update_id(), self._message_id(), self.chat, self.sender, origin)
        )

    async def forward_from_channel(
        self, channel_id: int, title: str, username: str | None = None
    ) -> Turn:
        return await self.forward(channel_origin(channel_id, title, username))

    async def press(self, label: str, on: BotMessage | None = None) -> Turn:
        """Press the button ``label`` of ``on`` (default: the last screen). ``on`` may be
        an older snapshot: a client still showing a keyboard the bot has replaced."""
        message = on if on is not None else self.last
        data = message.button(label).callback_data
        assert data is not None, f"{label!r} is not a callback button"
        return await self.press_data(data, on=message)

    async def press_data(self, data: str, on: BotMessage | None = None) -> Turn:
        """Press a button carrying ``data`` on ``on`` (default: the last screen), whether
        or not the message shows such a button: a forged or remembered press."""
        message = on if on is not None else self.last
        # The message as the chat shows it now; a message the bot never sent here (a
        # forged press) as given.
        current = self.telegram.find_message(message.chat_id, message.message_id) or message
        self._queries += 1
        query_id = f"{self.user_id}-{self._queries}"
        return await self.feed(
            callback_press(
                self._update_id(),
                query_id,
                self.sender,
                self.telegram.message_json(self.bot, current),
                data,
            )
        )

    async def redeliver(self) -> Turn:
        """Telegram delivers the last update again (same update id)."""
        assert self.last_update is not None, "nothing was sent yet"
        return await self._feed(self.last_update)

    async def feed(self, payload: Mapping[str, Any]) -> Turn:
        """Feed one update (Bot API JSON) to the dispatcher; what the bot did in answer."""
        update = Update.model_validate(dict(payload), context={"bot": self.bot})
        self.last_update = update
        return await self._feed(update)

    async def _feed(self, update: Update) -> Turn:
        first = len(self.telegram.requests)
        answered = len(self.telegram.answers)
        await self.dispatcher.feed_update(self.bot, update)
        query = update.callback_query
        answers = [
            a
            for a in self.telegram.answers[answered:]
            if query is not None and a.query_id == query.id
        ]
        return Turn(update, self.telegram.requests[first:], answers)

    # -- what the user sees ---------------------------------------------------------------

    @property
    def last(self) -> BotMessage:
        """The bot's message most recently sent or edited in this chat."""
        message = self.telegram.last_message(self.chat_id)
        assert message is not None, f"the bot has shown nothing in chat {self.chat_id}"
        return message

    @property
    def last_text(self) -> str:
        """What the user reads on the last screen (tags removed, entities decoded)."""
        return self.last.text

    @property
    def labels(self) -> list[str]:
        """The button texts of the last screen."""
        return self.last.labels

    @property
    def messages(self) -> list[BotMessage]:
        """Every message of the bot in this chat, oldest first, as shown now."""
        return self.telegram.messages(self.chat_id)

    def _update_id(self) -> int:
        return self.telegram.next_update_id()

    def _message_id(self) -> int:
        return self.telegram.next_message_id(self.chat_id)
