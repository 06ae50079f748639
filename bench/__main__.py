"""``python -m bench``: run every section in one go and write the report.

Writes ``<out>/results.md`` (the report, also printed), ``<out>/results.json``
(every run's figures) and the charts ``<out>/*.png`` (``bench.charts``). See
docs/performance.md.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import dispatch, startup, store_step, sweep
from bench.env import BenchEnv
from bench.load import LoadReport, LoadSnapshot, other_load, wait_for_quiet
from bench.machine import describe
from bench.options import Options, parse
from bench.report import render
from diana_bot.log_setup import configure_logging


async def _section(
    name: str, options: Options, results: dict[str, Any], run: Any, *args: Any
) -> None:
    print(f"== {name}", flush=True)  # noqa: T201
    # Waiting is blocking on purpose: nothing else of ours runs meanwhile.
    before = await asyncio.to_thread(wait_for_quiet, options.quiet_wait_s)
    start = LoadSnapshot.take()
    results[name] = await run(*args)
    report = LoadReport.between(start, LoadSnapshot.take())
    results["meta"]["load"][name] = (
        report.describe() + f" (others at the start: {before:.2f} cores)"
    )
    print(f"   {report.describe()}", flush=True)  # noqa: T201


async def run(options: Options) -> dict[str, Any]:
    """Start the servers, run the chosen sections, return every figure."""
    started = time.monotonic()
    results: dict[str, Any] = {
        "meta": {
            "command": shlex.join(["python", "-m", "bench", *sys.argv[1:]]),
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": describe(),
            "load": {},
            "options": {
                "runs": options.runs,
                "quick": options.quick,
                "admins": options.admins,
                "sweep_limit_s": options.sweep_limit_s,
            },
        }
    }
    env = await BenchEnv().start()
    try:
        results["meta"]["machine"].update(await env.server_versions())
        if options.wants("dispatch"):
            await _section(
                "dispatch", options, results, dispatch.run_section, env, options.runs,
                options.admins,
            )  # fmt: skip
        if options.wants("store"):
            await _section(
                "store_step", options, results, store_step.run_section, env, options.runs
            )
        if options.wants("sweep"):
            sizes = tuple(s for s in sweep.SIZES if not (options.quick and s >= 1_000_000))
            await _section(
                "sweep", options, results, sweep.run_section, env, options.runs, sizes,
                options.sweep_limit_s,
            )  # fmt: skip
        if options.wants("startup"):
            await _section("startup", options, results, startup.run_section, env, options.runs)
    finally:
        env.close()
    results["meta"]["duration_s"] = time.monotonic() - started
    results["meta"]["others_at_end_cores"] = other_load()
    return results


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    options = parse(argv)
    options.out.mkdir(parents=True, exist_ok=True)
    if options.from_json is not None:
        results = json.loads(options.from_json.read_text())
    else:
        # Logging is not what is measured: only warnings and errors get rendered.
        configure_logging("WARNING")
        results = asyncio.run(run(options))
        (options.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    report = render(results)
    (options.out / "results.md").write_text(report)
    sys.stdout.write("\n" + report)
    sys.stdout.write(_charts(results, options.out))
    return 0


def _charts(results: dict[str, Any], out: Path) -> str:
    """Draw the charts; what to print about them."""
    try:
        from bench.charts import render_charts
    except ImportError as exc:  # matplotlib comes with the test extra
        return f"\nCharts skipped ({exc}); install the test extra to draw them.\n"
    return "".join(f"\nChart: {path}" for path in render_charts(results, out)) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
