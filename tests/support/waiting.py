"""Waiting for what another process does, which no event of ours announces."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(check: Callable[[], object], what: str, timeout: float = 60) -> None:
    """Until ``check()`` (a value or an awaitable) is true: a bot process's log file or
    HTTP endpoint, re-read every 50 ms; AssertionError naming ``what`` after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(0.05)  # re-reading another process's output
