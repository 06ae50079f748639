"""The sandbox: the local Bot API, the bot and a chat page, in one process.

`Sandbox` owns three things on one event loop:

* a `LocalBotApi` on a free loopback port (the bot's TELEGRAM_API_URL);
* a `BotRuntime` polling it, on the sandbox's own SQLite file (restartable);
* an aiohttp app on `host:port` that serves the page (``static/``) and a small
  JSON API for it.

The page's API (JSON in and out, ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "..."}`` with a 4xx status):

GET  /api/chat?user_id&after&timeout
     The chat of a sandbox user with the bot, as a snapshot. With ``after`` (an
     event seq) and ``timeout`` it long-polls: it answers as soon as something in
     that chat (or the bot's status) changed after ``after``, or when time runs out.
     The snapshot carries the messages, the updates the bot has not taken yet, the
     callback answers given after ``after`` and ``seq``, the cursor for the next call.
POST /api/send {user_id, text}            the user writes to the bot
POST /api/forward {user_id, channel_id, title, bot_is_admin}
                                          the user forwards a post of a channel
                                          (the channel is created in the world)
POST /api/press {user_id, message_id, callback_data}
                                          the user presses an inline button
POST /api/restart                         stop the bot and start a new one on the
                                          same database; answers once it polls again

Other web sites must not drive the sandbox from the browser of the person trying it:

* the Host header must be exactly ``127.0.0.1:<port>`` or ``localhost:<port>`` (or
  the address given with ``--host``, when it is not a wildcard); any other name is
  refused with 403, which stops DNS rebinding (``127.0.0.1.nip.io`` resolves to
  127.0.0.1 but is another site);
* POSTs must be ``application/json`` (415) and, when the browser sends an Origin,
  come from the page's own origin (403): see `refuse_cross_site`.

The database is never the configured one: DATABASE_URL, SESSION_BACKEND and
REDIS_URL (environment or .env) are ignored, so a sandbox started in a production
folder cannot migrate, sweep or take over production data (issue 10).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import socket
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import structlog
from aiohttp import web
from sqlalchemy.engine import make_url

from diana_bot.config import Settings, load_settings
from diana_bot.runtime import BotRuntime
from diana_devtools.localapi import Event, EventKind, LocalBotApi, StoredMessage, World, WorldError
from diana_devtools.localapi.control import local_authorities, refuse_cross_site

log = structlog.get_logger(__name__)

JsonDict = dict[str, Any]

SANDBOX_TOKEN: Final = "100000:" + "S" * 35
ADMIN_ID: Final = 1
GUEST_ID: Final = 2
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8765
DB_FILE_NAME: Final = "sandbox.db"
# Settings that would point the sandbox at a real deployment; always replaced.
IGNORED_SETTINGS: Final = ("DATABASE_URL", "SESSION_BACKEND", "REDIS_URL")
SWEEP_INTERVAL_S: Final = 5.0
# How long the bot may take to start polling (migrations included).
BOT_START_TIMEOUT_S: Final = 60.0
MAX_POLL_S: Final = 30.0
MAX_TITLE = 128

STATIC_DIR: Final = Path(__file__).with_name("static")
_STATIC_FILES: Final = {
    "app.js": "text/javascript",
    "style.css": "text/css",
}
# Compared with --host, never bound here.
_WILDCARD_HOSTS: Final = frozenset({"", "0.0.0.0", "::"})  # noqa: S104
_SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# What wakes a long poll of a chat: the chat's own events (and any confirmation).
_CHAT_KINDS: Final = frozenset(
    {
        EventKind.MESSAGE_SENT,
        EventKind.MESSAGE_EDITED,
        EventKind.MESSAGE_DELETED,
        EventKind.CALLBACK_ANSWERED,
        EventKind.UPDATE_QUEUED,
    }
)
SANDBOX_EVENT_KEY: Final = "sandbox"


class SandboxError(Exception):
    """A request of the page that makes no sense (unknown user, bad field)."""


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file (absolute, so the message names it fully)."""
    return f"sqlite+aiosqlite:///{path.resolve()}"


