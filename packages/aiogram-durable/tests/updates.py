"""Builders for Telegram updates fed straight into a Dispatcher."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from aiogram.types import CallbackQuery, Chat, Message, MessageEntity, Update, User

_ids = itertools.count(1)


def user(user_id: int) -> User:
    return User(id=user_id, is_bot=False, first_name=f"Admin{user_id}")


def text_update(user_id: int, text: str, *, update_id: int | None = None) -> Update:
    """A private-chat text message (a bot command when it starts with '/')."""
    entities = None
    if text.startswith("/"):
        entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
    message = Message(
        message_id=next(_ids),
        date=datetime.now(UTC),
        chat=Chat(id=user_id, type="private"),
        from_user=user(user_id),
        text=text,
        entities=entities,
    )
    return Update(update_id=update_id or next(_ids), message=message)


def callback_update(user_id: int, data: str, *, update_id: int | None = None) -> Update:
    """A button press on a bot message in the user's private chat."""
    message = Message(
        message_id=next(_ids),
        date=datetime.now(UTC),
        chat=Chat(id=user_id, type="private"),
        from_user=User(id=1, is_bot=True, first_name="Bot"),
        text="prompt",
    )
    query = CallbackQuery(
        id=str(next(_ids)),
        from_user=user(user_id),
        chat_instance="ci",
        data=data,
        message=message,
    )
    return Update(update_id=update_id or next(_ids), callback_query=query)
