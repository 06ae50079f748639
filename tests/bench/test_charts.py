"""The benchmark's charts and report, rendered from a small synthetic results.json
(no servers, nothing measured)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bench.__main__ import main
from bench.charts import (
    DISPATCH,
    STORE_STEP,
    SWEEP_TIME,
    SWEEP_TIMELINE,
    baseline_of,
    render_charts,
)
from bench.report import render

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _summary(median: float, spread: float = 0.1) -> dict[str, Any]:
    low, high = median * (1 - spread), median * (1 + spread)
    return {"median": median, "low": low, "high": high, "q1": low, "q3": high, "runs": 3}


def _mode(ups: float) -> dict[str, Any]:
    return {
        "updates_per_second": _summary(ups),
        "p50_us": _summary(1e6 / ups),
        "p99_us": _summary(5e6 / ups),
        "ratio_to_memory": _summary(ups / 9000),
        "p50_ratio_to_memory": _summary(ups / 9000),
        "errors": 0,
        "problems": [],
        "runs": [],
    }


def _counted(per_update: int, concurrent: int | None = None) -> dict[str, Any]:
    def mode(per: int) -> dict[str, Any]:
        return {
            "updates": 400,
            "round_trips": 400 * per,
            "per_update": float(per),
            "connections_made": 0,
            "errors": 0,
            "problems": [],
        }

    return {"sequential": mode(per_update), "concurrent": mode(concurrent or per_update)}


def _results() -> dict[str, Any]:
    names = [
        ("aiogram MemoryStorage", 9000.0, None),
        ("aiogram-durable, SQLite", 3500.0, None),
        ("aiogram-durable, PostgreSQL", 700.0, _counted(3)),
        ("aiogram-durable, Redis", 680.0, _counted(4, 5)),
        ("aiogram RedisStorage", 1050.0, _counted(4)),
    ]
    timeline_t = [i / 100 - 2.0 for i in range(300)]
    timeline_lat = [300 + (4000 if t > 0 else 0) + i % 7 * 10 for i, t in enumerate(timeline_t)]
    return {
        "meta": {
            "command": "python -m bench --synthetic",
            "started": "2026-12-06 10:00 UTC",
            "duration_s": 60.0,
            "machine": {"cores (os.cpu_count)": "2", "cpu": "Test CPU", "python": "3.11"},
            "load": {"dispatch": "synthetic"},
            "options": {"runs": 3},
        },
        "dispatch": {
            "admins": 100,
            "updates_per_pass": 400,
            "concurrency": 100,
            "configs": [
                {
                    "name": name,
                    "wiring": "synthetic",
                    "sequential": _mode(ups),
                    "concurrent": _mode(ups * 1.3),
                    "round_trips": counted,
                }
                for name, ups, counted in names
            ],
        },
        "store_step": {
            "steps_per_run": 2000,
            "sessions": 1000,
            "backends": [
                {
                    "backend": backend,
                    "ops_per_second": _summary(1e6 / p50),
                    "p50_us": _summary(p50),
                    "p99_us": _summary(p50 * 4),
                    "runs": [{"p50_us": p50 * f, "p99_us": p50 * 4 * f} for f in (0.9, 1, 1.1)],
                    **({"round_trip_p50_us": _summary(p50 / 3)} if remote else {}),
                }
                for backend, p50, remote in (
                    ("memory", 8.0, False),
                    ("sqlite", 60.0, False),
                    ("postgresql", 500.0, True),
                    ("redis", 250.0, True),
                )
            ],
        },
        "sweep": {
            "batch": 500,
            "expired_fraction": 0.5,
            "limit_s": 60.0,
            "arrivals_per_second": 500,
            "plan_size": 100_000,
            "plans": {},
            "index_used": {},
            "full_scans": {},
            "results": [
                {
                    "backend": backend,
                    "size": size,
                    "expired": size // 2,
                    "load_seconds": 1.0,
                    "seconds": _summary(size * per),
                    "complete": True,
                    "timed_out": False,
                    "swept_before_limit": size // 2,
                    "runs": [],
                    # Only SQLite has the bare DELETE baseline here: a missing one
                    # must not break the chart.
                    **(
                        {
                            "bare_delete": {
                                "label": "bare DELETE",
                                "seconds": _summary(size * per / 3),
                                "complete": True,
                                "runs": [],
                            }
                        }
                        if backend == "sqlite"
                        else {}
                    ),
                }
                for backend, per in (("sqlite", 2e-6), ("postgresql", 8e-6))
                for size in (10_000, 100_000)
            ],
            "latency": [
                {
                    "backend": backend,
                    "size": 100_000,
                    "runs": [
                        {
                            "timed_out": False,
                            "sweep_seconds": 1.0,
                            "idle_p99_us": 400.0,
                            "sweep_p99_us": 4400.0,
                            "samples": {"t_s": timeline_t, "latency_us": timeline_lat},
                        }
                    ],
                    "idle_p99_us": _summary(400.0),
                    "sweep_p99_us": _summary(4400.0),
                    "p99_ratio": _summary(11.0),
                    "errors": 0,
                }
                for backend in ("sqlite", "postgresql")
            ],
        },
    }


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[: len(PNG_MAGIC)] == PNG_MAGIC


def test_every_chart_is_a_png(tmp_path: Path) -> None:
    paths = render_charts(_results(), tmp_path)
    names = [DISPATCH, STORE_STEP, SWEEP_TIME, SWEEP_TIMELINE]
    assert paths == [tmp_path / name for name in names]
    assert all(_is_png(path) for path in paths)


@pytest.mark.parametrize("keep", [["dispatch"], ["store_step"], ["sweep"], []])
def test_a_partial_run_draws_what_it_has(tmp_path: Path, keep: list[str]) -> None:
    full = _results()
    partial = {"meta": full["meta"], **{k: full[k] for k in keep}}
    if "sweep" in keep:  # a sweep from before the steps were kept: no timeline
        for entry in partial["sweep"]["latency"]:
            for run in entry["runs"]:
                del run["samples"]
    paths = render_charts(partial, tmp_path)
    expected = {"dispatch": [DISPATCH], "store_step": [STORE_STEP], "sweep": [SWEEP_TIME]}
    assert [p.name for p in paths] == [n for k in keep for n in expected[k]]
    assert all(_is_png(path) for path in paths)


def test_report_has_the_round_trips_column() -> None:
    report = render(_results())
    header = next(line for line in report.splitlines() if line.startswith("| configuration"))
    assert "round trips / update" in header
    rows = {line.split(" | ")[0].lstrip("| "): line for line in report.splitlines()}
    assert " | 3.00 | " in rows["aiogram-durable, PostgreSQL"]
    assert " | 4.00 (5.00 concurrent) | " in rows["aiogram-durable, Redis"]
    assert " | – | " in rows["aiogram MemoryStorage"]
    assert "Audit-log writes" in report


def test_from_json_writes_report_and_charts(tmp_path: Path) -> None:
    source = tmp_path / "results.json"
    source.write_text(json.dumps(_results()))
    out = tmp_path / "out"
    assert main(["--from-json", str(source), "--out", str(out)]) == 0
    assert "round trips / update" in (out / "results.md").read_text()
    assert sorted(p.name for p in out.glob("*.png")) == sorted(
        [DISPATCH, STORE_STEP, SWEEP_TIME, SWEEP_TIMELINE]
    )


def test_sweep_baseline_is_read_when_present() -> None:
    results = _results()["sweep"]["results"]
    sqlite = next(r for r in results if r["backend"] == "sqlite")
    postgresql = next(r for r in results if r["backend"] == "postgresql")
    assert baseline_of(sqlite) == ("bare DELETE", sqlite["bare_delete"]["seconds"])
    assert baseline_of(postgresql) is None
