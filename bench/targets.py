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


def _dispatch_targets(results: Results) -> list[Verdict]:
    sqlite = _config(results, "diana SessionStorage, SQLite")
    redis = _config(results, "aiogram RedisStorage")
    pg = _config(results, "diana SessionStorage, PostgreSQL")
    verdicts = []
    if sqlite is None or redis is None:
        verdicts.append(Verdict("Dispatcher, SQLite store, sequential", "", "", None))
    else:
        seq = sqlite["sequential"]
        ratio = float(seq["ratio_to_memory"]["median"])
        vs_redis = float(seq["updates_per_second"]["median"]) / float(
            redis["sequential"]["updates_per_second"]["median"]
        )
        by_p50 = ""
        if "p50_ratio_to_memory" in seq:
            p50_redis = float(redis["sequential"]["p50_us"]["median"])
            by_p50 = (
                f"; by p50 latency {float(seq['p50_ratio_to_memory']['median']):.2f} × "
                f"MemoryStorage, {p50_redis / float(seq['p50_us']['median']):.2f} × RedisStorage"
            )
        verdicts.append(
            Verdict(
                "Dispatcher, SQLite store, sequential",
                "≥ 0.5 × MemoryStorage and ≥ 5 × aiogram RedisStorage",
                f"{ratio:.2f} × MemoryStorage, {vs_redis:.2f} × RedisStorage "
                f"({fmt(seq['updates_per_second'], 'upd/s')}){by_p50}",
                ratio >= 0.5 and vs_redis >= 5,
            )
        )
    if pg is None:
        verdicts.append(Verdict("Dispatcher, PostgreSQL store, 100 concurrent", "", "", None))
    else:
        conc = pg["concurrent"]
        ups = float(conc["updates_per_second"]["median"])
        clean = conc["errors"] == 0 and not conc["problems"]
        verdicts.append(
            Verdict(
                "Dispatcher, PostgreSQL store, 100 concurrent admins",
                "≥ 1,500 upd/s, no errors",
                f"{fmt(conc['updates_per_second'], 'upd/s')}, {conc['errors']} errors"
                + (f", {'; '.join(conc['problems'])}" if conc["problems"] else ""),
                ups >= 1500 and clean,
            )
        )
    return verdicts


_STEP_LIMITS = {"sqlite": 100.0, "postgresql": 400.0, "redis": 150.0}


def _step_targets(results: Results) -> list[Verdict]:
    backends = {b["backend"]: b for b in results.get("store_step", {}).get("backends", [])}
    verdicts = []
    for name, limit in _STEP_LIMITS.items():
        entry = backends.get(name)
        if entry is None:
            verdicts.append(Verdict(f"store step p50, {name}", f"≤ {limit:.0f} µs", "", None))
            continue
        p50 = float(entry["p50_us"]["median"])
        verdicts.append(
            Verdict(
                f"store step p50, {name}",
                f"≤ {limit:.0f} µs",
                fmt(entry["p50_us"], "µs"),
                p50 <= limit,
            )
        )
    return verdicts


def _sweep_targets(results: Results) -> list[Verdict]:
    sweep = results.get("sweep")
    if not sweep:
        return [Verdict("sweep of 1M sessions", "", "", None)]
    largest = int(sweep["plan_size"])
    label = f"sweep of {largest:,} sessions (half expired)"
    verdicts = []
    for entry in sweep["results"]:
        if entry["size"] != largest:
            continue
        seconds = float(entry["seconds"]["median"])
        if entry["timed_out"]:
            rate = entry["swept_before_limit"] / max(seconds, 1e-9)
            projected = entry["expired"] / max(rate, 1e-9)
            measured = (
                f"stopped at the {sweep['limit_s']:.0f} s limit after "
                f"{entry['swept_before_limit']:,} of {entry['expired']:,} "
                f"(~{projected:,.0f} s projected)"
            )
        else:
            measured = fmt(entry["seconds"], "s", 2)
        verdicts.append(
            Verdict(
                f"{label}, {entry['backend']}",
                "≤ 2 s, batched, returning what expired",
                measured,
                (seconds <= 2.0 and entry["complete"] and not entry["timed_out"])
                if largest >= 1_000_000
                else None,
            )
        )
    for backend in ("sqlite", "postgresql"):
        keys = [k for k in sweep["plans"] if k.split()[0] == backend]
        if not keys:
            continue
        missing = [k for k in keys if not sweep["index_used"][k]]
        scanned = [k for k in keys if sweep.get("full_scans", {}).get(k)]
        sizes = ", ".join(f"{int(k.split()[1]):,}" for k in keys)
        measured = "index used at every size" if not missing else f"no index at {missing}"
        if scanned:
            measured += "; but the whole table is read at " + ", ".join(
                f"{int(k.split()[1]):,} ({sweep['full_scans'][k][0].lstrip('-> ')[:40]})"
                for k in scanned
            )
        verdicts.append(
            Verdict(
                f"sweep batch plan, {backend} ({sizes} sessions)",
                "uses ix_durable_sessions_expires_at (EXPLAIN)",
                measured,
                not missing and not scanned,
            )
        )
    for lat in sweep["latency"]:
        ratio = lat.get("p99_ratio")
        measured = (
            "no complete run"
            if ratio is None
            else f"{fmt(ratio, '×', 1)} (idle {fmt(lat['idle_p99_us'], 'µs')}, "
            f"sweeping {fmt(lat['sweep_p99_us'], 'µs')})"
        )
        verdicts.append(
            Verdict(
                f"p99 step latency during the {lat['size']:,} sweep, {lat['backend']}",
                "≤ 3 × idle",
                measured,
                None if ratio is None else float(ratio["median"]) <= 3.0,
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
