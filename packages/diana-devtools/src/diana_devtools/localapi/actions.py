"""The user side of the world: users write, forward and press buttons.

Each action stores what the user did and queues the update Telegram would send
the bot; it returns a `UserAction` with the update_id and the event seq to wait after.
"""

from __future__ import annotations

from typing import Any

from diana_devtools.localapi.errors import WorldError
from diana_devtools.localapi.formatting import inline_buttons, utf16_len
from diana_devtools.localapi.records import (
    CallbackQueryRecord,
    StoredMessage,
    UserAction,
    UserInfo,
)
from diana_devtools.localapi.state import World

JsonDict = dict[str, Any]


class UserActions:
    """Acts as Telegram users towards the bot, on a `World`."""

    def __init__(self, world: World) -> None:
        self.world = world

    def _sender(self, user_id: int, profile: dict[str, str | None]) -> UserInfo:
        return self.world.add_user(user_id, **{k: v for k, v in profile.items() if v is not None})

    def _user_message(
        self,
        user_id: int,
        chat_id: int | None,
        text: str,
        entities: list[JsonDict] | None,
        extra: JsonDict,
        profile: dict[str, str | None],
    ) -> UserAction:
        if not text:
            raise WorldError("text must not be empty")
        user = self._sender(user_id, profile)
        if chat_id is None or chat_id == user_id:
            chat = self.world.private_chat(user_id)
            user.started = True
        elif chat_id in self.world.chats and self.world.chats[chat_id].type in {
            "group",
            "supergroup",
        }:
            chat = self.world.chats[chat_id]
        else:
            raise WorldError(f"unknown group {chat_id}: add it with add_chat first")
        if entities is None and text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        message = StoredMessage(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            date=self.world.now(),
            sender=user.to_api(),
            from_bot=False,
            text=text,
            entities=entities or [],
            extra=extra,
        )
        chat.messages[message.message_id] = message
        update_id, event = self.world.enqueue(
            {"message": message.to_api(self.world.chat_json(chat))},
            chat_id=chat.id,
            message_id=message.message_id,
        )
        return UserAction(update_id, event.seq, message_id=message.message_id)

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        entities: list[JsonDict] | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> UserAction:
        """A user writes to the bot (private chat unless chat_id names a group).

        Text starting with "/" gets a bot_command entity at offset 0.
        """
        profile = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
        }
        return self._user_message(user_id, chat_id, text, entities, {}, profile)

    def _next_post_id(self, chat_id: int, message_id: int | None) -> int:
        if message_id is not None:
            return message_id
        chat = self.world.chats.get(chat_id)
        return chat.take_message_id() if chat else 1

    def forward_from_channel(
        self,
        user_id: int,
        channel_id: int,
        channel_title: str | None = None,
        channel_username: str | None = None,
        *,
        message_id: int | None = None,
        signature: str | None = None,
        text: str = "Forwarded post",
    ) -> UserAction:
        """A user forwards a channel post to the bot (forward_origin type "channel")."""
        known = self.world.chats.get(channel_id)
        channel: JsonDict = {
            "id": channel_id,
            "type": "channel",
            "title": channel_title or (known.title if known else None) or f"Channel {channel_id}",
        }
        if username := channel_username or (known.username if known else None):
            channel["username"] = username.lstrip("@")
        post_id = self._next_post_id(channel_id, message_id)
        date = self.world.now()
        origin: JsonDict = {"type": "channel", "chat": channel, "message_id": post_id, "date": date}
        extra: JsonDict = {
            "forward_origin": origin,
            "forward_from_chat": channel,
            "forward_from_message_id": post_id,
            "forward_date": date,
        }
        if signature is not None:
            origin["author_signature"] = signature
            extra["forward_signature"] = signature
        return self._user_message(user_id, None, text, None, extra, {})

    def forward_from_user(
        self,
        user_id: int,
        origin_user_id: int,
        origin_first_name: str = "Someone",
        origin_username: str | None = None,
        *,
        hidden: bool = False,
        text: str = "Forwarded message",
    ) -> UserAction:
        """A user forwards another user's message (origin "user", or "hidden_user")."""
        date = self.world.now()
        if hidden:
            origin: JsonDict = {
                "type": "hidden_user",
                "sender_user_name": origin_first_name,
                "date": date,
            }
            extra: JsonDict = {"forward_sender_name": origin_first_name}
        else:
            sender: JsonDict = {
                "id": origin_user_id,
                "is_bot": False,
                "first_name": origin_first_name,
            }
            if origin_username:
                sender["username"] = origin_username
            origin = {"type": "user", "sender_user": sender, "date": date}
            extra = {"forward_from": sender}
        extra = {"forward_origin": origin, **extra, "forward_date": date}
        return self._user_message(user_id, None, text, None, extra, {})

    def forward_from_chat(
        self,
        user_id: int,
        group_id: int,
        group_title: str | None = None,
        group_username: str | None = None,
        *,
        group_type: str = "supergroup",
        text: str = "Forwarded message",
    ) -> UserAction:
        """A user forwards a message sent on behalf of a group (origin "chat")."""
        known = self.world.chats.get(group_id)
        group: JsonDict = {
            "id": group_id,
            "type": group_type,
            "title": group_title or (known.title if known else None) or f"Group {group_id}",
        }
        if group_username:
            group["username"] = group_username.lstrip("@")
        date = self.world.now()
        origin = {"type": "chat", "sender_chat": group, "date": date}
        extra = {"forward_origin": origin, "forward_from_chat": group, "forward_date": date}
        return self._user_message(user_id, None, text, None, extra, {})

    def _button_data(
        self, message: StoredMessage, callback_data: str | None, button_text: str | None
    ) -> str:
        buttons = inline_buttons(message.reply_markup)
        if button_text is not None:
            button = next((b for b in buttons if b.get("text") == button_text), None)
            if button is None or "callback_data" not in button:
                texts = [b.get("text") for b in buttons]
                raise WorldError(f"no callback button {button_text!r} on the message: {texts}")
            return str(button["callback_data"])
        if callback_data is None:
            raise WorldError("give callback_data or button_text")
        if not any(b.get("callback_data") == callback_data for b in buttons):
            raise WorldError(
                f"no button with callback_data {callback_data!r}; pass forge=True to send it anyway"
            )
        return callback_data

    def press(
        self,
        user_id: int,
        message_id: int,
        callback_data: str | None = None,
        *,
        button_text: str | None = None,
        chat_id: int | None = None,
        forge: bool = False,
    ) -> UserAction:
        """A user presses an inline button on a bot message (a callback_query update).

        By default the button must exist on the message's current keyboard (found by
        callback_data or by its text). With forge=True any data is sent; a message
        that is unknown or deleted then arrives as an InaccessibleMessage (date 0).
        """
        user = self.world.add_user(user_id)
        chat = (
            self.world.private_chat(user_id) if chat_id is None else self.world.chats.get(chat_id)
        )
        if chat is None:
            raise WorldError(f"unknown chat {chat_id}")
        message = chat.messages.get(message_id)
        accessible = message is not None and not message.deleted
        if forge:
            if callback_data is None:
                raise WorldError("forge=True needs callback_data")
            data = callback_data
        elif message is None or not accessible:
            raise WorldError(f"no message {message_id} in chat {chat.id}")
        else:
            data = self._button_data(message, callback_data, button_text)
        chat_json = self.world.chat_json(chat)
        if message is not None and accessible:
            message_json = message.to_api(chat_json)
        else:
            message_json = {"chat": chat_json, "message_id": message_id, "date": 0}
        query_id = self.world.next_query_id()
        query = {
            "id": query_id,
            "from": user.to_api(),
            "message": message_json,
            "chat_instance": str(abs(chat.id) * 1_000_003 + 17),
            "data": data,
        }
        update_id, event = self.world.enqueue(
            {"callback_query": query},
            chat_id=chat.id,
            message_id=message_id,
            query_id=query_id,
        )
        self.world.callback_queries[query_id] = CallbackQueryRecord(
            query_id, user_id, chat.id, message_id, data, update_id
        )
        return UserAction(update_id, event.seq, message_id=message_id, callback_query_id=query_id)


__all__ = ["UserActions"]
