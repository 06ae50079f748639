"""The sandbox page in a real headless Chromium: a whole admin flow by clicking and typing.

Chromium is driven over the DevTools protocol (tests/support/cdp.py). A machine
without it fails here, on purpose: ``scripts/system-deps chromium chromium-driver``
installs it. Waits are promises the page resolves (``window.__sandbox.until``),
re-checked on every DOM change; nothing sleeps.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from diana_bot.db.models import ChannelRow, TariffRow
from diana_devtools.sandbox import Sandbox
from tests.support.cdp import Browser, BrowserNotFound, find_chromium
from tests.support.db import rows

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "sandbox.png"
WAIT_S = 30.0
VIP_ID = -1001234567890
# A tariff name that would run script if the page ever inserted the bot's text as HTML.
PROBE = 'Oro <img src=x onerror="window.__pwned=1">'
LAST_BOT = "Array.from(document.querySelectorAll('#messages .msg.bot')).pop()"


def chromium() -> str:
    """The browser, or a failure (never a skip) that says how to install it."""
    try:
        return find_chromium()
    except BrowserNotFound as exc:
        problem = str(exc)
    pytest.fail(problem)


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    box = Sandbox(port=0, db_path=tmp_path / "sandbox.db", settings_overrides={"locale": "es"})
    await box.start()
    yield box
    await box.stop()


class ChatPage:
    """The sandbox page, as a person uses it: type, click, read."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser

    async def until(self, condition: str, timeout: float = WAIT_S) -> Any:
        """Resolve once the JS ``condition`` holds (checked on every change of the page)."""
        script = f"window.__sandbox.until(() => ({condition}), {int(timeout * 1000)})"
        return await self.browser.evaluate(script, await_promise=True, timeout=timeout + 10)

    async def bot_shows(self, text: str) -> None:
        """The bot's latest message has ``text`` in it or on one of its buttons."""
        t = json.dumps(text)
        await self.until(
            f"(() => {{ const m = {LAST_BOT}; return !!m && ("
            f"m.querySelector('.text').textContent.includes({t}) || "
            f"Array.from(m.querySelectorAll('.kb-button')).some((b) => b.textContent === {t})"
            f"); }})()"
        )

    async def count(self, selector: str) -> int:
        return int(
            await self.browser.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length")
        )

    async def reply_to_mine(self, mine_before: int, expect: str) -> None:
        """After a message of mine: it shows, then the bot answers below it with ``expect``."""
        await self.until(f"document.querySelectorAll('#messages .msg.user').length > {mine_before}")
        await self.until(
            "(() => { const last = document.querySelector('#messages > .msg:last-child');"
            " return !!last && last.classList.contains('bot'); })()"
        )
        await self.bot_shows(expect)

    async def send(self, text: str, expect: str) -> None:
        mine = await self.count("#messages .msg.user")
        await self.browser.type_text("#text", text)
        await self.browser.press_enter()
        await self.reply_to_mine(mine, expect)

    async def press(self, label: str, expect: str) -> None:
        """Press the newest button ``label``; wait for the bot to edit or answer (``expect``)."""
        t = json.dumps(label)
        before = await self.browser.evaluate(
            "(() => { const b = Array.from(document.querySelectorAll('#messages .kb-button'))"
            f".filter((e) => e.textContent.trim() === {t}).pop();"
            " const m = b.closest('.msg');"
            " return {id: m.dataset.id, version: m.dataset.version,"
            " bots: document.querySelectorAll('#messages .msg.bot').length}; })()"
        )
        await self.browser.click("#messages .kb-button", text=label, nth=-1)
        pressed = json.dumps(f'#messages .msg[data-id="{before["id"]}"]')
        await self.until(
            f"(() => {{ const m = document.querySelector({pressed});"
            f" return !m || m.dataset.version !== {json.dumps(before['version'])}"
            f" || document.querySelectorAll('#messages .msg.bot').length > {before['bots']}; }})()"
        )
        await self.bot_shows(expect)

    async def fill(self, selector: str, text: str) -> None:
        await self.browser.click(selector)
        await self.browser.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
        await self.browser.send("Input.insertText", {"text": text})

    async def text_of(self, selector: str) -> str:
        value = await self.browser.evaluate(
            f"document.querySelector({json.dumps(selector)}).textContent"
        )
        return str(value)


