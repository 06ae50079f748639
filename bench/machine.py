"""What the figures were measured on: cores, CPU model, Python and package versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

PACKAGES = ("aiogram", "sqlalchemy", "asyncpg", "redis", "aiosqlite", "structlog", "pydantic")


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (``unknown`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_version(name: str) -> str:
    """The installed version of ``name``, or ``-``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def describe() -> dict[str, str]:
    """The machine and software, as ordered ``name: value`` pairs."""
    info = {
        "cores (os.cpu_count)": str(os.cpu_count()),
        "cpu": cpu_model(),
        "memory": _memory_total(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }
    for name in PACKAGES:
        info[name] = package_version(name)
    return info


def _memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"
