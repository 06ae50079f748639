"""The issue's targets, judged on the JSON results: PASS, MISS or NOT RUN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.report_format import fmt

Results = dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    """One target: what was asked, what was measured, and whether it held."""

    target: str
    asked: str
    measured: str
    passed: bool | None  # None: not measured in this run

    @property
    def mark(self) -> str:
        """PASS, MISS or NOT RUN."""
        return {True: "PASS", False: "MISS", None: "NOT RUN"}[self.passed]


def _config(results: Results, prefix: str) -> dict[str, Any] | None:
    for config in results.get("dispatch", {}).get("configs", []):
        if config["name"].startswith(prefix):
            return dict(config)
    return None


def _ups(config: dict[str, Any], mode: str) -> float:
    return float(config[mode]["updates_per_second"]["median"])


def _clean(config: dict[str, Any], mode: str) -> bool:
    return config[mode]["errors"] == 0 and not config[mode]["problems"]


def _dispatch_targets(results: Results) -> list[Verdict]:
    memory = _config(results, "aiogram MemoryStorage")
    redis_storage = _config(results, "aiogram RedisStorage")
    sqlite = _config(results, "aiogram-durable, SQLite")
    pg = _config(results, "aiogram-durable, PostgreSQL")
    ours_redis = _config(results, "aiogram-durable, Redis")
    verdicts = []

    def versus(
        name: str,
        ours: dict[str, Any] | None,
        base: dict[str, Any] | None,
        base_name: str,
        mode: str,
        at_least: float,
    ) -> None:
        if ours is None or base is None:
            verdicts.append(Verdict(name, f"≥ {at_least:g} × {base_name}", "", None))
            return
        ratio = _ups(ours, mode) / _ups(base, mode)
        verdicts.append(
            Verdict(
                name,
                f"≥ {at_least:g} × {base_name} in the same run, 0 errors",
                f"{ratio:.2f} × ({fmt(ours[mode]['updates_per_second'], 'upd/s')} against "
                f"{fmt(base[mode]['updates_per_second'], 'upd/s')}), "
                f"{ours[mode]['errors']} errors",
                ratio >= at_least and _clean(ours, mode),
            )
        )

    if pg is None or redis_storage is None:
        verdicts.append(Verdict("Dispatcher, PostgreSQL, 100 concurrent", "", "", None))
    else:
        ratio = _ups(pg, "concurrent") / _ups(redis_storage, "concurrent")
        p99, base_p99 = (float(c["concurrent"]["p99_us"]["median"]) for c in (pg, redis_storage))
        verdicts.append(
            Verdict(
                "Dispatcher, PostgreSQL, 100 concurrent admins",
                "≥ 2 × aiogram RedisStorage in the same run, 0 errors, p99 ≤ RedisStorage's",
                f"{ratio:.2f} × ({fmt(pg['concurrent']['updates_per_second'], 'upd/s')}), "
                f"{pg['concurrent']['errors']} errors, p99 {p99:,.0f} µs against "
                f"{base_p99:,.0f} µs",
                ratio >= 2 and _clean(pg, "concurrent") and p99 <= base_p99,
            )
        )
    versus(
        "Dispatcher, our Redis, sequential",
        ours_redis,
        redis_storage,
        "aiogram RedisStorage",
        "sequential",
        1.5,
    )
    versus(
        "Dispatcher, our Redis, 100 concurrent admins",
        ours_redis,
        redis_storage,
        "aiogram RedisStorage",
        "concurrent",
        1.5,
    )
    versus(
        "Dispatcher, PostgreSQL, sequential",
        pg,
        redis_storage,
        "aiogram RedisStorage",
        "sequential",
        1.0,
    )
    versus(
        "Dispatcher, SQLite, sequential", sqlite, memory, "aiogram MemoryStorage", "sequential", 0.6
    )
    for label, config in (("PostgreSQL", pg), ("Redis", ours_redis)):
        counted = (config or {}).get("round_trips")
        if not counted:
            verdicts.append(Verdict(f"round trips per update, {label}", "≤ 2", "", None))
            continue
        per_update = max(float(counted[mode]["per_update"]) for mode in counted)
        verdicts.append(
            Verdict(
                f"round trips per update, {label} (counted, lock included)",
                "≤ 2",
                " / ".join(f"{float(counted[m]['per_update']):.2f} {m}" for m in counted),
                per_update <= 2,
            )
        )
    return verdicts


def _step_targets(results: Results) -> list[Verdict]:
    backends = {b["backend"]: b for b in results.get("store_step", {}).get("backends", [])}
    verdicts = []
    for name in ("postgresql", "redis"):
        entry = backends.get(name)
        if entry is None or "round_trip_p50_us" not in entry:
            verdicts.append(
                Verdict(f"store step p50, {name}", "≤ 1.5 × a bare round trip", "", None)
            )
            continue
        p50 = float(entry["p50_us"]["median"])
        bare = float(entry["round_trip_p50_us"]["median"])
        verdicts.append(
            Verdict(
                f"store step p50 (get + save), {name}",
                "≤ 1.5 × one bare round trip to the same server",
                f"{p50 / bare:.2f} × ({fmt(entry['p50_us'], 'µs')} against "
                f"{fmt(entry['round_trip_p50_us'], 'µs')}); a step is a read and a write "
                f"that depends on it: {p50 / (2 * bare):.2f} × two bare round trips",
                p50 <= 1.5 * bare,
            )
        )
    return verdicts


def _sweep_targets(results: Results) -> list[Verdict]:
    sweep = results.get("sweep")
    if not sweep:
        return [Verdict("sweep of 1M sessions", "", "", None)]
    largest = int(sweep["plan_size"])
    label = f"sweep of {largest:,} sessions (half expired), returned and audited"
    verdicts = []
    for entry in sweep["results"]:
        if entry["size"] != largest or entry["backend"] not in ("sqlite", "postgresql"):
            continue
        bare = entry.get("bare_delete")
        seconds = float(entry["seconds"]["median"])
        if entry["timed_out"]:
            measured = (
                f"stopped at the {sweep['limit_s']:.0f} s limit after "
                f"{entry['swept_before_limit']:,} of {entry['expired']:,}"
            )
        else:
            measured = fmt(entry["seconds"], "s", 2)
        ratio = None
        if bare is not None:
            bare_s = float(bare["seconds"]["median"])
            ratio = seconds / bare_s
            measured += f" against a bare DELETE of {fmt(bare['seconds'], 's', 2)}: "
            measured += f"{'more than ' if entry['timed_out'] else ''}{ratio:.1f} ×"
        verdicts.append(
            Verdict(
                f"{label}, {entry['backend']}",
                "≤ 3 × a bare DELETE of the same rows",
                measured,
                None
                if ratio is None or largest < 1_000_000
                else (ratio <= 3 and entry["complete"] and not entry["timed_out"]),
            )
        )
    for lat in sweep["latency"]:
        ratio_s = lat.get("p99_ratio")
        measured = (
            "no complete run"
            if ratio_s is None
            else f"{fmt(ratio_s, '×', 1)} (idle {fmt(lat['idle_p99_us'], 'µs')}, "
            f"sweeping {fmt(lat['sweep_p99_us'], 'µs')})"
        )
        verdicts.append(
            Verdict(
                f"p99 step latency during the {lat['size']:,} sweep, {lat['backend']}",
                "≤ 3 × idle",
                measured,
                None if ratio_s is None else float(ratio_s["median"]) <= 3.0,
            )
        )
    return verdicts


def _startup_targets(results: Results) -> list[Verdict]:
    startup = results.get("startup")
    if not startup:
        return [Verdict("start-up with 100k sessions", "", "", None)]
    by_key = {(r["database"], r["stored"]): r for r in startup["results"]}
    verdicts = []
    for database in sorted({r["database"] for r in startup["results"]}):
        empty, full = by_key[(database, 0)], by_key[(database, 100_000)]
        t0, t1 = float(empty["startup_s"]["median"]), float(full["startup_s"]["median"])
        verdicts.append(
            Verdict(
                f"start-up with 100k sessions, {database}",
                "within 10% of start-up with 0",
                f"{t1:.2f} s vs {t0:.2f} s ({(t1 / t0 - 1) * 100:+.1f}%)",
                t1 <= 1.10 * t0,
            )
        )
        built0 = _session_dependent(empty)
        built1 = _session_dependent(full)
        verdicts[-1] = Verdict(
            verdicts[-1].target,
            verdicts[-1].asked,
            verdicts[-1].measured
            + f"; build + first update {built1 * 1000:.0f} ms vs {built0 * 1000:.0f} ms",
            verdicts[-1].passed,
        )
        m0, m1 = float(empty["rss_mib"]["median"]), float(full["rss_mib"]["median"])
        verdicts.append(
            Verdict(
                f"memory with 100k sessions, {database}",
                "≤ 50 MB above an empty bot",
                f"{m1 - m0:+.1f} MiB ({m1:.1f} vs {m0:.1f} MiB RSS)",
                (m1 - m0) * 1.048576 <= 50,
            )
        )
    return verdicts


def _session_dependent(entry: dict[str, Any]) -> float:
    """The start-up phases that could depend on stored sessions (not the imports)."""
    phases = entry["phases_s"]
    return float(sum(v for k, v in phases.items() if k not in ("interpreter", "imports")))


def targets(results: Results) -> list[Verdict]:
    """Every target of the issue, judged on ``results``."""
    return [
        *_dispatch_targets(results),
        *_step_targets(results),
        *_sweep_targets(results),
        *_startup_targets(results),
    ]
