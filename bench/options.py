"""The benchmark's command-line options."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

SECTIONS = ("dispatch", "store", "sweep", "startup")


@dataclass(frozen=True)
class Options:
    """What to run and how often."""

    runs: int = 5
    quick: bool = False
    out: Path = Path("bench-results")
    only: tuple[str, ...] = SECTIONS
    admins: int = 1000
    sweep_limit_s: float = 60.0
    quiet_wait_s: float = 10.0
    from_json: Path | None = None

    def wants(self, section: str) -> bool:
        """True when ``section`` is to run."""
        return section in self.only


def parse(argv: list[str] | None = None) -> Options:
    """Options from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark diana-bot's session layer; writes a markdown report + JSON.",
    )
    parser.add_argument("--quick", action="store_true", help="skip the 1M-session sweep")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median, spread)")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="output dir")
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run only this section (repeatable); default: all",
    )
    parser.add_argument(
        "--admins", type=int, default=1000, help="simulated admins per Dispatcher pass"
    )
    parser.add_argument(
        "--sweep-limit",
        type=float,
        default=60.0,
        help="stop a sweep still running after this many seconds (reported as a miss)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=10.0,
        help="wait up to this long for other processes to leave the CPU before each section",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        help="rebuild the report from a results.json instead of running anything",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return Options(
        runs=args.runs,
        quick=args.quick,
        out=args.out,
        only=tuple(args.only) if args.only else SECTIONS,
        admins=args.admins,
        sweep_limit_s=args.sweep_limit,
        quiet_wait_s=args.quiet_wait,
        from_json=args.from_json,
    )
