"""The Bot API methods of the stand-in, with Telegram's semantics and error texts.

Parameters arrive as strings from forms or typed from JSON bodies;
`normalize_params` gives both the same typed shape before a method runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from diana_devtools.localapi.errors import (
    NOT_MODIFIED,
    POLL_CONFLICT,
    QUERY_TOO_OLD,
    WEBHOOK_CONFLICT,
    ApiError,
    bad_request,
)
from diana_devtools.localapi.formatting import check_reply_markup, format_text
from diana_devtools.localapi.records import (
    BotIdentity,
    ChatInfo,
    EventKind,
    PendingUpdate,
    StoredMessage,
    WebhookConfig,
    member_json,
)
from diana_devtools.localapi.state import World

JsonDict = dict[str, Any]

MAX_POLL_TIMEOUT = 50.0
MAX_CALLBACK_ANSWER_LENGTH = 200
_INT_FIELDS = frozenset(
    {
        "message_id",
        "user_id",
        "offset",
        "limit",
        "max_connections",
        "cache_time",
        "message_thread_id",
        "reply_to_message_id",
        "from_chat_id",
        "until_date",
        "expire_date",
        "member_limit",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "only_if_banned",
        "revoke_messages",
        "creates_join_request",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "message_ids",
    }
)
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_INT_RE = re.compile(r"^-?\d+$")


def _decode(key: str, value: str) -> Any:
    if key == "chat_id" or key in _INT_FIELDS:
        return int(value) if _INT_RE.match(value) else value
    if key == "timeout":
        try:
            return float(value)
        except ValueError:
            return value
    if key in _BOOL_FIELDS:
        return {"true": True, "1": True, "false": False, "0": False}.get(value.lower(), value)
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def normalize_params(raw: Mapping[str, Any]) -> JsonDict:
    """Turn form strings into the JSON types Telegram would read them as."""
    return {k: _decode(k, v) if isinstance(v, str) else v for k, v in raw.items()}


class Params:
    """Typed access to one call's parameters, failing like Telegram does."""

    def __init__(self, values: JsonDict) -> None:
        self.values = values

    def get(self, name: str) -> Any:
        """The raw value, or None."""
        return self.values.get(name)

    def opt_str(self, name: str) -> str | None:
        """A string parameter, if given."""
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise bad_request(f"{name} must be a string")
        return value

    def opt_int(self, name: str) -> int | None:
        """An integer parameter, if given."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"invalid {name} specified")
        return value

    def required_int(self, name: str, missing: str) -> int:
        """A required integer parameter; `missing` is the error text when absent."""
        value = self.opt_int(name)
        if value is None:
            raise bad_request(missing)
        return value

    def number(self, name: str, default: float) -> float:
        """A numeric parameter with a default."""
        value = self.values.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad_request(f"invalid {name} specified")
        return float(value)

    def flag(self, name: str) -> bool:
        """A boolean parameter (absent means False)."""
        return self.values.get(name) is True

    def chat_id(self) -> int | str:
        """chat_id: an integer id or "@username"."""
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.startswith("@"):
            return value
        raise bad_request("chat not found")

    def str_list(self, name: str) -> list[str] | None:
        """A JSON array of strings, if given."""
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad_request(f"can't parse {name}")
        return value


Handler = Callable[["BotApiMethods", BotIdentity, Params], Awaitable[Any]]


class BotApiMethods:
    """Runs Bot API calls against a `World`."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._handlers: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in _HANDLERS.items()
        }

    def canonical(self, method: str) -> str:
        """Method names are case-insensitive; report them in Telegram's spelling."""
        known = self._handlers.get(method.lower())
        return known[0] if known else method

    async def call(self, bot: BotIdentity, method: str, params: JsonDict) -> Any:
        """Run a method; raises `ApiError` as Telegram would answer."""
        known = self._handlers.get(method.lower())
        if known is None:
            raise ApiError(404, "Not Found: method not found")
        return await known[1](self, bot, Params(params))

    # ------------------------------------------------------------------ helpers

    def bot_user(self, bot: BotIdentity) -> JsonDict:
        """The bot's User object."""
        w = self.world
        return {
            "id": bot.id,
            "is_bot": True,
            "first_name": w.bot_first_name,
            "username": w.bot_username,
        }

    def _find_chat(self, chat_id: int | str) -> ChatInfo:
        w = self.world
        if isinstance(chat_id, str):
            username = chat_id[1:].lower()
            found = next(
                (c for c in w.chats.values() if c.username and c.username.lower() == username),
                None,
            )
        elif chat_id > 0:
            found = w.private_chat(chat_id) if chat_id in w.users else None
        else:
            found = w.chats.get(chat_id)
        # A private group or channel is invisible to a bot that is not in it.
        if found is None or (
            found.type != "private"
            and found.bot_status in {"left", "kicked"}
            and not found.username
        ):
            raise bad_request("chat not found")
        return found

    def _check_can_reach(self, chat: ChatInfo, *, posting: bool) -> None:
        if chat.type == "private":
            user = self.world.users[chat.id]
            if user.blocked_bot:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if posting and not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            return
        kind = "channel" if chat.type == "channel" else chat.type
        if chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        if chat.type == "channel" and posting:
            can_post = chat.bot_rights.get("can_post_messages", True)
            if chat.bot_status not in {"administrator", "creator"} or not can_post:
                raise bad_request("need administrator rights in the channel chat")

    def _own_message(
        self, bot: BotIdentity, p: Params, not_found: str
    ) -> tuple[ChatInfo, StoredMessage]:
        if p.get("inline_message_id") is not None:
            raise bad_request("inline messages are not supported by the local Bot API")
        chat = self._find_chat(p.chat_id())
        message_id = p.required_int("message_id", "message identifier is not specified")
        self._check_can_reach(chat, posting=False)
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request(not_found)
        if not message.from_bot or message.sender.get("id") != bot.id:
            raise bad_request("message can't be edited")
        return chat, message

    def _edited(self, chat: ChatInfo, message: StoredMessage) -> JsonDict:
        w = self.world
        w.emit(EventKind.MESSAGE_EDITED, chat_id=chat.id, message_id=message.message_id)
        return message.to_api(w.chat_json(chat))