def sandbox_settings(
    api_url: str,
    db_path: Path,
    overrides: Mapping[str, object] | None = None,
) -> Settings:
    """The bot's settings inside the sandbox.

    A fixed fake token, the local API, the sandbox admin, no metrics port, a short
    sweep interval and the SQLite file ``db_path`` with SQL sessions, migrated at
    start. DATABASE_URL, SESSION_BACKEND and REDIS_URL are ignored wherever they
    come from (environment, .env, ``overrides``). The other settings (locale, TTL,
    log level, ...) are read as the bot does. Raises ``ConfigError`` like
    ``load_settings``.
    """
    fixed: dict[str, object] = {
        "session_sweep_interval_seconds": SWEEP_INTERVAL_S,
        **(overrides or {}),
        "bot_token": SANDBOX_TOKEN,
        "telegram_api_url": api_url,
        "admin_ids": frozenset({ADMIN_ID}),
        "metrics_port": 0,
        # Keyword arguments beat the environment and .env in pydantic-settings.
        "database_url": sqlite_url(db_path),
        "database_auto_migrate": True,
        "session_backend": "sql",
        "redis_url": None,
    }
    return load_settings(**fixed)


def database_notice(db_path: Path) -> str:
    """The sandbox's first line: which database it uses, and what it ignores."""
    return (
        f"sandbox: using its own SQLite database at {db_path.resolve()}; "
        f"{'/'.join(IGNORED_SETTINGS)} are ignored (environment and .env)"
    )


