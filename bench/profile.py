"""Where an update's CPU goes, for one Dispatcher configuration ("Why the misses" in
docs/performance.md).

    python -m bench.profile redis --concurrency 100
    python -m bench.profile postgresql --concurrency 1 --raw pg.raw
    python -m bench.profile --from-raw pg.raw

A child process opens the configuration as ``bench.configs`` does, warms it up, then
feeds passes of ``--admins`` admins; ``py-spy record`` (not a project dependency:
``pip install py-spy``) is attached for ``--seconds`` once the warm-up is over. The
samples are then sorted into what they were in: the storage's driver, aiogram, our
library's own Python, the event loop. The prebuilt updates and the checks between
passes are left out. Sampling is by wall clock, so read the shares as proportions of
the time the bot's process was on a CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

KINDS = ("memory", "sqlite", "postgresql", "redis", "aiogram-redis")
_READY = "profile: warmed up"
# Frames of the benchmark's own work between timed updates.
_NOT_UPDATES = ("build_updates", "_check", "open_sessions", "settle")
_FRAME = re.compile(r"(.*) \((.*?):\d+\)$")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _frame(raw: str) -> str:
    """``path:function`` with the site-packages or source prefix cut."""
    match = _FRAME.match(raw.strip())
    if match is None:
        return raw
    function, path = match.groups()
    for marker in ("site-packages/", "src/", "python3.11/"):
        path = path.split(marker)[-1]
    return f"{path}:{function}"


def _category(frames: list[str]) -> str:
    stack = ";".join(frames)
    if "audit.py:SqlAuditLog.flush" in stack:
        return "audit flush (batched COPY / INSERT)"
    if "redis/asyncio" in stack:
        return "redis-py: commands (encode, send, receive, parse)"
    if "asyncpg/" in stack:
        return "asyncpg: queries (send, receive, decode)"
    if any("aiogram_durable/" in frame for frame in frames[-3:]):
        return "aiogram-durable's Python"
    if "feed_update" in stack:
        return "aiogram: dispatch, filters, handlers, answer"
    if "base_events" in stack:
        return "event loop: select, callbacks, wake-ups"
    return "other threads and the rest"


def categorise(raw: Path) -> tuple[int, Counter[str]]:
    """Samples of a ``py-spy record -f raw`` file by category."""
    shares: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or any(name in stack for name in _NOT_UPDATES):
            continue
        frames = [_frame(raw_frame) for raw_frame in stack.split(";")]
        if frames[-1].endswith("dispatch.py:run_pass"):
            continue  # the pass's own bookkeeping (gc.freeze and the like)
        total += int(count)
        shares[_category(frames)] += int(count)
    return total, shares


def report(raw: Path) -> str:
    total, shares = categorise(raw)
    lines = [f"{total:,} samples"]
    lines += [f"{count / total * 100:5.1f} %  {name}" for name, count in shares.most_common()]
    return "\n".join(lines)


async def _child(kind: str, concurrency: int, admins: int, passes: int) -> None:
    from bench.configs import aiogram_redis_target, diana_target, memory_target
    from bench.dispatch import run_pass
    from bench.env import BenchEnv
    from diana_bot.log_setup import configure_logging

    configure_logging("WARNING")
    env = await BenchEnv().start()
    try:
        if kind == "aiogram-redis":
            target = await aiogram_redis_target(env, redis_isolation=False)
        elif kind == "memory":
            target = await memory_target()
        else:
            target = await diana_target(env, kind)
        first = 10_000
        await run_pass(target, range(first, first + admins // 3), concurrency)
        _say(_READY)
        for number in range(passes):
            start = first + admins * (number + 1)
            result = await run_pass(target, range(start, start + admins), concurrency)
            cpu_us = result.cpu_seconds * 1e6 / result.updates
            _say(
                f"pass {number + 1}: {result.per_second:,.0f} upd/s, "
                f"{cpu_us:,.0f} µs of CPU per update, errors {result.errors}"
            )
        await target.close()
    finally:
        env.close()


def _record(args: argparse.Namespace) -> Path:
    raw = Path(args.raw or f"profile-{args.kind}-{args.concurrency}.raw")
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.profile", "--child", args.kind,
         "--concurrency", str(args.concurrency), "--admins", str(args.admins),
         "--passes", str(args.passes)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == _READY:
            break
    subprocess.run(
        ["py-spy", "record", "-p", str(child.pid), "-r", "250", "-d", str(args.seconds),
         "-f", "raw", "-o", str(raw)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    for line in child.stdout:
        _say(line.rstrip("\n"))
    if child.wait() != 0:
        raise SystemExit(f"the profiled process failed ({child.returncode})")
    return raw


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("kind", nargs="?", choices=KINDS)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--admins", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--raw", help="where py-spy writes its samples")
    parser.add_argument("--from-raw", type=Path, help="only sort an earlier recording")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_child(args.child, args.concurrency, args.admins, args.passes))
        return
    if args.from_raw is not None:
        _say(report(args.from_raw))
        return
    if args.kind is None:
        parser.error("name a configuration, or give --from-raw")
    _say(report(_record(args)))


if __name__ == "__main__":
    main()