# ---------------------------------------------------------------------- methods


async def _get_me(m: BotApiMethods, bot: BotIdentity, p: Params) -> JsonDict:
    return {
        **m.bot_user(bot),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def _get_updates(m: BotApiMethods, bot: BotIdentity, p: Params) -> list[JsonDict]:
    w = m.world
    if w.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    offset = p.opt_int("offset")
    limit = min(max(p.opt_int("limit") or 100, 1), 100)
    timeout = min(max(p.number("timeout", 0.0), 0.0), MAX_POLL_TIMEOUT)
    allowed = p.str_list("allowed_updates")
    if allowed is not None:
        w.allowed_updates = allowed
    if offset is not None:
        w.confirm(offset)
    # Like Telegram, a newer getUpdates call ends an older one that is still waiting.
    w.poll_generation += 1
    generation = w.poll_generation
    w.notify()

    def ready() -> list[PendingUpdate] | None:
        if w.poll_generation != generation:
            raise ApiError(409, POLL_CONFLICT)
        if w.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        return w.deliverable(limit) or None

    entries = await w.wait_until(ready, timeout) or []
    if entries:
        w.mark_delivered(entries)
    return [entry.update for entry in entries]


async def _send_message(m: BotApiMethods, bot: BotIdentity, p: Params) -> JsonDict:
    w = m.world
    chat = m._find_chat(p.chat_id())
    m._check_can_reach(chat, posting=True)
    text = p.opt_str("text")
    parse_mode = p.opt_str("parse_mode")
    formatted = format_text(text, parse_mode, p.get("entities"))
    inline, other = check_reply_markup(p.get("reply_markup"))
    message = StoredMessage(
        chat_id=chat.id,
        message_id=chat.take_message_id(),
        date=w.now(),
        sender=m.bot_user(bot),
        from_bot=True,
        text=formatted.text,
        entities=formatted.entities,
        source_text=text,
        parse_mode=parse_mode,
        reply_markup=inline,
        reply_keyboard=other,
    )
    chat.messages[message.message_id] = message
    w.emit(EventKind.MESSAGE_SENT, chat_id=chat.id, message_id=message.message_id)
    return message.to_api(w.chat_json(chat))


async def _edit_message_text(m: BotApiMethods, bot: BotIdentity, p: Params) -> JsonDict:
    chat, message = m._own_message(bot, p, "message to edit not found")
    text = p.opt_str("text")
    parse_mode = p.opt_str("parse_mode")
    formatted = format_text(text, parse_mode, p.get("entities"))
    # Without reply_markup the inline keyboard goes away, as in Telegram.
    inline, _ = check_reply_markup(p.get("reply_markup"))
    current = (message.text, message.entities, message.reply_markup)
    if current == (formatted.text, formatted.entities, inline):
        raise ApiError(400, NOT_MODIFIED)
    message.edits.append(message.snapshot())
    message.text, message.entities = formatted.text, formatted.entities
    message.source_text, message.parse_mode = text, parse_mode
    message.reply_markup = inline
    message.edit_date = m.world.now()
    return m._edited(chat, message)


async def _edit_message_reply_markup(m: BotApiMethods, bot: BotIdentity, p: Params) -> JsonDict:
    chat, message = m._own_message(bot, p, "message to edit not found")
    inline, other = check_reply_markup(p.get("reply_markup"))
    if other is not None:
        raise bad_request("inline keyboard expected")
    if inline == message.reply_markup:
        raise ApiError(400, NOT_MODIFIED)
    message.edits.append(message.snapshot())
    message.reply_markup = inline
    message.edit_date = m.world.now()
    return m._edited(chat, message)


async def _delete_message(m: BotApiMethods, bot: BotIdentity, p: Params) -> bool:
    chat = m._find_chat(p.chat_id())
    message_id = p.required_int("message_id", "message identifier is not specified")
    m._check_can_reach(chat, posting=False)
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    others = chat.type != "private" and not message.from_bot
    if others and chat.bot_status not in {"administrator", "creator"}:
        raise bad_request("message can't be deleted")
    message.deleted = True
    m.world.emit(EventKind.MESSAGE_DELETED, chat_id=chat.id, message_id=message_id)
    return True


async def _answer_callback_query(m: BotApiMethods, bot: BotIdentity, p: Params) -> bool:
    w = m.world
    query = w.callback_queries.get(p.opt_str("callback_query_id") or "")
    if query is None or query.answer is not None:
        raise ApiError(400, QUERY_TOO_OLD)
    text = p.opt_str("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    answer: JsonDict = {"text": text, "show_alert": p.flag("show_alert")}
    if (url := p.opt_str("url")) is not None:
        answer["url"] = url
    if (cache_time := p.opt_int("cache_time")) is not None:
        answer["cache_time"] = cache_time
    query.answer = answer
    w.emit(
        EventKind.CALLBACK_ANSWERED,
        chat_id=query.chat_id,
        message_id=query.message_id,
        query_id=query.id,
    )
    return True


async def _get_chat(m: BotApiMethods, bot: BotIdentity, p: Params) -> JsonDict:
    chat = m._find_chat(p.chat_id())
    gifts = chat.type == "private"
    return {
        **m.world.chat_json(chat),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": gifts,
            "limited_gifts": gifts,
            "unique_gifts": gifts,
            "premium_subscription": gifts,
            "gifts_from_channels": gifts,
        },
    }


async def _get_chat_member(m: BotApiMethods, bot: BotIdentity, p: Params) -> JsonDict:
    w = m.world
    chat = m._find_chat(p.chat_id())
    user_id = p.required_int("user_id", "user not found")
    if user_id == bot.id:
        status = "member" if chat.type == "private" else chat.bot_status
        return member_json(status, m.bot_user(bot), chat.bot_rights)
    if chat.type == "private":
        if user_id != chat.id:
            raise bad_request("user not found")
        return member_json("member", w.users[user_id].to_api())
    if chat.type == "channel" and chat.bot_status not in {"administrator", "creator"}:
        raise bad_request("member list is inaccessible")
    user = w.users.get(user_id)
    if user is None and user_id not in chat.members:
        raise bad_request("user not found")
    user_json = user.to_api() if user else {"id": user_id, "is_bot": False, "first_name": ""}
    return member_json(chat.members.get(user_id, "left"), user_json)


def _commands_key(p: Params) -> str:
    scope = p.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object")
    return f"{json.dumps(scope, sort_keys=True)}|{p.opt_str('language_code') or ''}"


async def _set_my_commands(m: BotApiMethods, bot: BotIdentity, p: Params) -> bool:
    commands = p.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    m.world.commands[_commands_key(p)] = [dict(c) for c in commands]
    return True


async def _delete_my_commands(m: BotApiMethods, bot: BotIdentity, p: Params) -> bool:
    m.world.commands.pop(_commands_key(p), None)
    return True


async def _get_my_commands(m: BotApiMethods, bot: BotIdentity, p: Params) -> list[JsonDict]:
    return m.world.commands.get(_commands_key(p), [])


async def _set_webhook(m: BotApiMethods, bot: BotIdentity, p: Params) -> bool:
    w = m.world
    url = p.opt_str("url")
    if url is None:
        raise bad_request("parameter url is required")
    if p.flag("drop_pending_updates"):
        w.drop_pending()
    if not url:
        w.webhook = None
        w.emit(EventKind.WORLD_CHANGED, method="deleteWebhook")
        return True
    # Real Telegram wants HTTPS on ports 443/80/88/8443; a local stand-in must take http.
    if not re.match(r"^https?://[^\s/]+", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.opt_str("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    w.webhook = WebhookConfig(
        url=url,
        bot_id=bot.id,
        token=bot.token,
        secret_token=secret,
        allowed_updates=p.str_list("allowed_updates"),
        max_connections=p.opt_int("max_connections") or 40,
    )
    w.emit(EventKind.WORLD_CHANGED, method="setWebhook", data={"url": url})
    return True


async def _delete_webhook(m: BotApiMethods, bot: BotIdentity, p: Params) -> bool:
    w = m.world
    if p.flag("drop_pending_updates"):
        w.drop_pending()
    w.webhook = None
    w.emit(EventKind.WORLD_CHANGED, method="deleteWebhook")
    return True


async def _get_webhook_info(m: BotApiMethods, bot: BotIdentity, p: Params) -> JsonDict:
    webhook = m.world.webhook
    info: JsonDict = {
        "url": webhook.url if webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(m.world.queue),
    }
    if webhook is not None:
        info["max_connections"] = webhook.max_connections
        if webhook.allowed_updates is not None:
            info["allowed_updates"] = webhook.allowed_updates
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
    return info


_HANDLERS: dict[str, Handler] = {
    "getMe": _get_me,
    "getUpdates": _get_updates,
    "sendMessage": _send_message,
    "editMessageText": _edit_message_text,
    "editMessageReplyMarkup": _edit_message_reply_markup,
    "deleteMessage": _delete_message,
    "answerCallbackQuery": _answer_callback_query,
    "getChat": _get_chat,
    "getChatMember": _get_chat_member,
    "setMyCommands": _set_my_commands,
    "deleteMyCommands": _delete_my_commands,
    "getMyCommands": _get_my_commands,
    "setWebhook": _set_webhook,
    "deleteWebhook": _delete_webhook,
    "getWebhookInfo": _get_webhook_info,
}

__all__ = ["BotApiMethods", "Params", "normalize_params"]