def describe_database(url: str) -> str:
    """The database for the page and the console: no password, and for SQLite only the
    file name (a screenshot of the page should not show the machine's paths)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite {Path(parsed.database or '').name}"
    return parsed.render_as_string(hide_password=True)


# ---------------------------------------------------------------------- chat views


def _buttons(markup: JsonDict | None) -> list[list[JsonDict]]:
    rows: list[list[JsonDict]] = []
    for row in (markup or {}).get("inline_keyboard", []):
        out: list[JsonDict] = []
        for button in row:
            item: JsonDict = {"text": str(button.get("text", ""))}
            for key in ("callback_data", "url"):
                if isinstance(button.get(key), str):
                    item[key] = button[key]
            out.append(item)
        rows.append(out)
    return rows


def _forwarded_from(extra: JsonDict) -> str | None:
    origin = extra.get("forward_origin")
    if not isinstance(origin, dict):
        return None
    kind = origin.get("type")
    if kind == "channel":
        return str(origin.get("chat", {}).get("title") or "a channel")
    if kind == "chat":
        return str(origin.get("sender_chat", {}).get("title") or "a group")
    if kind == "user":
        return str(origin.get("sender_user", {}).get("first_name") or "someone")
    if kind == "hidden_user":
        return str(origin.get("sender_user_name") or "someone")
    return None


def message_json(message: StoredMessage) -> JsonDict:
    """What the page needs to draw one message; ``version`` grows with each edit."""
    return {
        "id": message.message_id,
        "from_bot": message.from_bot,
        "date": message.date,
        "text": message.text,
        "entities": message.entities,
        "buttons": _buttons(message.reply_markup),
        "edited": message.edit_date is not None,
        "version": len(message.edits),
        "forwarded_from": _forwarded_from(message.extra),
    }


def _events_after(world: World, after: int) -> Iterator[Event]:
    events = world.events
    if not events:
        return iter(())
    start = max(after - events[0].seq + 1, 0)
    return itertools.islice(events, start, None)


# ---------------------------------------------------------------------- the sandbox


class Sandbox:
    """The local Bot API, the bot and the chat page, started and stopped together.

    Args:
        host: where the page is served (loopback by default).
        port: the page's port; 0 picks a free one (see `url`).
        db_path: the bot's SQLite file (created if missing, kept afterwards). By
            default ``sandbox.db`` in a fresh temporary directory that `stop`
            deletes: each run starts empty and leaves nothing behind.
        settings_overrides: more settings for the bot (e.g. ``{"locale": "en"}``);
            the database settings among them are ignored (see `sandbox_settings`).
    """

    def __init__(
        self,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        db_path: Path | None = None,
        settings_overrides: Mapping[str, object] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._db_path = db_path
        self._tmp_dir: tempfile.TemporaryDirectory[str] | None = None
        self.settings_overrides = dict(settings_overrides or {})
        self.api = LocalBotApi(tokens=[SANDBOX_TOKEN])
        self.runtime: BotRuntime | None = None
        self.restarts = 0
        self.status = "stopped"
        self.error: str | None = None
        self._settings: Settings | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._restart_lock = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._authorities: frozenset[str] = frozenset()
        self._closing = False

    # ------------------------------------------------------------------ properties

    @property
    def url(self) -> str:
        """The page's address, e.g. "http://127.0.0.1:8765/"."""
        if self._url is None:
            raise RuntimeError("the sandbox is not started")
        return self._url

    @property
    def settings(self) -> Settings:
        """The bot's settings (known once started)."""
        if self._settings is None:
            raise RuntimeError("the sandbox is not started")
        return self._settings

    @property
    def database_path(self) -> Path:
        """The bot's SQLite file; the default one's temporary directory is made on first use."""
        if self._db_path is not None:
            return self._db_path
        if self._tmp_dir is None:
            # mkdtemp's directory is private to this user (mode 0700).
            self._tmp_dir = tempfile.TemporaryDirectory(prefix="diana-sandbox-")
        return Path(self._tmp_dir.name) / DB_FILE_NAME

    @property
    def world(self) -> World:
        """The local Bot API's world: users, chats, messages, events."""
        return self.api.world

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the local API, the page and the bot (returns once the bot polls)."""
        if self._runner is not None:
            raise RuntimeError("already started")
        self._closing = False
        await self.api.start("127.0.0.1", 0)
        try:
            self._settings = sandbox_settings(
                self.api.base_url, self.database_path, self.settings_overrides
            )
            self.world.add_user(ADMIN_ID, first_name="Admin", username="sandbox_admin")
            self.world.add_user(GUEST_ID, first_name="Guest", username="sandbox_guest")
            await self._serve()  # first: a taken port fails before the bot starts
            await self.start_bot()
        except BaseException:
            await self.stop()
            raise
        log.info("sandbox.ready", url=self.url, database=self.database_label)

    async def stop(self) -> None:
        """Answer pending long polls, close the page, stop the bot and the local API."""
        if self._closing:
            return
        self._closing = True
        self.world.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.stop_bot()
        self._set_status("stopped")
        await self.api.stop()
        if self._tmp_dir is not None:
            self._tmp_dir.cleanup()
            self._tmp_dir = None

    async def restart_bot(self) -> None:
        """Stop the bot and start a new one on the same database and world."""
        async with self._restart_lock:
            self._set_status("restarting")
            await self.stop_bot()
            self.restarts += 1
            await self.start_bot()

    @property
    def database_label(self) -> str:
        """The bot's database, password hidden."""
        return describe_database(self.settings.database_url.get_secret_value())

    # ------------------------------------------------------------------ the bot

    def _set_status(self, status: str, error: str | None = None) -> None:
        self.status, self.error = status, error
        # An event in the world's log wakes the pages' long polls.
        self.world.emit(
            EventKind.WORLD_CHANGED,
            data={SANDBOX_EVENT_KEY: status, "restarts": self.restarts},
        )

    async def start_bot(self) -> None:
        """Build a new BotRuntime on the settings and wait until it polls."""
        if self.status != "restarting":
            self._set_status("starting")
        runtime = self.runtime = BotRuntime(self.settings)
        mark = self.world.seq
        try:
            await runtime.start()
            task = self._poll_task = runtime.poll_in_background()
            task.add_done_callback(self._poll_ended)
            await self._wait_polling(mark, task)
        except BaseException as exc:
            self._set_status("crashed", f"{type(exc).__name__}: {exc}")
            await self.stop_bot()
            raise
        self._set_status("running")

    async def _wait_polling(self, mark: int, task: asyncio.Task[None]) -> None:
        def polling(event: Event) -> bool:
            return event.kind is EventKind.REQUEST_RECEIVED and event.method == "getUpdates"

        def ready() -> bool | None:
            if task.done():
                return True
            return True if self.world.find_event(mark, polling) else None

        if await self.world.wait_until(ready, BOT_START_TIMEOUT_S) is None:
            raise TimeoutError(f"the bot did not poll within {BOT_START_TIMEOUT_S:.0f}s")
        if task.done():
            error = task.exception() if not task.cancelled() else None
            raise RuntimeError(f"the bot stopped while starting: {error!r}")

    def _poll_ended(self, task: asyncio.Task[None]) -> None:
        if task is not self._poll_task:
            return
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log.error("sandbox.bot_crashed", error=repr(error))
            self._set_status("crashed", f"{type(error).__name__}: {error}")
        elif self.status == "running":
            self._set_status("stopped")

    async def stop_bot(self) -> None:
        """Stop the running bot (updates sent meanwhile wait in the local API)."""
        runtime, self.runtime = self.runtime, None
        self._poll_task = None
        if runtime is None:
            return
        try:
            await runtime.stop()
        except Exception as exc:  # keep the sandbox up whatever the bot did
            log.error("sandbox.bot_stop_failed", error=repr(exc))

    # ------------------------------------------------------------------ the page

    async def _serve(self) -> None:
        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/api/chat", self._json(self._chat))
        app.router.add_post("/api/send", self._json(self._send))
        app.router.add_post("/api/forward", self._json(self._forward))
        app.router.add_post("/api/press", self._json(self._press))
        app.router.add_post("/api/restart", self._json(self._restart))
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=5.0
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        port = sock.getsockname()[1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self._url = f"http://{shown}:{port}/"
        # A wildcard bind is reached through any address: answer the loopback names only.
        extra = () if self.host in _WILDCARD_HOSTS else (shown,)
        self._authorities = local_authorities(port, *extra)

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        # The raw header: aiohttp's request.host falls back to the machine's name.
        if request.headers.get("Host", "").lower() not in self._authorities:
            return _error(403, f"unexpected Host header; open {self.url}")
        refusal = refuse_cross_site(request, self._authorities)
        if refusal is not None:
            refusal.headers.update(_SECURITY_HEADERS)
            return refusal
        response = await handler(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            STATIC_DIR / "index.html", headers={"Content-Type": "text/html; charset=utf-8"}
        )

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        kind = _STATIC_FILES.get(name)
        if kind is None:
            return _error(404, "not found")
        return web.FileResponse(
            STATIC_DIR / name, headers={"Content-Type": f"{kind}; charset=utf-8"}
        )

    def _json(
        self, route: Callable[[JsonDict], Awaitable[JsonDict]]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            values: JsonDict = dict(request.query)
            if request.method == "POST" and request.body_exists:
                try:
                    body = json.loads(await request.text())
                except ValueError:
                    return _error(400, "the body must be a JSON object")
                if not isinstance(body, dict):
                    return _error(400, "the body must be a JSON object")
                values.update(body)
            try:
                result = await route(values)
            except (SandboxError, WorldError) as exc:
                return _error(400, str(exc))
            return web.json_response({"ok": True, "result": result})

        return handle

    # ------------------------------------------------------------------ API routes

    def _user(self, values: JsonDict) -> int:
        user_id = _int(values, "user_id")
        if user_id not in (ADMIN_ID, GUEST_ID):
            raise SandboxError(f"user_id must be {ADMIN_ID} (admin) or {GUEST_ID} (guest)")
        return user_id

    async def _chat(self, values: JsonDict) -> JsonDict:
        user_id = self._user(values)
        after = _int(values, "after", default=-1)
        timeout = min(max(_float(values, "timeout", default=0.0), 0.0), MAX_POLL_S)
        world = self.world

        def relevant(event: Event) -> bool:
            if event.kind is EventKind.WORLD_CHANGED:
                return SANDBOX_EVENT_KEY in event.data
            if event.kind is EventKind.UPDATE_CONFIRMED:
                return True
            return event.kind in _CHAT_KINDS and event.chat_id == user_id

        def changed() -> bool | None:
            return True if self._closing or world.find_event(after, relevant) else None

        if after >= 0 and timeout > 0:
            await world.wait_until(changed, timeout)
        return self.snapshot(user_id, after)

    def snapshot(self, user_id: int, after: int = -1) -> JsonDict:
        """The chat of ``user_id`` now, with the callback answers given after ``after``."""
        world = self.world
        pending_messages: list[int] = []
        pending_presses: list[JsonDict] = []
        for entry in world.queue:
            update = entry.update
            if "message" in update and update["message"]["chat"]["id"] == user_id:
                pending_messages.append(update["message"]["message_id"])
            query = update.get("callback_query")
            if query is not None and query["from"]["id"] == user_id:
                pending_presses.append(
                    {"message_id": query["message"]["message_id"], "callback_data": query["data"]}
                )
        answers: list[JsonDict] = []
        if after >= 0:
            for event in _events_after(world, after):
                if event.kind is not EventKind.CALLBACK_ANSWERED or event.chat_id != user_id:
                    continue
                record = world.callback_queries.get(event.query_id or "")
                if record is None or record.answer is None:
                    continue
                answers.append(
                    {
                        "query_id": record.id,
                        "message_id": record.message_id,
                        "text": record.answer.get("text"),
                        "show_alert": bool(record.answer.get("show_alert")),
                    }
                )
        commands_key = json.dumps({"type": "default"}, sort_keys=True) + "|"
        user = world.users[user_id]
        return {
            "seq": world.seq,
            "user": {"id": user_id, "name": user.first_name, "admin": user_id == ADMIN_ID},
            "users": {
                "admin": {"id": ADMIN_ID, "name": world.users[ADMIN_ID].first_name},
                "guest": {"id": GUEST_ID, "name": world.users[GUEST_ID].first_name},
            },
            "bot": {
                "name": world.bot_first_name,
                "username": world.bot_username,
                "status": self.status,
                "error": self.error,
                "restarts": self.restarts,
            },
            "database": self.database_label,
            "commands": world.commands.get(commands_key, []),
            "messages": [message_json(m) for m in world.messages(user_id, include_user=True)],
            "pending_messages": pending_messages,
            "pending_presses": pending_presses,
            "answers": answers,
        }

    async def _send(self, values: JsonDict) -> JsonDict:
        user_id = self._user(values)
        text = values.get("text")
        if not isinstance(text, str) or not text.strip():
            raise SandboxError("text must be a non-empty string")
        return self.api.actions.send_text(user_id, text).to_json()

    async def _forward(self, values: JsonDict) -> JsonDict:
        user_id = self._user(values)
        channel_id = _int(values, "channel_id")
        title = values.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
            raise SandboxError(f"title must be 1-{MAX_TITLE} characters")
        bot_is_admin = values.get("bot_is_admin", True)
        if not isinstance(bot_is_admin, bool):
            raise SandboxError("bot_is_admin must be true or false")
        self.world.add_channel(
            channel_id,
            title.strip(),
            bot_status="administrator" if bot_is_admin else "member",
            members={user_id: "creator"},
        )
        return self.api.actions.forward_from_channel(user_id, channel_id, title.strip()).to_json()

    async def _press(self, values: JsonDict) -> JsonDict:
        user_id = self._user(values)
        message_id = _int(values, "message_id")
        data = values.get("callback_data")
        if not isinstance(data, str) or not data:
            raise SandboxError("callback_data must be a non-empty string")
        return self.api.actions.press(user_id, message_id, data).to_json()

    async def _restart(self, values: JsonDict) -> JsonDict:
        try:
            await self.restart_bot()
        except Exception as exc:
            raise SandboxError(f"the bot did not come back: {exc}") from exc
        return {"restarts": self.restarts, "status": self.status}


def _error(status: int, text: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error": text}, status=status, headers=dict(_SECURITY_HEADERS)
    )


def _int(values: JsonDict, name: str, *, default: int | None = None) -> int:
    value = values.get(name)
    if value is None or value == "":
        if default is None:
            raise SandboxError(f"{name} is required")
        return default
    if isinstance(value, bool):
        raise SandboxError(f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SandboxError(f"{name} must be an integer") from None


def _float(values: JsonDict, name: str, *, default: float) -> float:
    value = values.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SandboxError(f"{name} must be a number") from None
    if number != number:  # NaN
        raise SandboxError(f"{name} must be a number")
    return number


async def run_sandbox(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    db_path: Path | None = None,
    open_message: Callable[[str], None] = print,
) -> None:
    """``diana-sandbox``: serve the sandbox until SIGINT or SIGTERM.

    Prints (through ``open_message``) first the database it uses (``db_path``, by
    default a fresh temporary file: see `Sandbox`) and that the configured ones are
    ignored, before anything opens a database; then, once the bot polls, the page's
    address. Raises ``ConfigError`` for bad settings and ``OSError`` when the port
    is taken. Logging is the caller's (``diana-sandbox`` configures it).
    """
    sandbox = Sandbox(host=host, port=port, db_path=db_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        open_message(database_notice(sandbox.database_path))
        await sandbox.start()
        open_message(
            f"Diana Bot sandbox: open {sandbox.url} "
            f"(admin user {ADMIN_ID}, database {sandbox.database_label}); Ctrl+C stops it"
        )
        await stop.wait()
    finally:
        for sig in signals:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(sig)
        await sandbox.stop()


__all__ = [
    "ADMIN_ID",
    "DB_FILE_NAME",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "GUEST_ID",
    "IGNORED_SETTINGS",
    "SANDBOX_TOKEN",
    "Sandbox",
    "SandboxError",
    "database_notice",
    "describe_database",
    "message_json",
    "run_sandbox",
    "sandbox_settings",
    "sqlite_url",
]
