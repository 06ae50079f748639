"""A small Chrome DevTools Protocol client: headless Chromium driven over a websocket.

No browser download and no driver: Debian's ``chromium`` is started with
``--remote-debugging-port=0``, the port is read from its stderr ("DevTools listening
on ws://..."), and one page is controlled through a flat session on the browser's
websocket (aiohttp).

    async with Browser.launch() as page:
        await page.navigate(url)
        await page.click("button.send")
        await page.type_text("#text", "hello")
        value = await page.evaluate("document.title")
        await page.screenshot(path)
        assert page.errors == []

Waiting is never a sleep: `evaluate(..., await_promise=True)` awaits a promise the
page resolves, and `wait_for` resolves on the first DOM mutation that makes a
condition true (a MutationObserver), with a bounded timeout.

Every JavaScript error of the page is collected in `errors`: console.error calls,
uncaught exceptions and browser log entries of level "error" (failed loads, CSP).
The browser process group is always killed on the way out.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import tempfile
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

JsonDict = dict[str, Any]

INSTALL_HINT = "install it with: scripts/system-deps chromium chromium-driver"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--mute-audio",
    "--lang=en-US",
)
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
DEFAULT_TIMEOUT = 30.0


class BrowserNotFound(Exception):
    """No Chromium on this machine."""


class CdpError(Exception):
    """The browser refused a command, a script threw, or something timed out."""


@dataclass(frozen=True)
class ConsoleEntry:
    """One error the page reported."""

    source: str
    text: str

    def __str__(self) -> str:
        return f"[{self.source}] {self.text}"


def find_chromium() -> str:
    """The Chromium binary (``$CHROMIUM`` first); `BrowserNotFound` with a hint if none."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if found:
            return found
        raise BrowserNotFound(f"CHROMIUM={configured!r} is not an executable; {INSTALL_HINT}")
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserNotFound(
        f"Chromium was not found on PATH ({', '.join(BROWSER_NAMES)}); {INSTALL_HINT}"
    )


def _remote_text(value: JsonDict) -> str:
    if "value" in value:
        return str(value["value"])
    return str(value.get("description") or value.get("type", "?"))


