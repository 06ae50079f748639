"""The user side over HTTP: `/_test/...` endpoints that act on and observe the world.

Everything is JSON in and out: `{"ok": true, "result": ...}`, or
`{"ok": false, "error": "..."}` with status 400 (a request that makes no sense in
the world) or 404 (nothing found). `/_test/wait` long-polls for the next matching
event after a sequence number, so callers never sleep to synchronise.

GET  state | messages?chat_id&include_user&include_deleted | message?chat_id&message_id
     callback_answers?query_id | updates | requests?method&since | events?after&<filter>
     wait?after&timeout&<filter> | webhook | commands
     <filter>: kinds (comma list of EventKind values, or "bot_message"), chat_id,
     message_id, update_id, method, query_id
POST reset | users | block | chats | channels | fail
     send_text | forward_from_channel | forward_from_user | forward_from_chat
     press | redeliver   (these return {update_id, seq, message_id, callback_query_id})

A POST must be ``application/json`` (else 415) and, when it carries an Origin, come
from the server's own origin, ``http://127.0.0.1:<port>`` or ``http://localhost:<port>``
(else 403). A web page on another site can make a browser send a ``text/plain``
or form POST anywhere without asking; it cannot send JSON cross-site without a
CORS preflight, which this server never grants. Clients that are not browsers
(the tests' `BotApiUser`, aiohttp) send no Origin and are let through.
`refuse_cross_site` is the same check for the sandbox's page.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection
from typing import Any, Final

from aiohttp import web

from diana_devtools.localapi.actions import UserActions
from diana_devtools.localapi.errors import WorldError
from diana_devtools.localapi.records import BOT_MESSAGE_KINDS, EventFilter, EventKind
from diana_devtools.localapi.state import World

JsonDict = dict[str, Any]
MAX_WAIT = 120.0
# The only names a local server answers to: a DNS name (``127.0.0.1.nip.io``) can be
# rebound by its owner to 127.0.0.1, which would make another site "same-origin".
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost")
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_Route = Callable[[World, "_Args"], Awaitable[Any]]


class _Args:
    """Typed reads of a JSON body or query string; bad input is a WorldError (400)."""

    def __init__(self, values: JsonDict) -> None:
        self.values = values

    def _get(self, name: str, kind: type, required: bool) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise WorldError(f"{name} is required")
            return None
        if kind is int and isinstance(value, str):
            try:
                value = int(value)
            except ValueError as exc:
                raise WorldError(f"{name} must be an integer") from exc
        if kind is float and isinstance(value, str | int) and not isinstance(value, bool):
            try:
                value = float(value)
            except ValueError as exc:
                raise WorldError(f"{name} must be a number") from exc
        if kind is bool and isinstance(value, str):
            value = value.lower() in {"1", "true", "yes"}
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise WorldError(f"{name} must be {kind.__name__}")
        return value

    def req_int(self, name: str) -> int:
        return int(self._get(name, int, True))

    def opt_int(self, name: str) -> int | None:
        value = self._get(name, int, False)
        return None if value is None else int(value)

    def req_str(self, name: str) -> str:
        return str(self._get(name, str, True))

    def opt_str(self, name: str) -> str | None:
        value = self._get(name, str, False)
        return None if value is None else str(value)

    def flag(self, name: str) -> bool:
        return bool(self._get(name, bool, False))

    def number(self, name: str, default: float) -> float:
        value = self._get(name, float, False)
        return default if value is None else float(value)

    def obj(self, name: str) -> Any:
        return self.values.get(name)


def _rights(value: Any) -> dict[str, bool] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, bool) for v in value.values()):
        raise WorldError("bot_rights must map right names to booleans")
    return {str(k): v for k, v in value.items()}


def _members(value: Any) -> dict[int, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise WorldError("members must map user ids to statuses")
    return {int(k): str(v) for k, v in value.items()}


def _filter(a: _Args) -> EventFilter:
    kinds = a.opt_str("kinds")
    if kinds == "bot_message":
        selected: frozenset[EventKind] | None = BOT_MESSAGE_KINDS
    elif kinds:
        try:
            selected = frozenset(EventKind(k.strip()) for k in kinds.split(","))
        except ValueError as exc:
            raise WorldError(f"unknown event kind in {kinds!r}") from exc
    else:
        selected = None
    return EventFilter(
        kinds=selected,
        chat_id=a.opt_int("chat_id"),
        message_id=a.opt_int("message_id"),
        update_id=a.opt_int("update_id"),
        method=a.opt_str("method"),
        query_id=a.opt_str("query_id"),
    )


# ---------------------------------------------------------------------- routes


async def _state(w: World, a: _Args) -> JsonDict:
    return {
        "seq": w.seq,
        "confirmed_offset": w.confirmed_offset,
        "pending_count": len(w.queue),
        "webhook_url": w.webhook.url if w.webhook else None,
        "bot": {"first_name": w.bot_first_name, "username": w.bot_username},
    }


async def _reset(w: World, a: _Args) -> JsonDict:
    w.reset()
    return {"seq": w.seq}


async def _add_user(w: World, a: _Args) -> JsonDict:
    user = w.add_user(
        a.req_int("user_id"),
        first_name=a.opt_str("first_name"),
        last_name=a.opt_str("last_name"),
        username=a.opt_str("username"),
        language_code=a.opt_str("language_code"),
    )
    return user.to_api()


async def _block(w: World, a: _Args) -> JsonDict:
    blocked = a.values.get("blocked", True) is not False
    w.block_bot(a.req_int("user_id"), blocked=blocked)
    return {"seq": w.seq}


async def _add_chat(w: World, a: _Args) -> JsonDict:
    chat = w.add_chat(
        a.req_int("chat_id"),
        type=a.opt_str("type") or "supergroup",
        title=a.opt_str("title"),
        username=a.opt_str("username"),
        bot_status=a.opt_str("bot_status") or "administrator",
        bot_rights=_rights(a.obj("bot_rights")),
        members=_members(a.obj("members")),
    )
    return w.chat_json(chat)


async def _add_channel(w: World, a: _Args) -> JsonDict:
    chat = w.add_channel(
        a.req_int("channel_id"),
        a.req_str("title"),
        a.opt_str("username"),
        a.opt_str("bot_status") or "administrator",
        bot_rights=_rights(a.obj("bot_rights")),
        members=_members(a.obj("members")),
    )
    return w.chat_json(chat)


async def _send_text(w: World, a: _Args) -> JsonDict:
    entities = a.obj("entities")
    if entities is not None and not isinstance(entities, list):
        raise WorldError("entities must be a list")
    return (
        UserActions(w)
        .send_text(
            a.req_int("user_id"),
            a.req_str("text"),
            chat_id=a.opt_int("chat_id"),
            entities=entities,
            first_name=a.opt_str("first_name"),
            last_name=a.opt_str("last_name"),
            username=a.opt_str("username"),
            language_code=a.opt_str("language_code"),
        )
        .to_json()
    )


async def _forward_from_channel(w: World, a: _Args) -> JsonDict:
    return (
        UserActions(w)
        .forward_from_channel(
            a.req_int("user_id"),
            a.req_int("channel_id"),
            a.opt_str("channel_title"),
            a.opt_str("channel_username"),
            message_id=a.opt_int("message_id"),
            signature=a.opt_str("signature"),
            text=a.opt_str("text") or "Forwarded post",
        )
        .to_json()
    )


async def _forward_from_user(w: World, a: _Args) -> JsonDict:
    return (
        UserActions(w)
        .forward_from_user(
            a.req_int("user_id"),
            a.req_int("origin_user_id"),
            a.opt_str("origin_first_name") or "Someone",
            a.opt_str("origin_username"),
            hidden=a.flag("hidden"),
            text=a.opt_str("text") or "Forwarded message",
        )
        .to_json()
    )


async def _forward_from_chat(w: World, a: _Args) -> JsonDict:
    return (
        UserActions(w)
        .forward_from_chat(
            a.req_int("user_id"),
            a.req_int("group_id"),
            a.opt_str("group_title"),
            a.opt_str("group_username"),
            group_type=a.opt_str("group_type") or "supergroup",
            text=a.opt_str("text") or "Forwarded message",
        )
        .to_json()
    )


async def _press(w: World, a: _Args) -> JsonDict:
    return (
        UserActions(w)
        .press(
            a.req_int("user_id"),
            a.req_int("message_id"),
            a.opt_str("callback_data"),
            button_text=a.opt_str("button_text"),
            chat_id=a.opt_int("chat_id"),
            forge=a.flag("forge"),
        )
        .to_json()
    )


async def _redeliver(w: World, a: _Args) -> JsonDict:
    return w.redeliver(a.req_int("update_id")).to_json()


async def _fail(w: World, a: _Args) -> JsonDict:
    w.fail(
        a.req_str("method"),
        times=a.opt_int("times") or 1,
        code=a.opt_int("code") or 400,
        description=a.opt_str("description"),
        retry_after=a.opt_int("retry_after"),
    )
    return {"seq": w.seq}


async def _messages(w: World, a: _Args) -> list[JsonDict]:
    found = w.messages(
        a.req_int("chat_id"),
        include_user=a.flag("include_user"),
        include_deleted=a.flag("include_deleted"),
    )
    return [w.message_view(m) for m in found]


async def _message(w: World, a: _Args) -> JsonDict:
    message = w.find_message(a.req_int("chat_id"), a.req_int("message_id"))
    if message is None:
        raise web.HTTPNotFound(
            text=json.dumps({"ok": False, "error": "no such message"}),
            content_type="application/json",
        )
    return w.message_view(message)


async def _callback_answers(w: World, a: _Args) -> list[JsonDict]:
    query_id = a.opt_str("query_id")
    queries = w.callback_queries.values()
    return [q.to_json() for q in queries if query_id is None or q.id == query_id]


async def _updates(w: World, a: _Args) -> JsonDict:
    return {
        "pending": [entry.update for entry in w.queue],
        "confirmed_offset": w.confirmed_offset,
        "last_update_id": max(w.all_updates, default=0),
    }


async def _requests(w: World, a: _Args) -> list[JsonDict]:
    method = (a.opt_str("method") or "").lower()
    since = a.opt_int("since") or 0
    return [r.to_json() for r in w.requests[since:] if not method or r.method.lower() == method]


async def _events(w: World, a: _Args) -> list[JsonDict]:
    after = a.opt_int("after") or 0
    match = _filter(a)
    return [e.to_json() for e in w.events if e.seq > after and match(e)]


async def _wait(w: World, a: _Args) -> JsonDict:
    after = a.opt_int("after") or 0
    timeout = min(max(a.number("timeout", 5.0), 0.0), MAX_WAIT)
    event = await w.wait_event(after, _filter(a), timeout)
    message = None
    if event is not None and event.chat_id is not None and event.message_id is not None:
        stored = w.find_message(event.chat_id, event.message_id)
        message = w.message_view(stored) if stored else None
    return {
        "event": event.to_json() if event else None,
        "seq": w.seq,
        "message": message,
    }


async def _webhook(w: World, a: _Args) -> JsonDict | None:
    hook = w.webhook
    if hook is None:
        return None
    return {
        "url": hook.url,
        "secret_token": hook.secret_token,
        "allowed_updates": hook.allowed_updates,
        "last_error_date": hook.last_error_date,
        "last_error_message": hook.last_error_message,
    }


async def _commands(w: World, a: _Args) -> JsonDict:
    return dict(w.commands)


_GET: dict[str, _Route] = {
    "state": _state,
    "messages": _messages,
    "message": _message,
    "callback_answers": _callback_answers,
    "updates": _updates,
    "requests": _requests,
    "events": _events,
    "wait": _wait,
    "webhook": _webhook,
    "commands": _commands,
}
_POST: dict[str, _Route] = {
    "reset": _reset,
    "users": _add_user,
    "block": _block,
    "chats": _add_chat,
    "channels": _add_channel,
    "send_text": _send_text,
    "forward_from_channel": _forward_from_channel,
    "forward_from_user": _forward_from_user,
    "forward_from_chat": _forward_from_chat,
    "press": _press,
    "redeliver": _redeliver,
    "fail": _fail,
}


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"ok": False, "error": text}, status=status)


def local_authorities(port: int, *extra_hosts: str) -> frozenset[str]:
    """``host:port`` pairs a loopback server on ``port`` answers to (lower case)."""
    return frozenset(f"{host.lower()}:{port}" for host in (*LOOPBACK_NAMES, *extra_hosts))


def bound_port(request: web.BaseRequest) -> int | None:
    """The port of the socket that took ``request`` (not the Host header, which the
    client chooses), or None on a socket without one."""
    sockname = request.get_extra_info("sockname")
    if isinstance(sockname, tuple) and len(sockname) >= 2 and isinstance(sockname[1], int):
        return sockname[1]
    return None


def foreign_origin(request: web.BaseRequest, authorities: Collection[str]) -> bool:
    """Whether ``request`` carries an Origin that is not ``http://`` + one of ``authorities``.

    A missing Origin passes: browsers send one with every POST, other clients don't.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    scheme, _, authority = origin.lower().partition("://")
    return scheme != "http" or authority not in authorities


