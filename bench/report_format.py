"""Number formatting shared by the report and the targets."""

from __future__ import annotations

from typing import Any


def fmt(summary: dict[str, Any] | None, unit: str = "", digits: int = 0) -> str:
    """``median (min–max) unit`` of a ``Summary.as_dict()``."""
    if summary is None:
        return "–"

    def num(x: float) -> str:
        return f"{x:,.{digits}f}"

    spread = f" ({num(summary['low'])}–{num(summary['high'])})" if summary["runs"] > 1 else ""
    return f"{num(summary['median'])}{spread}{' ' + unit if unit else ''}"
