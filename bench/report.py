"""The markdown report and the targets, rendered from the JSON results alone (so a
report can be rebuilt from ``results.json`` without rerunning anything)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.report_format import fmt
from bench.targets import targets

Results = dict[str, Any]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def round_trips_cell(counted: dict[str, Any] | None) -> str:
    """Round trips per update of one configuration: the sequential pass's figure, and
    the concurrent pass's when it differs; ``–`` when there is no server to talk to (or
    the results predate the count)."""
    if not counted:
        return "–"
    seq, conc = counted.get("sequential"), counted.get("concurrent")
    first = seq or conc
    if first is None:
        return "–"
    cell = f"{first['per_update']:.2f}"
    if seq is not None and conc is not None and f"{conc['per_update']:.2f}" != cell:
        cell += f" ({conc['per_update']:.2f} concurrent)"
    made = sum(m["connections_made"] for m in (seq, conc) if m is not None)
    if made:
        # A new connection's handshake counts on Redis: say so next to the figure.
        cell += f", {made} connections made"
    return cell


def _round_trip_notes(d: dict[str, Any]) -> list[str]:
    if not any(c.get("round_trips") for c in d["configs"]):
        return []
    return [
        "Round trips per update are counted at the driver, not timed: after the timed "
        "runs, each configuration that talks to a server is opened again with counting "
        "drivers and runs a warm-up pass, then one pass per mode with every update "
        "counted (the sequential figure; the concurrent one in brackets when it "
        "differs). PostgreSQL: an `asyncpg.Connection` subclass through `open_backend`'s "
        "`pg_connection_class` (both pools) counts each `execute`/`fetch*`/`prepare`, "
        "transaction statements included. Redis: a redis-py connection class on every "
        "client counts each `send_packed_command` (a command, a script call or a whole "
        "pipeline). Audit-log writes (batched, on a separate SQLAlchemy engine) are not "
        "in the count. – : the storage is in the process.",
        "",
    ]


def _dispatch_section(d: dict[str, Any]) -> list[str]:
    rows = []
    for c in d["configs"]:
        seq, conc = c["sequential"], c["concurrent"]
        errors = seq["errors"] + conc["errors"]
        problems = "; ".join(seq["problems"] + conc["problems"])
        rows.append(
            [
                c["name"],
                round_trips_cell(c.get("round_trips")),
                fmt(seq["updates_per_second"]),
                fmt(seq["p50_us"]),
                fmt(seq["p99_us"]),
                fmt(seq["ratio_to_memory"], "×", 2),
                fmt(conc["updates_per_second"]),
                fmt(conc["p50_us"]),
                fmt(conc["p99_us"]),
                fmt(conc["ratio_to_memory"], "×", 2),
                fmt(conc.get("cpu_us_per_update")),
                f"{errors}{' (' + problems + ')' if problems else ''}",
            ]
        )
    lines = [
        "## 1. Full update through the Dispatcher",
        "",
        f"{d['admins']:,} admins × 4 updates = {d['updates_per_pass']:,} updates per pass; "
        f"concurrent = {d['concurrency']} admins in flight. Latencies in µs per update. "
        "Bot CPU: what the benchmark's own process (the bot's side: aiogram, the storage, "
        "the drivers) spent per update in the concurrent passes; the servers' CPU is not "
        "in it, and they share the same cores.",
        "",
        *_table(
            [
                "configuration",
                "round trips / update",
                "sequential upd/s",
                "p50",
                "p99",
                "× Memory",
                f"{d['concurrency']} concurrent upd/s",
                "p50",
                "p99",
                "× Memory",
                "bot CPU µs / update",
                "errors",
            ],
            rows,
        ),
        "",
        *_round_trip_notes(d),
        "Wiring:",
        "",
    ]
    lines.extend(f"* {c['name']}: {c['wiring']}" for c in d["configs"])
    return [*lines, ""]


def _step_section(s: dict[str, Any]) -> list[str]:
    rows = [
        [
            b["backend"],
            fmt(b["ops_per_second"]),
            fmt(b["p50_us"]),
            fmt(b["p99_us"]),
            fmt(b.get("round_trip_p50_us")),
        ]
        for b in s["backends"]
    ]
    return [
        "## 2. Store step (get + compare-and-set save)",
        "",
        f"{s['steps_per_run']:,} sequential steps per run over {s['sessions']:,} sessions.",
        "",
        *_table(["backend", "steps/s", "p50 µs", "p99 µs", "one bare round trip p50 µs"], rows),
        "",
    ]


def _sweep_section(s: dict[str, Any]) -> list[str]:
    rows = []
    for r in s["results"]:
        if r["timed_out"]:
            took = f"> {s['limit_s']:.0f} s (stopped; {r['swept_before_limit']:,} swept)"
        else:
            took = fmt(r["seconds"], "s", 2)
        per = "–"
        if not r["timed_out"]:
            per = f"{float(r['seconds']['median']) / r['expired'] * 1e6:,.0f}"
        # Older results.json files have no baseline.
        bare = r.get("bare_delete", {}).get("seconds")
        ratio = r.get("ratio_to_bare_delete")
        vs_bare = "–" if ratio is None else f"{'≥ ' if r['timed_out'] else ''}{ratio:.1f} ×"
        rows.append(
            [
                r["backend"],
                f"{r['size']:,}",
                f"{r['expired']:,}",
                took,
                fmt(bare, "s", 2) if bare is not None else "–",
                vs_bare,
                per,
                "yes" if r["complete"] else "no",
                f"{r['load_seconds']:.1f} s",
            ]
        )
    lat_rows = [
        [
            lat["backend"],
            f"{lat['size']:,}",
            fmt(lat.get("idle_p50_us")),
            fmt(lat.get("idle_p99_us")),
            fmt(lat.get("sweep_p50_us")),
            fmt(lat.get("sweep_p99_us")),
            fmt(lat.get("p99_ratio"), "×", 1),
            str(lat.get("errors", "–")),
        ]
        for lat in s["latency"]
    ]
    lines = [
        "## 3. Sweep",
        "",
        f"`Sweeper.run_once` (batch size {s['batch']}) → `SessionManager.sweep`: each "
        "batch deleted, audited (an `expired` row per session in the same transaction) "
        "and returned; a backlog is walked in storage order, as the plans below show. "
        f"{s['expired_fraction']:.0%} of the sessions expired, a fresh copy per run; "
        f"a sweep still running after {s['limit_s']:.0f} s is stopped. The bare DELETE "
        "is `DELETE FROM durable_sessions WHERE expires_at <= now` on another fresh "
        "copy, timed the same way.",
        "",
        *_table(
            [
                "backend",
                "sessions",
                "expired",
                "sweep time",
                "bare DELETE",
                "sweep / bare DELETE",
                "µs per expired session",
                "all returned",
                "bulk load",
            ],
            rows,
        ),
        "",
        f"Store-step latency (µs) with {s['arrivals_per_second']} steps/s arriving, "
        f"idle vs during the sweep of {s['plan_size']:,}:",
        "",
        *_table(
            [
                "backend",
                "sessions",
                "idle p50",
                "idle p99",
                "sweeping p50",
                "sweeping p99",
                "p99 ratio",
                "errors",
            ],
            lat_rows,
        ),
        "",
    ]
    for key, plan in s["plans"].items():
        backend, size = key.split()
        used = "uses" if s["index_used"][key] else "does NOT use"
        if s.get("range_scans", {}).get(key):
            used = "reads a range of the table in storage order, not"
        scans = s.get("full_scans", {}).get(key)
        also = "; but also reads the whole table" if scans else ", no full scan"
        shown = plan
        if int(size) != s["plan_size"]:
            # Smaller sizes: the statement is the same; show only how tables are read.
            shown = [ln for ln in plan if ("Scan" in ln or "SEARCH" in ln or "SCAN" in ln)]
        lines += [
            f"Plan of one sweep batch on {backend} at {int(size):,} sessions "
            f"({used} `ix_durable_sessions_expires_at`{also}):",
            "",
            "```",
            *shown,
            "```",
            "",
        ]
    return lines


def _startup_section(s: dict[str, Any]) -> list[str]:
    rows = []
    for r in s["results"]:
        phases = ", ".join(f"{k} {v:.2f}" for k, v in r["phases_s"].items())
        rows.append(
            [
                r["database"],
                f"{r['stored']:,}",
                fmt(r["startup_s"], "s", 2),
                fmt(r["rss_mib"], "MiB", 1),
                fmt(r["rss_after_sweep_mib"], "MiB", 1),
                phases,
            ]
        )
    return [
        "## 4–5. Start-up and memory",
        "",
        "A new process builds the real stack (`build_container` incl. migration check, "
        "`build_dispatcher`) and handles one `/admin`; time from spawn to handled. "
        "RSS from /proc/self/status after that update and after one sweeper round.",
        "",
        *_table(
            [
                "database",
                "stored sessions",
                "start-up",
                "RSS",
                "RSS after sweep round",
                "median phases (s)",
            ],
            rows,
        ),
        "",
    ]


def render(results: Results) -> str:
    """The whole report."""
    meta = results["meta"]
    lines = [
        "# diana-bot benchmark",
        "",
        f"Command: `{meta['command']}`  ",
        f"Started {meta['started']}, took {meta['duration_s'] / 60:.1f} min. "
        f"Each figure: median of the runs (min–max in brackets).",
        "",
        *_table(["machine", ""], [[k, v] for k, v in meta["machine"].items()]),
        "",
        "CPU use per section (other processes share this machine; their load is noise "
        "in every figure):",
        "",
    ]
    lines.extend(f"* {name}: {text}" for name, text in meta["load"].items())
    lines += [
        "",
        "## Targets",
        "",
        *_table(
            ["target", "asked", "measured", "result"],
            [[v.target, v.asked, v.measured, v.mark] for v in targets(results)],
        ),
        "",
    ]
    sections: list[tuple[str, Callable[[dict[str, Any]], list[str]]]] = [
        ("dispatch", _dispatch_section),
        ("store_step", _step_section),
        ("sweep", _sweep_section),
        ("startup", _startup_section),
    ]
    for key, section in sections:
        if results.get(key):
            lines += section(results[key])
    return "\n".join(lines).rstrip() + "\n"
