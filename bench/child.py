"""The process the start-up and memory section spawns: the real bot stack, one update.

``python -m bench.child DATABASE_URL`` builds what ``diana-bot run`` builds
(``build_container`` with its migration check, ``build_services``, ``build_dispatcher``
with every router and middleware), handles one ``/admin`` from an admin through a Bot
whose session is a stub, then runs one sweeper round as the bot does at start. It
prints one JSON line: monotonic timestamps (comparable with the parent's, as
``CLOCK_MONOTONIC`` is system-wide) and resident memory from /proc/self/status.
"""

from __future__ import annotations

import time

IMPORTED_AT = time.monotonic()  # before anything heavy is imported

import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ADMIN = 777


def memory_kib() -> dict[str, int]:
    """VmRSS and VmHWM (peak) of this process, in KiB."""
    found: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


async def _run(database_url: str) -> dict[str, object]:
    from aiogram_durable import Sweeper
    from bench.telegram import TOKEN, UpdateFactory, stub_bot
    from diana_bot.composition import build_container, build_dispatcher
    from diana_bot.config import Settings
    from diana_bot.log_setup import configure_logging

    configure_logging("WARNING")
    imported = time.monotonic()
    settings = Settings(
        bot_token=TOKEN,
        admin_ids=frozenset({ADMIN}),
        database_url=database_url,
        session_backend="sql",
        log_level="WARNING",
    )
    container = await build_container(settings)
    dispatcher = build_dispatcher(container)
    bot = stub_bot()
    built = time.monotonic()
    await dispatcher.feed_update(bot, UpdateFactory(bot).text(ADMIN, "/admin"))
    handled = time.monotonic()
    after_update = memory_kib()
    swept = await Sweeper(container.sessions, interval=60).run_once()
    after_sweep = memory_kib()
    await container.close()
    return {
        "imported_at": IMPORTED_AT,
        "stack_imported": imported,
        "built": built,
        "handled": handled,
        "rss_kib": after_update["VmRSS"],
        "rss_after_sweep_kib": after_sweep["VmRSS"],
        "hwm_kib": after_sweep["VmHWM"],
        "swept": swept,
        "bot_calls": getattr(bot.session, "calls", 0),
    }


def main() -> None:
    """Entry point: one JSON line on stdout."""
    result = asyncio.run(_run(sys.argv[1]))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
