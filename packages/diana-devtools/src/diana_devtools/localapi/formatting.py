"""Message text and reply markup as Telegram parses and validates them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from diana_devtools.localapi.errors import ApiError, bad_request

JsonDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class FormattedText:
    """Message text after entity parsing, as Telegram stores it."""

    text: str
    entities: list[JsonDict]


@dataclass
class _OpenTag:
    tag: str
    entity: JsonDict | None
    start: int


_TAG_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}


def _entity_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


class _HtmlEntityParser(HTMLParser):
    """Telegram's HTML parse mode: the supported tags only, strictly nested."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", source))]
        self._parts: list[str] = []
        self._length = 0
        self._entities: list[JsonDict] = []
        self._open: list[_OpenTag] = []

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        return len(self._source[: self._line_starts[line - 1] + column].encode())

    def _unsupported(self, tag: str) -> ApiError:
        return _entity_error(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        kind = _TAG_ENTITIES.get(tag)
        if kind is None or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            raise self._unsupported(tag)
        entity: JsonDict | None = {"type": kind}
        if tag == "a":
            href = attributes.get("href", "")
            mention = re.fullmatch(r"tg://user\?id=(\d+)", href)
            if mention:
                user = {"id": int(mention.group(1)), "is_bot": False, "first_name": ""}
                entity = {"type": "text_mention", "user": user}
            elif href:
                entity = {"type": "text_link", "url": href}
            else:
                entity = None
        elif tag == "code" and self._open and self._open[-1].tag == "pre":
            pre = self._open[-1].entity
            language = attributes.get("class", "")
            if pre is not None and language.startswith("language-"):
                pre["language"] = language.removeprefix("language-")
            entity = None
        elif tag == "blockquote" and "expandable" in attributes:
            entity = {"type": "expandable_blockquote"}
        elif tag == "tg-emoji":
            emoji_id = attributes.get("emoji-id", "")
            if not emoji_id.isdigit():
                raise _entity_error("Custom emoji entity must contain a valid emoji-id")
            entity = {"type": "custom_emoji", "custom_emoji_id": emoji_id}
        self._open.append(_OpenTag(tag, entity, self._length))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise self._unsupported(tag)

    def handle_endtag(self, tag: str) -> None:
        offset = self._byte_offset()
        if not self._open:
            raise _entity_error(f"Unexpected end tag at byte offset {offset}")
        top = self._open.pop()
        if top.tag != tag:
            raise _entity_error(
                f'Unmatched end tag at byte offset {offset}, expected "</{top.tag}>", '
                f'found "</{tag}>"'
            )
        if top.entity is not None and self._length > top.start:
            self._entities.append(
                {**top.entity, "offset": top.start, "length": self._length - top.start}
            )

    def handle_data(self, data: str) -> None:
        self._parts.append(data)
        self._length += utf16_len(data)

    def handle_comment(self, data: str) -> None:
        raise self._unsupported("!--")

    def handle_decl(self, decl: str) -> None:
        raise self._unsupported("!")

    def handle_pi(self, data: str) -> None:
        raise self._unsupported("?")

    def unknown_decl(self, data: str) -> None:
        raise self._unsupported("!")

    def result(self) -> FormattedText:
        """Finish parsing; unclosed tags are an error, as in Telegram."""
        self.close()
        if self._open:
            tag = self._open[-1].tag
            raise _entity_error(f'Can\'t find end tag corresponding to start tag "{tag}"')
        entities = sorted(self._entities, key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self._parts), entities)


def _check_bare_less_than(source: str) -> None:
    # Python's HTMLParser lets a "<" that opens no tag pass as text; Telegram does not.
    for match in re.finditer(r"<(?![A-Za-z/])", source):
        name = re.match(r"[^\s>]*", source[match.end() :])
        tag = name.group(0) if name else ""
        offset = len(source[: match.start()].encode())
        raise _entity_error(f'Unsupported start tag "{tag}" at byte offset {offset}')


def _trim(text: str, entities: list[JsonDict]) -> FormattedText:
    """Telegram strips surrounding whitespace and clips entities to what is left."""
    body = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(body)
    clipped: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return FormattedText(body, clipped)


def _check_entities(entities: object) -> list[JsonDict]:
    if entities is None:
        return []
    if not isinstance(entities, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("type"), str)
        and isinstance(e.get("offset"), int)
        and isinstance(e.get("length"), int)
        for e in entities
    ):
        raise bad_request("can't parse entities JSON object")
    return [dict(e) for e in entities]


def format_text(text: str | None, parse_mode: str | None, entities: object = None) -> FormattedText:
    """Parse message text the way sendMessage/editMessageText do, with their limits.

    HTML is parsed strictly (supported tags, proper nesting). Markdown modes are
    rejected loudly rather than half-parsed, so a bot relying on them notices.
    """
    if not text:
        raise bad_request("message text is empty")
    mode = (parse_mode or "").lower()
    if mode == "html":
        _check_bare_less_than(text)
        parser = _HtmlEntityParser(text)
        parser.feed(text)
        parsed = parser.result()
    elif mode in {"markdown", "markdownv2"}:
        raise _entity_error(f"parse mode {parse_mode} is not supported by the local Bot API")
    elif mode:
        raise bad_request("unsupported parse_mode")
    else:
        parsed = FormattedText(text, _check_entities(entities))
    trimmed = _trim(parsed.text, parsed.entities)
    if not trimmed.text:
        raise bad_request("message text is empty")
    if len(trimmed.text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return trimmed


def _check_inline_button(button: object) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a string")
    if not button["text"]:
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise bad_request("BUTTON_URL_INVALID")


def check_reply_markup(markup: object) -> tuple[JsonDict | None, JsonDict | None]:
    """Validate a reply_markup; return (inline keyboard, other keyboard)."""
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse inline keyboard markup JSON object")
        for row in rows:
            for button in row:
                _check_inline_button(button)
        # An empty inline keyboard means "no keyboard", as in Telegram.
        rows = [row for row in rows if row]
        return ({"inline_keyboard": rows} if rows else None), None
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse keyboard markup JSON object")
        return None, dict(markup)
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return None, dict(markup)
    raise bad_request("can't parse reply keyboard markup JSON object")


def inline_buttons(markup: JsonDict | None) -> list[JsonDict]:
    """All buttons of an inline keyboard, row by row."""
    if not markup:
        return []
    return [button for row in markup.get("inline_keyboard", []) for button in row]