async def test_create_a_tariff_by_clicking_and_survive_a_restart(sandbox: Sandbox) -> None:
    async with Browser.launch(binary=chromium(), width=900, height=880) as browser:
        page = ChatPage(browser)
        await browser.navigate(sandbox.url)
        await page.until("document.getElementById('bot-status').dataset.status === 'running'")
        assert await page.until("!document.getElementById('empty').hidden")

        # /admin: the menu, bold as the bot sent it (built from entities).
        await page.send("/admin", "Panel de administración")
        assert await browser.evaluate(f"{LAST_BOT}.querySelector('.text b').textContent") == (
            "Panel de administración"
        )
        # Pressing a button edits the message in place.
        await page.press("⚙ Configuración Global", "➕ Añadir Canales")
        assert await browser.evaluate("document.querySelectorAll('#messages .msg.bot').length") == 1
        assert await browser.evaluate(f"!!{LAST_BOT}.querySelector('.meta .edited')")

        # Register the VIP channel by "forwarding a post" from it.
        await page.press("➕ Añadir Canales", "Paso 1 de 2")
        await browser.click("#forward-toggle")
        await page.until("!document.getElementById('forward-panel').hidden")
        await page.fill("#forward-id", str(VIP_ID))
        await page.fill("#forward-title", "Diana VIP")
        mine = await page.count("#messages .msg.user")
        await browser.click("#forward-send")
        await page.reply_to_mine(mine, "Paso 2 de 2")
        assert await browser.evaluate(
            "document.querySelector('#messages .msg.user .forwarded').textContent"
        ) == ("Forwarded from Diana VIP")
        await page.press("✅ Confirmar", "registrado")

        # ➕ Crear Tarifa, up to step 2.
        await page.send("/admin", "Panel de administración")
        await page.press("💎 VIP", "🏷 Gestionar Tarifas")
        await page.press("🏷 Gestionar Tarifas", "➕ Crear Tarifa")
        await page.press("➕ Crear Tarifa", "Paso 1 de 3")
        await page.send("29.99", "Paso 2 de 3")
        await browser.screenshot(SCREENSHOT)

        # Restart the bot mid-flow; the new one carries on from the stored session.
        await browser.click("#restart")
        await page.until(
            "(() => { const s = document.getElementById('bot-status');"
            " return s.dataset.status === 'running' && s.dataset.restarts === '1'; })()"
        )
        assert sandbox.restarts == 1
        await page.send("1 mes", "Paso 3 de 3")
        await page.send(PROBE, "Resumen")
        # Shown as typed, never as markup.
        summary = await page.text_of("#messages .msg.bot:last-child .text")
        assert f"Nombre: {PROBE}" in summary
        assert await browser.evaluate("document.querySelectorAll('#chat img').length") == 0
        await page.press("✅ Confirmar", "creada")

        # An old prompt's button: the bot answers with an alert.
        await browser.click("#messages .kb-button", text="❌ Cancelar", nth=0)
        await page.until(
            "!document.getElementById('alert').hidden && document.getElementById('alert-text')"
            ".textContent === 'Esta sesión ya no está activa.'"
        )
        await browser.click("#alert-ok")
        await page.until("document.getElementById('alert').hidden")

        # As a non-admin: a chat of their own, and the gate says no.
        await browser.click("label.switch")
        await page.until(
            "document.getElementById('footer-user').textContent.includes('not an admin')"
            " && !document.getElementById('empty').hidden"
        )
        await page.send("/admin", "solo para administradores")
        await browser.click("label.switch")
        await page.bot_shows("creada")
        assert "user 1, admin" in await page.text_of("#footer-user")

        assert await browser.evaluate("window.__pwned === undefined")
        assert browser.errors == [], "\n".join(map(str, browser.errors))

    url = sandbox.settings.database_url.get_secret_value()
    channels = await rows(url, select(ChannelRow))
    assert [(c.chat_id, c.title, c.kind) for c in channels] == [(VIP_ID, "Diana VIP", "vip")]
    tariffs = await rows(url, select(TariffRow))
    assert [(t.name, str(t.price), t.duration_days) for t in tariffs] == [(PROBE, "29.99", 30)]
    assert tariffs[0].channel_id == channels[0].id
    assert SCREENSHOT.stat().st_size > 10_000