def refuse_cross_site(
    request: web.BaseRequest, authorities: Collection[str]
) -> web.Response | None:
    """The refusal of a state-changing request another web site could have made, or None.

    403 for a foreign Origin, 415 for a body that is not JSON. Safe methods (GET,
    HEAD, OPTIONS) always pass: they change nothing and, without CORS headers, a
    foreign page cannot read their answers.
    """
    if request.method in SAFE_METHODS:
        return None
    if foreign_origin(request, authorities):
        return _error(403, "cross-origin requests are refused")
    if request.content_type != "application/json":
        return _error(415, "send application/json")
    return None


def _endpoint(
    world: World, route: _Route, *, body: bool
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        if body:
            port = bound_port(request)
            own = local_authorities(port) if port is not None else frozenset()
            refusal = refuse_cross_site(request, own)
            if refusal is not None:
                return refusal
        values: JsonDict = dict(request.query)
        if body and request.body_exists:
            try:
                payload = json.loads(await request.text())
            except ValueError:
                return _error(400, "the body must be a JSON object")
            if not isinstance(payload, dict):
                return _error(400, "the body must be a JSON object")
            values.update(payload)
        try:
            result = await route(world, _Args(values))
        except WorldError as exc:
            return _error(400, str(exc))
        return web.json_response({"ok": True, "result": result})

    return handle


def add_control_routes(app: web.Application, world: World, prefix: str = "/_test") -> None:
    """Mount the user-side endpoints on an application."""
    for name, route in _GET.items():
        app.router.add_get(f"{prefix}/{name}", _endpoint(world, route, body=False))
    for name, route in _POST.items():
        app.router.add_post(f"{prefix}/{name}", _endpoint(world, route, body=True))


__all__ = [
    "LOOPBACK_NAMES",
    "MAX_WAIT",
    "SAFE_METHODS",
    "add_control_routes",
    "bound_port",
    "foreign_origin",
    "local_authorities",
    "refuse_cross_site",
]
