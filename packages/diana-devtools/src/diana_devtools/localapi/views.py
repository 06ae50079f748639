"""What the user-side client returns: frozen views of the world's JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Sent:
    """An update the user side produced, and the event seq to wait after."""

    update_id: int
    seq: int
    message_id: int | None = None
    callback_query_id: str | None = None

    @classmethod
    def from_json(cls, data: JsonDict) -> Sent:
        """Build from the endpoint's JSON."""
        return cls(
            data["update_id"], data["seq"], data.get("message_id"), data.get("callback_query_id")
        )


@dataclass(frozen=True)
class Button:
    """One inline keyboard button."""

    text: str
    row: int
    column: int
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class BotMessage:
    """A message as it is now in the chat, with its edit history.

    `seq` is the event that made a wait return it (0 when listed).
    """

    chat_id: int
    message_id: int
    from_bot: bool
    text: str
    entities: list[JsonDict]
    source_text: str | None
    parse_mode: str | None
    reply_markup: JsonDict | None
    reply_keyboard: JsonDict | None
    edit_date: int | None
    edits: list[JsonDict]
    deleted: bool
    api: JsonDict
    seq: int = 0

    @classmethod
    def from_json(cls, data: JsonDict, seq: int = 0) -> BotMessage:
        """Build from the endpoint's JSON view."""
        return cls(
            chat_id=data["chat_id"],
            message_id=data["message_id"],
            from_bot=data["from_bot"],
            text=data["text"],
            entities=data["entities"],
            source_text=data["source_text"],
            parse_mode=data["parse_mode"],
            reply_markup=data["reply_markup"],
            reply_keyboard=data["reply_keyboard"],
            edit_date=data["edit_date"],
            edits=data["edits"],
            deleted=data["deleted"],
            api=data["api"],
            seq=seq,
        )

    @property
    def buttons(self) -> list[Button]:
        """The inline keyboard's buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [
            Button(b["text"], r, c, b.get("callback_data"), b.get("url"))
            for r, row in enumerate(rows)
            for c, b in enumerate(row)
        ]

    def button(self, text: str) -> Button:
        """The button with this text; KeyError if there is none."""
        for button in self.buttons:
            if button.text == text:
                return button
        raise KeyError(f"no button {text!r}; buttons: {[b.text for b in self.buttons]}")


@dataclass(frozen=True)
class CallbackAnswer:
    """A pressed button and how the bot answered it (answered=False: not yet)."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    update_id: int
    answered: bool
    text: str | None = None
    show_alert: bool = False
    url: str | None = None

    @classmethod
    def from_json(cls, data: JsonDict) -> CallbackAnswer:
        """Build from the endpoint's JSON."""
        answer = data["answer"] or {}
        return cls(
            query_id=data["id"],
            user_id=data["user_id"],
            chat_id=data["chat_id"],
            message_id=data["message_id"],
            data=data["data"],
            update_id=data["update_id"],
            answered=data["answered"],
            text=answer.get("text"),
            show_alert=bool(answer.get("show_alert")),
            url=answer.get("url"),
        )


@dataclass(frozen=True)
class WorldEvent:
    """One numbered change of the world (see `EventKind` for the kinds)."""

    seq: int
    kind: str
    chat_id: int | None
    message_id: int | None
    update_id: int | None
    method: str | None
    query_id: str | None
    data: JsonDict

    @classmethod
    def from_json(cls, data: JsonDict) -> WorldEvent:
        """Build from the endpoint's JSON."""
        return cls(
            data["seq"],
            data["kind"],
            data["chat_id"],
            data["message_id"],
            data["update_id"],
            data["method"],
            data["query_id"],
            data["data"],
        )


@dataclass(frozen=True)
class RecordedCall:
    """One Bot API call the bot made (status None: still in flight)."""

    index: int
    method: str
    params: JsonDict
    bot_id: int
    status: int | None
    error: str | None

    @classmethod
    def from_json(cls, data: JsonDict) -> RecordedCall:
        """Build from the endpoint's JSON."""
        return cls(
            data["index"],
            data["method"],
            data["params"],
            data["bot_id"],
            data["status"],
            data["error"],
        )


@dataclass(frozen=True)
class UpdatesState:
    """The update queue: what the bot has not confirmed yet."""

    pending: list[JsonDict]
    confirmed_offset: int
    last_update_id: int

    @property
    def pending_ids(self) -> list[int]:
        """update_ids still waiting for confirmation, in queue order."""
        return [int(u["update_id"]) for u in self.pending]


__all__ = [
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "RecordedCall",
    "Sent",
    "UpdatesState",
    "WorldEvent",
]