class Browser:
    """One headless Chromium process and one page in it. Build with `Browser.launch()`."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        http: aiohttp.ClientSession,
        ws: aiohttp.ClientWebSocketResponse,
        stderr_tail: deque[str],
        stderr_task: asyncio.Task[None],
    ) -> None:
        self.process = process
        self._http = http
        self._ws = ws
        self.stderr_tail = stderr_tail
        self._stderr_task = stderr_task
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[JsonDict]] = {}
        self._waiters: list[tuple[str, asyncio.Future[JsonDict]]] = []
        self._session_id: str | None = None
        self.errors: list[ConsoleEntry] = []
        self._reader = asyncio.get_running_loop().create_task(self._read())

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    @contextlib.asynccontextmanager
    async def launch(
        cls,
        *,
        width: int = 900,
        height: int = 1000,
        binary: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> AsyncIterator[Browser]:
        """Start Chromium with a fresh profile and open one blank page."""
        executable = binary or find_chromium()
        with tempfile.TemporaryDirectory(
            prefix="cdp-profile-", ignore_cleanup_errors=True
        ) as profile:
            process = await asyncio.create_subprocess_exec(
                executable,
                *CHROME_FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group: killed as a whole
            )
            tail: deque[str] = deque(maxlen=200)
            browser: Browser | None = None
            http: aiohttp.ClientSession | None = None
            stderr_task: asyncio.Task[None] | None = None
            try:
                ws_url = await _devtools_url(process, tail, timeout)
                stderr_task = asyncio.get_running_loop().create_task(_drain(process, tail))
                http = aiohttp.ClientSession()
                ws = await http.ws_connect(
                    ws_url, max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=5)
                )
                browser = cls(process, http, ws, tail, stderr_task)
                await browser._open_page(width, height)
                yield browser
            finally:
                if browser is not None:
                    await browser._close()
                elif http is not None:
                    await http.close()
                await _kill(process)
                if stderr_task is not None:
                    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                        await asyncio.wait_for(stderr_task, 10)

    async def _open_page(self, width: int, height: int) -> None:
        target = await self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = await self.send(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            session=False,
        )
        self._session_id = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            await self.send(f"{domain}.enable")
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        # Steady screenshots: pages that honour it skip their animations.
        await self.send(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]},
        )

    async def _close(self) -> None:
        with contextlib.suppress(CdpError, aiohttp.ClientError, TimeoutError, ConnectionError):
            await self.send("Browser.close", session=False, timeout=5)
        with contextlib.suppress(aiohttp.ClientError, ConnectionError):
            await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._http.close()

    # ------------------------------------------------------------------ protocol

    async def send(
        self,
        method: str,
        params: JsonDict | None = None,
        *,
        session: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> JsonDict:
        """Send one command (to the page's session unless ``session=False``)."""
        message_id = next(self._ids)
        message: JsonDict = {"id": message_id, "method": method, "params": params or {}}
        if session:
            if self._session_id is None:
                raise CdpError("no page session yet")
            message["sessionId"] = self._session_id
        future: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        try:
            await self._ws.send_str(json.dumps(message))
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise CdpError(f"{method}: no answer within {timeout}s") from None
        finally:
            self._pending.pop(message_id, None)

    def expect(self, method: str) -> asyncio.Future[JsonDict]:
        """A future for the next event ``method`` of the page (register before acting)."""
        future: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._waiters.append((method, future))
        return future

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                if "id" in data:
                    future = self._pending.get(data["id"])
                    if future is None or future.done():
                        continue
                    if "error" in data:
                        error = data["error"]
                        future.set_exception(
                            CdpError(f"{error.get('message')} {error.get('data', '')}")
                        )
                    else:
                        future.set_result(data.get("result", {}))
                elif data.get("sessionId") == self._session_id:
                    self._on_event(data["method"], data.get("params", {}))
        finally:
            closed = CdpError("the browser closed the DevTools connection")
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(closed)
            for _, future in self._waiters:
                if not future.done():
                    future.set_exception(closed)

    def _on_event(self, method: str, params: JsonDict) -> None:
        if method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
            text = " ".join(_remote_text(arg) for arg in params.get("args", []))
            self.errors.append(ConsoleEntry("console", text))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exception = details.get("exception") or {}
            text = exception.get("description") or details.get("text", "exception")
            self.errors.append(ConsoleEntry("exception", str(text)))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                where = f" ({entry['url']})" if entry.get("url") else ""
                self.errors.append(
                    ConsoleEntry(f"log:{entry.get('source')}", f"{entry.get('text')}{where}")
                )
        remaining = []
        for wanted, future in self._waiters:
            if wanted == method and not future.done():
                future.set_result(params)
            elif not future.done():
                remaining.append((wanted, future))
        self._waiters = remaining

    # ------------------------------------------------------------------ page actions

    async def navigate(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Open ``url`` and wait for its load event."""
        loaded = self.expect("Page.loadEventFired")
        result = await self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            loaded.cancel()
            raise CdpError(f"navigating to {url}: {result['errorText']}")
        try:
            async with asyncio.timeout(timeout):
                await loaded
        except TimeoutError:
            raise CdpError(f"{url} did not finish loading within {timeout}s") from None

    async def evaluate(
        self, expression: str, *, await_promise: bool = False, timeout: float = DEFAULT_TIMEOUT
    ) -> Any:
        """The value of a JavaScript expression (awaited if it is a promise)."""
        result = await self.send(
            "Runtime.evaluate",
            {
                "expression": expression,
                "returnByValue": True,
                "awaitPromise": await_promise,
                "userGesture": True,
            },
            timeout=timeout,
        )
        details = result.get("exceptionDetails")
        if details is not None:
            exception = details.get("exception") or {}
            text = exception.get("description") or details.get("text")
            raise CdpError(f"{text}\n  while evaluating: {expression[:300]}")
        return result.get("result", {}).get("value")

    async def wait_for(self, condition: str, *, timeout: float = 15.0) -> Any:
        """Resolve with the first truthy value of ``condition`` (JS), re-checked on DOM changes."""
        script = f"""new Promise((resolve, reject) => {{
            let observer = null;
            let timer = 0;
            const finish = () => {{ if (observer) observer.disconnect(); clearTimeout(timer); }};
            const check = () => {{
                let value;
                try {{ value = ({condition}); }}
                catch (error) {{ finish(); reject(error); return; }}
                if (value) {{ finish(); resolve(value); }}
            }};
            observer = new MutationObserver(check);
            observer.observe(document, {{subtree: true, childList: true, attributes: true,
                                         characterData: true}});
            timer = setTimeout(() => {{ finish();
                reject(new Error("timed out waiting for: " + {json.dumps(condition)})); }},
                {int(timeout * 1000)});
            check();
        }})"""
        return await self.evaluate(script, await_promise=True, timeout=timeout + 5)

    async def _point(self, selector: str, text: str | None, nth: int) -> tuple[float, float]:
        script = f"""(() => {{
            const wanted = {json.dumps(text)};
            const all = Array.from(document.querySelectorAll({json.dumps(selector)}))
                .filter((e) => wanted === null || e.textContent.trim() === wanted);
            const index = {nth} < 0 ? all.length + {nth} : {nth};
            const element = all[index];
            if (!element) return {{error: "no element " + {json.dumps(selector)}
                + (wanted === null ? "" : " with text " + JSON.stringify(wanted))}};
            if (element.disabled) return {{error: "the element is disabled"}};
            element.scrollIntoView({{block: "center", inline: "center"}});
            const box = element.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            const hit = document.elementFromPoint(x, y);
            if (!hit || !(hit === element || element.contains(hit))) {{
                const cover = hit ? hit.outerHTML.slice(0, 120) : "nothing";
                return {{error: "the element is covered by " + cover}};
            }}
            return {{x, y}};
        }})()"""
        found = await self.evaluate(script)
        if not isinstance(found, dict) or "error" in found:
            error = found.get("error") if isinstance(found, dict) else found
            raise CdpError(f"cannot click {selector!r}: {error}")
        return float(found["x"]), float(found["y"])

    async def click(self, selector: str, *, text: str | None = None, nth: int = 0) -> None:
        """Click (real mouse events) the ``nth`` element matching ``selector`` (and ``text``)."""
        x, y = await self._point(selector, text, nth)
        base = {"x": x, "y": y, "button": "left", "clickCount": 1}
        await self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        await self.send("Input.dispatchMouseEvent", {"type": "mousePressed", **base})
        await self.send("Input.dispatchMouseEvent", {"type": "mouseReleased", **base})

    async def type_text(self, selector: str, text: str) -> None:
        """Click into a field and type ``text`` into it."""
        await self.click(selector)
        await self.send("Input.insertText", {"text": text})

    async def press_enter(self) -> None:
        """Press Enter in the focused element (submits a form)."""
        key = {
            "key": "Enter",
            "code": "Enter",
            "windowsVirtualKeyCode": 13,
            "nativeVirtualKeyCode": 13,
        }
        await self.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", **key})
        await self.send("Input.dispatchKeyEvent", {"type": "keyUp", **key})

    async def screenshot(self, path: Path) -> Path:
        """Save a PNG of the viewport."""
        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        png = base64.b64decode(shot["data"])

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png)

        await asyncio.to_thread(write)
        return path


# ---------------------------------------------------------------------- process helpers


async def _devtools_url(
    process: asyncio.subprocess.Process, tail: deque[str], timeout: float
) -> str:
    assert process.stderr is not None
    try:
        async with asyncio.timeout(timeout):
            while True:
                raw = await process.stderr.readline()
                if not raw:
                    code = await process.wait()
                    lines = "\n".join(tail)
                    raise CdpError(
                        f"Chromium exited with {code} before DevTools was ready:\n{lines}"
                    )
                line = raw.decode(errors="replace").rstrip()
                tail.append(line)
                match = _LISTENING.search(line)
                if match:
                    return match.group(1)
    except TimeoutError:
        lines = "\n".join(tail)
        raise CdpError(f"Chromium did not open DevTools within {timeout}s:\n{lines}") from None


async def _drain(process: asyncio.subprocess.Process, tail: deque[str]) -> None:
    """Keep reading stderr, or Chromium blocks once the pipe is full."""
    assert process.stderr is not None
    while raw := await process.stderr.readline():
        tail.append(raw.decode(errors="replace").rstrip())


async def _kill(process: asyncio.subprocess.Process) -> None:
    """Wait a little for a clean exit, then kill the browser's process group."""
    if process.returncode is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 5)
    # Chromium's helpers (zygote, renderers) share its process group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


__all__ = [
    "INSTALL_HINT",
    "Browser",
    "BrowserNotFound",
    "CdpError",
    "ConsoleEntry",
    "find_chromium",
]
