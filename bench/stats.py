"""Summaries of repeated measurements: median with its spread, and latency percentiles."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by linear interpolation (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True, slots=True)
class Summary:
    """One figure over several runs: the median and how far the runs spread."""

    median: float
    low: float
    high: float
    q1: float
    q3: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        """Summarise the per-run values."""
        return cls(
            median=statistics.median(values),
            low=min(values),
            high=max(values),
            q1=percentile(values, 0.25),
            q3=percentile(values, 0.75),
            runs=len(values),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)

    def fmt(self, unit: str = "", digits: int = 0, scale: float = 1.0) -> str:
        """``median (min–max) unit`` with ``digits`` decimals after multiplying by ``scale``."""

        def num(x: float) -> str:
            return f"{x * scale:,.{digits}f}"

        spread = "" if self.runs < 2 else f" ({num(self.low)}–{num(self.high)})"
        suffix = f" {unit}" if unit else ""
        return f"{num(self.median)}{spread}{suffix}"


def latency_summary(samples_ns: Sequence[int]) -> tuple[float, float]:
    """``(p50, p99)`` in microseconds of nanosecond samples."""
    us = [s / 1000 for s in samples_ns]
    return percentile(us, 0.50), percentile(us, 0.99)
