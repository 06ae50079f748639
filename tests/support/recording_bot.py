"""A Bot API stand-in inside the test process: an aiogram session that records calls.

``RecordingSession`` replaces the HTTP session of an aiogram ``Bot``. Every call the bot
makes is recorded (method name and parameters) and answered the way Telegram answers it,
with results decoded by aiogram itself (``check_response``), so handlers get real
``Message`` objects and real exceptions:

* ``sendMessage`` / ``editMessageText`` keep the chat's messages (ids grow per chat; the
  text is checked as Telegram checks HTML: an unknown or unbalanced tag is refused with
  "can't parse entities"; an edit that changes nothing is "message is not modified");
* ``answerCallbackQuery`` answers each press once (a second answer is "query is too
  old"), ``editMessageReplyMarkup``, ``setMyCommands`` and ``deleteWebhook`` return True;
* ``getChat`` / ``getChatMember`` answer from a table of known chats; any other chat is
  "Bad Request: chat not found";
* ``fail(method, ...)`` makes the next calls of a method fail: an error answer, a
  transport failure (``TelegramNetworkError``) or a body that is not the Bot API's JSON.

A method the stand-in does not know fails the test loudly (``NotImplementedError``).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict, deque
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any, Literal

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]

# Telegram's own limit for a message text (after entities are parsed).
MAX_TEXT_LENGTH = 4096
# Tags Telegram accepts with parse_mode=HTML.
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CHAT_NOT_FOUND = "Bad Request: chat not found"


@dataclass(frozen=True)
class Request:
    """One Bot API call as the bot made it."""

    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class KnownChat:
    """A chat ``getChat`` / ``getChatMember`` know about."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    # What getChatMember says about the bot in this chat.
    bot_status: MemberStatus = "administrator"


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent, as the chat shows it at one moment (a snapshot).

    ``html`` is the text as the bot sent it; ``text`` is what the user reads (tags
    removed, entities decoded).
    """

    chat_id: int
    message_id: int
    html: str
    text: str
    markup: InlineKeyboardMarkup | None

    @property
    def buttons(self) -> list[InlineKeyboardButton]:
        if self.markup is None:
            return []
        return [button for row in self.markup.inline_keyboard for button in row]

    @property
    def labels(self) -> list[str]:
        return [button.text for button in self.buttons]

    def button(self, label: str) -> InlineKeyboardButton:
        """The button whose text is ``label``; fails with the labels there are."""
        for button in self.buttons:
            if button.text == label:
                return button
        raise AssertionError(f"no button {label!r} on message {self.message_id}: {self.labels}")


@dataclass(frozen=True)
class CallbackAnswer:
    """An ``answerCallbackQuery`` Telegram accepted."""

    query_id: str
    text: str | None
    show_alert: bool


@dataclass(frozen=True)
class Refusal:
    """An error answer the stand-in gave, as Telegram would have."""

    method: str
    description: str


@dataclass(frozen=True)
class Failure:
    """How one call fails: ``status`` None is a transport failure (no answer at all);
    ``raw_body`` a body that is not the Bot API's JSON (a proxy's page)."""

    description: str
    status: int | None = 400
    raw_body: str | None = None


class _TelegramHtml(HTMLParser):
    """Checks text the way Telegram parses parse_mode=HTML; collects the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.error: str | None = None
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS and self.error is None:
            self.error = f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if (not self.open or self.open[-1] != tag) and self.error is None:
            self.error = f'Unmatched end tag "{tag}"'
        if self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def parse_html(html: str) -> tuple[str, str | None]:
    """``(plain text, error)`` of a parse_mode=HTML text."""
    parser = _TelegramHtml()
    parser.feed(html)
    parser.close()
    error = parser.error
    if error is None and parser.open:
        error = f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"'
    return unescape("".join(parser.parts)), error


