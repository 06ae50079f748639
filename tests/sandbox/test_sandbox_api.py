"""The sandbox without a browser: its HTTP API, the bot behind it, restart, settings."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from diana_bot.db.models import ChannelRow, TariffRow
from diana_devtools.sandbox import (
    ADMIN_ID,
    GUEST_ID,
    SANDBOX_TOKEN,
    Sandbox,
    database_notice,
    run_sandbox,
    sandbox_settings,
)
from tests.support.db import rows

JsonDict = dict[str, Any]
VIP_ID = -1001234567890
WAIT_S = 30.0


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    box = Sandbox(port=0, db_path=tmp_path / "sandbox.db", settings_overrides={"locale": "es"})
    await box.start()
    yield box
    await box.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def last_bot(snapshot: JsonDict) -> JsonDict | None:
    bots = [m for m in snapshot["messages"] if m["from_bot"]]
    return bots[-1] if bots else None


def bot_says(text: str) -> Callable[[JsonDict], bool]:
    """The bot's latest message has ``text`` in its text or as a button label."""

    def check(snapshot: JsonDict) -> bool:
        message = last_bot(snapshot)
        return message is not None and (text in message["text"] or text in labels(message))

    return check


def covered(text: str, entity: JsonDict) -> str:
    """The text an entity covers (offsets count UTF-16 code units)."""
    units = text.encode("utf-16-le")
    start, end = entity["offset"] * 2, (entity["offset"] + entity["length"]) * 2
    return units[start:end].decode("utf-16-le")


def labels(message: JsonDict) -> list[str]:
    return [b["text"] for row in message["buttons"] for b in row]


@dataclass
class Page:
    """What the page does, over HTTP: act, then long-poll until the chat shows something."""

    http: aiohttp.ClientSession
    url: str
    user_id: int = ADMIN_ID
    seq: int = -1
    last: JsonDict = field(default_factory=dict)
    answers: list[JsonDict] = field(default_factory=list)

    async def get(self, path: str, **params: object) -> tuple[int, JsonDict]:
        query = {k: str(v) for k, v in params.items()}
        async with self.http.get(self.url + path, params=query) as response:
            return response.status, await response.json()

    async def post(self, path: str, body: JsonDict) -> tuple[int, JsonDict]:
        async with self.http.post(self.url + path, json=body) as response:
            return response.status, await response.json()

    async def ok(self, path: str, body: JsonDict) -> JsonDict:
        status, payload = await self.post(path, body)
        assert status == 200 and payload["ok"], payload
        result: JsonDict = payload["result"]
        return result

    async def snapshot(self) -> JsonDict:
        status, payload = await self.get("api/chat", user_id=self.user_id)
        assert status == 200, payload
        self.last = payload["result"]
        self.seq = self.last["seq"]
        return self.last

    async def until(self, check: Callable[[JsonDict], bool], timeout: float = WAIT_S) -> JsonDict:
        """Long-poll the chat until ``check(snapshot)``; fail after ``timeout`` seconds."""
        if self.seq < 0:
            await self.snapshot()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check(self.last):
            remaining = deadline - loop.time()
            assert remaining > 0, f"timed out; last snapshot: {self.last}"
            status, payload = await self.get(
                "api/chat", user_id=self.user_id, after=self.seq, timeout=min(remaining, 10)
            )
            assert status == 200, payload
            self.last = payload["result"]
            self.seq = self.last["seq"]
            self.answers.extend(self.last["answers"])
        return self.last

    async def send(self, text: str, expect: str) -> JsonDict:
        """Write ``text``; wait for the bot's answer below it, showing ``expect``."""
        sent = await self.ok("api/send", {"user_id": self.user_id, "text": text})
        return await self.answered(sent["message_id"], expect)

    async def answered(self, mine: int, expect: str) -> JsonDict:
        def check(snapshot: JsonDict) -> bool:
            last = snapshot["messages"][-1] if snapshot["messages"] else None
            return last is not None and last["from_bot"] and last["id"] > mine

        await self.until(check)
        return await self.until(bot_says(expect))

    async def press(self, label: str, expect: str) -> JsonDict:
        """Press ``label`` on the bot's latest message; wait for the edit or answer."""
        message = self._message(None)
        await self.press_only(label, message["id"])

        def check(snapshot: JsonDict) -> bool:
            now = next((m for m in snapshot["messages"] if m["id"] == message["id"]), None)
            newer = [m for m in snapshot["messages"] if m["from_bot"] and m["id"] > message["id"]]
            return now is None or now["version"] > message["version"] or bool(newer)

        await self.until(check)
        return await self.until(bot_says(expect))

    async def press_only(self, label: str, message_id: int) -> None:
        message = self._message(message_id)
        button = next((b for row in message["buttons"] for b in row if b["text"] == label), None)
        assert button is not None, f"no {label!r} in {labels(message)}"
        await self.ok(
            "api/press",
            {
                "user_id": self.user_id,
                "message_id": message["id"],
                "callback_data": button["callback_data"],
            },
        )

    def _message(self, message_id: int | None) -> JsonDict:
        if message_id is None:
            found = last_bot(self.last)
        else:
            found = next((m for m in self.last["messages"] if m["id"] == message_id), None)
        assert found is not None, self.last
        return found

    async def forward(
        self, channel_id: int, title: str, expect: str, *, bot_is_admin: bool = True
    ) -> JsonDict:
        sent = await self.ok(
            "api/forward",
            {
                "user_id": self.user_id,
                "channel_id": channel_id,
                "title": title,
                "bot_is_admin": bot_is_admin,
            },
        )
        return await self.answered(sent["message_id"], expect)


