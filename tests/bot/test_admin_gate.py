"""The admin gate decides from the update alone, and answers a user once a minute."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram.types import Update

from diana_bot.bot.middlewares.auth import AdminGate

ADMIN = 1001
STRANGER = 2002


def _message(user: int, text: str, chat_type: str = "private", chat_id: int | None = None) -> Any:
    chat = {"id": chat_id or user, "type": chat_type}
    return {
        "message_id": 1,
        "date": int(datetime(2026, 12, 3, tzinfo=UTC).timestamp()),
        "chat": chat,
        "from": {"id": user, "is_bot": False, "first_name": "U"},
        "text": text,
    }


def _update(**payload: Any) -> Update:
    return Update.model_validate({"update_id": 1, **payload})


def _press(user: int, chat_type: str = "private") -> Update:
    message = _message(user, "menu", chat_type, chat_id=-100123 if chat_type != "private" else None)
    return _update(
        callback_query={
            "id": "q1",
            "from": {"id": user, "is_bot": False, "first_name": "U"},
            "chat_instance": "c",
            "data": "m:vip",
            "message": message,
        }
    )


def test_who_gets_through() -> None:
    gate = AdminGate(frozenset({ADMIN}))
    assert gate.check(_update(message=_message(ADMIN, "/admin"))).outcome == "pass"
    assert gate.check(_press(ADMIN)).outcome == "pass"
    refused = gate.check(_update(message=_message(STRANGER, "/admin")))
    assert (refused.outcome, refused.reply) == ("refused", "auth.refused")
    # Plain text from a stranger is refused without an answer.
    assert gate.check(_update(message=_message(STRANGER, "hola"))).reply is None
    assert gate.check(_press(STRANGER)).reply == "auth.refused"
    # An admin in a group: commands are told to use the private chat, text is ignored.
    group = gate.check(_update(message=_message(ADMIN, "/admin", "supergroup", -100123)))
    assert (group.outcome, group.reply) == ("refused", "auth.private_only")
    text = gate.check(_update(message=_message(ADMIN, "15", "group", -100123)))
    assert (text.outcome, text.reply) == ("refused", None)
    assert gate.check(_press(ADMIN, "supergroup")).reply == "auth.private_only"
    assert gate.check(_update(update_id=9)).outcome == "ignored"


def test_refusals_are_answered_once_per_user_per_window() -> None:
    now = [0.0]
    gate = AdminGate(frozenset({ADMIN}), clock=lambda: now[0], window_s=60, memory=3)
    assert gate.may_answer(STRANGER)
    assert not gate.may_answer(STRANGER)
    assert gate.may_answer(STRANGER + 1)
    now[0] = 59.9
    assert not gate.may_answer(STRANGER)
    now[0] = 60.0
    assert gate.may_answer(STRANGER)
    # Memory is bounded: past it, the oldest are forgotten first.
    for n in range(2, 10):
        assert gate.may_answer(STRANGER + n)
    assert len(gate._answered) <= 3