class RecordingSession(BaseSession):
    """The session of a test's ``Bot``: records each call, answers like Telegram."""

    def __init__(self, chats: Iterable[KnownChat] = (), *, bot_username: str = "diana_bot") -> None:
        super().__init__()
        self.requests: list[Request] = []
        self.answers: list[CallbackAnswer] = []
        # Every error answer the stand-in gave by itself (not one made by ``fail``).
        self.refusals: list[Refusal] = []
        self.bot_username = bot_username
        self._chats: dict[int, KnownChat] = {}
        self._usernames: dict[str, int] = {}
        for chat in chats:
            self.add_chat(chat)
        self._messages: dict[tuple[int, int], BotMessage] = {}
        # (chat, message) of every send and text edit, oldest first.
        self._shown: list[tuple[int, int]] = []
        self._message_ids: defaultdict[int, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1)
        )
        self._update_ids = itertools.count(1)
        self._answered: set[str] = set()
        self._failures: defaultdict[str, deque[Failure]] = defaultdict(deque)
        self.closed = False
        # Bot API method name -> its answer: the result's JSON, or a _Refusal.
        self._answerers: dict[str, Callable[[Bot, Any], Any]] = {
            "getMe": self._get_me,
            "setMyCommands": self._set_my_commands,
            "deleteWebhook": self._delete_webhook,
            "answerCallbackQuery": self._answer_callback_query,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
        }

    # -- the world --------------------------------------------------------------------------

    def add_chat(self, chat: KnownChat) -> None:
        self._chats[chat.id] = chat
        if chat.username is not None:
            self._usernames[chat.username.lower()] = chat.id

    def fail(
        self,
        method: str,
        description: str = "Internal Server Error",
        *,
        status: int | None = 500,
        raw_body: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (``status=None``: the request
        never got an answer, as with a timeout or a refused connection)."""
        for _ in range(times):
            self._failures[method].append(Failure(description, status, raw_body))

    def next_message_id(self, chat_id: int) -> int:
        """A new message id in ``chat_id`` (the user's and the bot's share one sequence)."""
        return next(self._message_ids[chat_id])

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        """The bot's message as the chat shows it now."""
        return self._messages[chat_id, message_id]

    def find_message(self, chat_id: int, message_id: int) -> BotMessage | None:
        return self._messages.get((chat_id, message_id))

    def last_message(self, chat_id: int) -> BotMessage | None:
        """The bot's message most recently sent or edited in ``chat_id``."""
        for shown_chat, message_id in reversed(self._shown):
            if shown_chat == chat_id:
                return self._messages[shown_chat, message_id]
        return None

    def messages(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in ``chat_id``, oldest first, as they are shown now."""
        return [m for (c, _), m in sorted(self._messages.items()) if c == chat_id]

    def calls(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.method == method]

    def bot_user(self, bot: Bot) -> dict[str, Any]:
        return {"id": bot.id, "is_bot": True, "first_name": "Diana", "username": self.bot_username}

    def message_json(self, bot: Bot, message: BotMessage) -> dict[str, Any]:
        """The Bot API JSON of one of the bot's messages."""
        payload: dict[str, Any] = {
            "message_id": message.message_id,
            "date": _now(),
            "chat": self.chat_json(message.chat_id),
            "from": self.bot_user(bot),
            "text": message.text,
        }
        if message.markup is not None:
            payload["reply_markup"] = message.markup.model_dump(exclude_none=True)
        return payload

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        """A ``Chat`` object: a known chat as it is, any other positive id as a private
        chat, any other negative one as a supergroup."""
        known = self._chats.get(chat_id)
        if known is None:
            if chat_id > 0:
                return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
            return {"id": chat_id, "type": "supergroup", "title": f"Chat {chat_id}"}
        payload: dict[str, Any] = {"id": known.id, "type": known.type}
        if known.type == "private":
            payload["first_name"] = known.title or f"User{known.id}"
        else:
            payload["title"] = known.title or str(known.id)
        if known.username is not None:
            payload["username"] = known.username
        return payload

    # -- BaseSession ------------------------------------------------------------------------

    async def close(self) -> None:
        self.closed = True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("the recording session downloads nothing")
        yield b""  # pragma: no cover

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = method.__api_method__
        self.requests.append(Request(name, _params(bot, method)))
        failures = self._failures.get(name)
        if failures:
            failure = failures.popleft()
            if failure.status is None:
                raise TelegramNetworkError(method=method, message=failure.description)
            body = failure.raw_body
            if body is None:
                body = json.dumps(
                    {"ok": False, "error_code": failure.status, "description": failure.description}
                )
            return self.check_response(bot, method, failure.status, body).result  # type: ignore[return-value]
        answer = self._answerers.get(name)
        if answer is None:
            raise NotImplementedError(f"the recording session does not answer {name}")
        outcome = answer(bot, method)
        if isinstance(outcome, _Refusal):
            self.refusals.append(Refusal(name, outcome.description))
            body = json.dumps(
                {"ok": False, "error_code": outcome.status, "description": outcome.description}
            )
            self.check_response(bot, method, outcome.status, body)
            raise AssertionError("check_response accepted an error")  # pragma: no cover
        response = self.check_response(
            bot, method, 200, json.dumps({"ok": True, "result": outcome})
        )
        return response.result  # type: ignore[return-value]

    # -- the methods ----------------------------------------------------------------------

    def _get_me(self, bot: Bot, method: Any) -> Any:
        return {
            **self.bot_user(bot),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
        }

    def _set_my_commands(self, bot: Bot, method: Any) -> Any:
        return True

    def _delete_webhook(self, bot: Bot, method: Any) -> Any:
        return True

    def _answer_callback_query(self, bot: Bot, method: Any) -> Any:
        if method.callback_query_id in self._answered:
            return _Refusal(400, QUERY_TOO_OLD)
        self._answered.add(method.callback_query_id)
        self.answers.append(
            CallbackAnswer(method.callback_query_id, method.text, bool(method.show_alert))
        )
        return True

    def _send_message(self, bot: Bot, method: Any) -> Any:
        chat_id = self._chat_id(method.chat_id)
        if chat_id is None:
            return _Refusal(400, CHAT_NOT_FOUND)
        rendered = self._render(bot, method.text, method.parse_mode)
        if isinstance(rendered, _Refusal):
            return rendered
        message = BotMessage(
            chat_id,
            self.next_message_id(chat_id),
            method.text,
            rendered,
            _inline(method.reply_markup),
        )
        self._show(message)
        return self.message_json(bot, message)

    def _edit_message_text(self, bot: Bot, method: Any) -> Any:
        found = self._find(method.chat_id, method.message_id)
        if found is None:
            return _Refusal(400, "Bad Request: message to edit not found")
        rendered = self._render(bot, method.text, method.parse_mode)
        if isinstance(rendered, _Refusal):
            return rendered
        markup = _inline(method.reply_markup)
        if found.html == method.text and found.markup == markup:
            return _Refusal(400, NOT_MODIFIED)
        message = BotMessage(found.chat_id, found.message_id, method.text, rendered, markup)
        self._show(message)
        return self.message_json(bot, message)

    def _edit_message_reply_markup(self, bot: Bot, method: Any) -> Any:
        found = self._find(method.chat_id, method.message_id)
        if found is None:
            return _Refusal(400, "Bad Request: message to edit not found")
        markup = _inline(method.reply_markup)
        if found.markup == markup:
            return _Refusal(400, NOT_MODIFIED)
        self._messages[found.chat_id, found.message_id] = BotMessage(
            found.chat_id, found.message_id, found.html, found.text, markup
        )
        return True

    def _get_chat(self, bot: Bot, method: Any) -> Any:
        chat_id = self._chat_id(method.chat_id)
        if chat_id is None or chat_id not in self._chats:
            return _Refusal(400, CHAT_NOT_FOUND)
        payload = self.chat_json(chat_id)
        payload.update(
            accent_color_id=0,
            max_reaction_count=0,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return payload

    def _get_chat_member(self, bot: Bot, method: Any) -> Any:
        chat_id = self._chat_id(method.chat_id)
        if chat_id is None or chat_id not in self._chats:
            return _Refusal(400, CHAT_NOT_FOUND)
        if method.user_id != bot.id:
            return _Refusal(400, "Bad Request: user not found")
        status = self._chats[chat_id].bot_status
        user = self.bot_user(bot)
        if status == "administrator":
            rights = dict.fromkeys(_ADMIN_RIGHTS, True)
            return {"status": status, "user": user, "can_be_edited": False, **rights}
        if status == "creator":
            return {"status": status, "user": user, "is_anonymous": False}
        if status == "restricted":
            raise NotImplementedError("restricted members are not modelled")
        if status == "kicked":
            return {"status": status, "user": user, "until_date": 0}
        return {"status": status, "user": user}

    # -- helpers ----------------------------------------------------------------------------

    def _chat_id(self, ref: int | str) -> int | None:
        if isinstance(ref, int):
            return ref
        if ref.startswith("@"):
            return self._usernames.get(ref[1:].lower())
        try:
            return int(ref)
        except ValueError:
            return None

    def _find(self, chat_ref: int | str | None, message_id: int | None) -> BotMessage | None:
        chat_id = self._chat_id(chat_ref) if chat_ref is not None else None
        if chat_id is None or message_id is None:
            return None
        return self._messages.get((chat_id, message_id))

    def _render(self, bot: Bot, text: str, parse_mode: Any) -> str | _Refusal:
        if isinstance(parse_mode, Default):
            parse_mode = bot.default[parse_mode.name]
        if parse_mode is None:
            plain = text
        else:
            mode = str(getattr(parse_mode, "value", parse_mode))
            assert mode.upper() == "HTML", f"parse mode {mode} not modelled"
            plain, error = parse_html(text)
            if error is not None:
                return _Refusal(400, f"Bad Request: can't parse entities: {error}")
        if not plain.strip():
            return _Refusal(400, "Bad Request: message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            return _Refusal(400, "Bad Request: message is too long")
        return plain

    def _show(self, message: BotMessage) -> None:
        self._messages[message.chat_id, message.message_id] = message
        self._shown.append((message.chat_id, message.message_id))


_ADMIN_RIGHTS = (
    "is_anonymous",
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
    "can_post_messages",
    "can_edit_messages",
    "can_send_welcome_messages",
)


@dataclass(frozen=True)
class _Refusal:
    """An error answer a method gives (decoded into aiogram's exception)."""

    status: int
    description: str


def _inline(markup: Any) -> InlineKeyboardMarkup | None:
    if markup is None:
        return None
    assert isinstance(markup, InlineKeyboardMarkup), f"keyboard {type(markup)} not modelled"
    return markup


def _params(bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
    """The call's parameters as sent: defaults resolved, unset ones left out."""
    params: dict[str, Any] = {}
    for name, value in method.model_dump(exclude_none=True, warnings=False).items():
        if isinstance(value, Default):
            value = bot.default[value.name]
            if value is None:
                continue
        params[name] = getattr(value, "value", value)  # enums as the wire has them
    return params


def _now() -> int:
    return int(datetime.now(UTC).timestamp())
