"""Sections 4 and 5: start-up time and resident memory, with 0 and 100k stored sessions.

Each run spawns ``python -m bench.child`` (the real bot stack, see ``bench.child``) and
takes the wall time from just before the spawn to the moment the child has handled its
first update. The same child reports its resident memory (VmRSS) after that update and
after one sweeper round. The stored sessions are active ones (nothing to sweep),
bulk-loaded with ``bench.seed``; runs alternate between the empty and the full
database so drift on the machine hits both alike.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram_durable.urls import asyncpg_dsn, sqlite_path
from bench import seed
from bench.env import BenchEnv
from bench.stats import Summary

STORED = (0, 100_000)
# The checkout root, so the child imports this ``bench`` package.
_ROOT = str(Path(__file__).resolve().parent.parent)
DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class ChildRun:
    """What one spawned bot process reported."""

    startup_s: float
    rss_mib: float
    rss_after_sweep_mib: float
    phases: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "startup_s": self.startup_s,
            "rss_mib": self.rss_mib,
            "rss_after_sweep_mib": self.rss_after_sweep_mib,
            "phases_s": self.phases,
        }


async def prepare(env: BenchEnv, database: str, stored: int) -> str:
    """A migrated database holding ``stored`` active sessions; its URL."""
    now = datetime.now(UTC)
    if database == "sqlite":
        url = env.sqlite_url(f"startup_{stored}")
        if stored:
            await asyncio.to_thread(seed.load_sqlite, sqlite_path(url), stored, 0.0, now)
        return url
    url = await env.pg_database(f"startup_{stored}")
    if stored:
        await seed.load_postgres(asyncpg_dsn(url), stored, 0.0, now)
    return url


async def spawn(database_url: str) -> ChildRun:
    """Start the bot in a new process; time it to its first handled update."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
    spawned = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.child",
        database_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=_ROOT,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"bench.child failed ({proc.returncode}): {err.decode()[-2000:]}")
    report = json.loads(out.decode().strip().splitlines()[-1])
    if report["bot_calls"] < 1:
        raise RuntimeError("the child handled its update without answering it")
    return ChildRun(
        startup_s=report["handled"] - spawned,
        rss_mib=report["rss_kib"] / 1024,
        rss_after_sweep_mib=report["rss_after_sweep_kib"] / 1024,
        phases={
            "interpreter": report["imported_at"] - spawned,
            "imports": report["stack_imported"] - report["imported_at"],
            "build (migrate, container, dispatcher)": report["built"] - report["stack_imported"],
            "first update": report["handled"] - report["built"],
        },
    )


async def run_section(env: BenchEnv, runs: int) -> dict[str, Any]:
    """Start-up time and memory, ``runs`` children per (database, stored sessions)."""
    results = []
    for database in DATABASES:
        urls = {stored: await prepare(env, database, stored) for stored in STORED}
        raw: dict[int, list[ChildRun]] = {stored: [] for stored in STORED}
        for run in range(runs):
            for stored in STORED:
                child = await spawn(urls[stored])
                raw[stored].append(child)
                print(  # noqa: T201
                    f"  run {run + 1} {database} {stored:,} sessions: "
                    f"{child.startup_s:.2f} s, RSS {child.rss_mib:.1f} MiB",
                    flush=True,
                )
        for stored in STORED:
            children = raw[stored]
            results.append(
                {
                    "database": database,
                    "stored": stored,
                    "startup_s": Summary.of([c.startup_s for c in children]).as_dict(),
                    "rss_mib": Summary.of([c.rss_mib for c in children]).as_dict(),
                    "rss_after_sweep_mib": Summary.of(
                        [c.rss_after_sweep_mib for c in children]
                    ).as_dict(),
                    "phases_s": {
                        name: Summary.of([c.phases[name] for c in children]).median
                        for name in children[0].phases
                    },
                    "runs": [c.as_dict() for c in children],
                }
            )
    return {"stored": list(STORED), "results": results}
