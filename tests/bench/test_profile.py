"""bench.profile sorts py-spy samples into what an update spent them on."""

from __future__ import annotations

from pathlib import Path

from bench.profile import categorise, report

LOOP = "run (asyncio/base_events.py:600);_run_once (asyncio/base_events.py:1922)"
UPDATE = f"{LOOP};worker (bench/dispatch.py:112);feed_update (aiogram/dispatcher/dispatcher.py:160)"
SITE = "/venv/lib/python3.11/site-packages"


def _raw(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "samples.raw"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_samples_are_sorted_by_what_they_were_in(tmp_path: Path) -> None:
    raw = _raw(
        tmp_path,
        [
            f"{UPDATE};execute_command ({SITE}/redis/asyncio/client.py:980) 30",
            f"{UPDATE};lock (/repo/src/aiogram_durable/redis_locks.py:90);"
            "now (/repo/src/aiogram_durable/clock.py:20) 20",
            f"{UPDATE};answer ({SITE}/aiogram/types/message.py:700) 40",
            f"{LOOP};select (selectors.py:468) 10",
            # The benchmark's own work between timed updates is not an update's.
            f"{LOOP};run_pass (bench/dispatch.py:90);build_updates (bench/dispatch.py:73) 500",
            f"{LOOP};run_pass (bench/dispatch.py:96) 7",
        ],
    )
    total, shares = categorise(raw)
    assert total == 100
    assert shares == {
        "redis-py: commands (encode, send, receive, parse)": 30,
        "aiogram-durable's Python": 20,
        "aiogram: dispatch, filters, handlers, answer": 40,
        "event loop: select, callbacks, wake-ups": 10,
    }
    assert report(raw).splitlines()[:2] == [
        "100 samples",
        " 40.0 %  aiogram: dispatch, filters, handlers, answer",
    ]