@pytest.fixture
def page(sandbox: Sandbox, http: aiohttp.ClientSession) -> Page:
    return Page(http, sandbox.url)


async def test_page_and_static_files_are_served_with_a_strict_policy(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    async with http.get(sandbox.url) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        html = await response.text()
    assert '<script src="/static/app.js"' in html and "/static/style.css" in html
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        async with http.get(f"{sandbox.url}static/{name}") as response:
            assert response.status == 200 and response.content_type == kind
    for name in ("index.html.bak", "..%2Fserver.py", "nope.js"):
        async with http.get(f"{sandbox.url}static/{name}") as response:
            assert response.status == 404, name


async def test_snapshot_describes_the_bot_users_and_database(page: Page, sandbox: Sandbox) -> None:
    snapshot = await page.snapshot()
    assert snapshot["bot"]["status"] == "running" and snapshot["bot"]["restarts"] == 0
    assert snapshot["user"] == {"id": ADMIN_ID, "name": "Admin", "admin": True}
    assert snapshot["users"]["guest"]["id"] == GUEST_ID
    assert [c["command"] for c in snapshot["commands"]] == ["admin", "cancel"]
    assert snapshot["database"].endswith("sandbox.db")
    assert snapshot["messages"] == [] and snapshot["answers"] == []
    assert sandbox.settings.admin_ids == frozenset({ADMIN_ID})
    # Nothing happens: the long poll answers at its timeout with the same cursor.
    status, payload = await page.get("api/chat", user_id=ADMIN_ID, after=page.seq, timeout=0.2)
    assert status == 200 and payload["result"]["seq"] == page.seq


async def test_menu_keeps_its_entities_and_is_edited_in_place(page: Page) -> None:
    menu = await page.send("/admin", "Panel de administración")
    mine, root = menu["messages"]
    assert mine["from_bot"] is False and mine["text"] == "/admin"
    assert mine["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    bold = [covered(root["text"], e) for e in root["entities"] if e["type"] == "bold"]
    assert bold == ["Panel de administración"]
    assert "⚙ Configuración Global" in labels(root) and root["version"] == 0
    config = await page.press("⚙ Configuración Global", "➕ Añadir Canales")
    edited = last_bot(config)
    assert edited is not None
    assert edited["id"] == root["id"] and edited["edited"] and edited["version"] == 1
    assert len(config["messages"]) == 2
    settled = await page.until(lambda s: not s["pending_messages"] and not s["pending_presses"])
    assert settled["answers"] == []


async def test_register_a_channel_and_create_a_tariff_across_a_restart(
    page: Page, sandbox: Sandbox
) -> None:
    await page.send("/admin", "Panel de administración")
    await page.press("⚙ Configuración Global", "➕ Añadir Canales")
    await page.press("➕ Añadir Canales", "Paso 1 de 2")
    confirm = await page.forward(VIP_ID, "Diana <VIP>", "Paso 2 de 2")
    forwarded = [m for m in confirm["messages"] if m["forwarded_from"]]
    assert [m["forwarded_from"] for m in forwarded] == ["Diana <VIP>"]
    assert "Título: Diana <VIP>" in (last_bot(confirm) or {})["text"]
    await page.press("✅ Confirmar", "registrado")

    await page.send("/admin", "Panel de administración")
    await page.press("💎 VIP", "🏷 Gestionar Tarifas")
    await page.press("🏷 Gestionar Tarifas", "➕ Crear Tarifa")
    await page.press("➕ Crear Tarifa", "Paso 1 de 3")
    await page.send("29.99", "Paso 2 de 3")

    restarted = await page.ok("api/restart", {})
    assert restarted == {"restarts": 1, "status": "running"}
    after = await page.until(lambda s: s["bot"]["restarts"] == 1)
    assert after["bot"]["status"] == "running"

    await page.send("1 mes", "Paso 3 de 3")
    await page.send("Oro", "Resumen")
    await page.press("✅ Confirmar", "✅ Tarifa «Oro» creada")
    url = sandbox.settings.database_url.get_secret_value()
    channels = await rows(url, select(ChannelRow))
    assert [(c.chat_id, c.title, c.kind) for c in channels] == [(VIP_ID, "Diana <VIP>", "vip")]
    tariffs = await rows(url, select(TariffRow))
    assert [(t.name, str(t.price), t.duration_days) for t in tariffs] == [("Oro", "29.99", 30)]


async def test_messages_sent_while_the_bot_is_down_wait_for_the_next_one(
    page: Page, sandbox: Sandbox
) -> None:
    await page.snapshot()
    await sandbox.stop_bot()  # the first half of a restart
    await page.ok("api/send", {"user_id": ADMIN_ID, "text": "/admin"})
    waiting = await page.until(lambda s: bool(s["pending_messages"]))
    assert last_bot(waiting) is None
    await sandbox.start_bot()
    done = await page.until(bot_says("Panel de administración"))
    assert done["pending_messages"] == []


async def test_a_stale_button_answers_with_an_alert(page: Page) -> None:
    await page.send("/admin", "Panel de administración")
    await page.press("⚙ Configuración Global", "➕ Añadir Canales")
    ask = await page.press("➕ Añadir Canales", "Paso 1 de 2")
    prompt = last_bot(ask)
    assert prompt is not None
    await page.send("/cancel", "Cancelado")
    await page.press_only("❌ Cancelar", prompt["id"])
    await page.until(lambda s: any(a["text"] for a in page.answers))
    # The earlier presses were answered silently (no text): the page shows nothing.
    spoken = [a for a in page.answers if a["text"]]
    assert spoken == [
        {
            "query_id": spoken[0]["query_id"],
            "message_id": prompt["id"],
            "text": "Esta sesión ya no está activa.",
            "show_alert": True,
        }
    ]


async def test_a_forward_from_a_channel_without_the_bot_as_admin_warns(page: Page) -> None:
    await page.send("/admin", "Panel de administración")
    await page.press("⚙ Configuración Global", "➕ Añadir Canales")
    await page.press("➕ Añadir Canales", "Paso 1 de 2")
    confirm = await page.forward(-1005555555555, "Sin permisos", "Paso 2 de 2", bot_is_admin=False)
    assert "El bot no es administrador" in (last_bot(confirm) or {})["text"]


async def test_the_guest_is_refused_and_has_a_chat_of_their_own(
    page: Page, http: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    guest = Page(http, sandbox.url, user_id=GUEST_ID)
    refused = await guest.send("/admin", "solo para administradores")
    assert refused["user"] == {"id": GUEST_ID, "name": "Guest", "admin": False}
    assert (await page.snapshot())["messages"] == []


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("api/send", {"user_id": 3, "text": "hola"}, "user_id must be 1 (admin) or 2 (guest)"),
        ("api/send", {"user_id": True, "text": "hola"}, "user_id must be an integer"),
        ("api/send", {"user_id": 1, "text": "  "}, "text must be a non-empty string"),
        ("api/send", {"user_id": 1}, "text must be a non-empty string"),
        ("api/forward", {"user_id": 1, "channel_id": 5, "title": "x"}, "negative"),
        ("api/forward", {"user_id": 1, "channel_id": -5, "title": ""}, "title must be"),
        ("api/forward", {"user_id": 1, "channel_id": "x", "title": "t"}, "must be an integer"),
        ("api/press", {"user_id": 1, "message_id": 99, "callback_data": "x"}, "no message 99"),
        ("api/press", {"user_id": 1, "message_id": 1}, "callback_data must be"),
    ],
)
async def test_bad_requests_are_refused_with_a_reason(
    page: Page, path: str, body: JsonDict, reason: str
) -> None:
    status, payload = await page.post(path, body)
    assert status == 400 and payload["ok"] is False
    assert reason in payload["error"]


def test_settings_use_the_fake_token_the_local_api_and_the_sandbox_admin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("BOT_TOKEN", "999:" + "R" * 30)
    monkeypatch.setenv("ADMIN_IDS", "555")
    monkeypatch.setenv("METRICS_PORT", "9108")
    given = tmp_path / "given.db"
    settings = sandbox_settings("http://127.0.0.1:1234", given)
    assert settings.require_token() == SANDBOX_TOKEN
    assert settings.telegram_api_url == "http://127.0.0.1:1234"
    assert settings.admin_ids == frozenset({ADMIN_ID})
    assert settings.metrics_port == 0 and settings.session_sweep_interval_seconds == 5
    assert settings.database_url.get_secret_value() == f"sqlite+aiosqlite:///{given}"
    overridden = sandbox_settings("http://x:1", given, overrides={"locale": "en", "admin_ids": {7}})
    assert overridden.locale == "en" and overridden.admin_ids == frozenset({ADMIN_ID})


async def test_run_sandbox_prints_its_database_then_its_address_and_stops_on_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http: aiohttp.ClientSession
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCALE", "es")
    printed: list[str] = []
    ready = asyncio.Event()

    def show(line: str) -> None:
        printed.append(line)
        if len(printed) == 2:
            ready.set()

    given = tmp_path / "kept.db"
    task = asyncio.create_task(run_sandbox(port=0, db_path=given, open_message=show))
    waiting = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({task, waiting}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    assert waiting in done, task.exception() if task.done() else f"printed only {printed}"
    notice, line = printed
    assert notice == database_notice(given)
    url = line.split("open ", 1)[1].split(" ", 1)[0]
    assert url.startswith("http://127.0.0.1:") and "database SQLite kept.db" in line
    async with http.get(url) as response:
        assert response.status == 200
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 60)
    assert given.exists()  # a file given with --db is kept
