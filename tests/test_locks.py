"""The hash-pinned locks in requirements/ (written by scripts/lock, installed by
scripts/bootstrap and deploy/Dockerfile) agree with the version ranges of the three
pyproject files: a requirement added or changed there without running scripts/lock fails
here."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "requirements"
PROJECTS = {
    "diana-bot": ROOT,
    "aiogram-durable": ROOT / "packages" / "aiogram-durable",
    "diana-devtools": ROOT / "packages" / "diana-devtools",
}
# Not on any package index: scripts/bootstrap installs them from this repository.
LOCAL = {canonicalize_name(name) for name in PROJECTS}
# What each lock is for: (project, its extras), as scripts/lock resolves them.
LOCKED: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "runtime": [("diana-bot", ()), ("aiogram-durable", ())],
    "test": [("diana-bot", ("test",)), ("aiogram-durable", ("test",)), ("diana-devtools", ())],
}
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")
# The platform the locks are resolved for (scripts/lock): CPython 3.11 on x86_64 Linux.
TARGET = {
    "python_version": "3.11",
    "platform_system": "Linux",
    "sys_platform": "linux",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
}


@dataclass(frozen=True)
class Pin:
    version: Version
    hashes: frozenset[str]


def _pyproject(project: str) -> dict[str, Any]:
    with (PROJECTS[project] / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def _declared(project: str, extras: tuple[str, ...]) -> list[Requirement]:
    """The project's requirements with the given extras, and what builds it."""
    data = _pyproject(project)
    lines = list(data["project"]["dependencies"]) + list(data["build-system"]["requires"])
    for extra in extras:
        lines += data["project"]["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def _applies(requirement: Requirement, extra: str = "") -> bool:
    if requirement.marker is None:
        return True
    return requirement.marker.evaluate({**TARGET, "extra": extra})


def _lock_entries(name: str) -> list[str]:
    """The lock's requirements, each with its continuation lines joined, comments out."""
    text = (LOCKS / f"{name}.lock").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", re.sub(r"[ \t]*#.*", "", text))
    return [" ".join(line.split()) for line in joined.splitlines() if line.strip()]


def _lock(name: str) -> dict[NormalizedName, Pin]:
    pins: dict[NormalizedName, Pin] = {}
    for entry in _lock_entries(name):
        spec, *options = entry.split(" ")
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^=\s;]+)", spec)
        assert match, f"{name}.lock: not a name==version pin: {entry[:80]}"
        package = canonicalize_name(match.group(1))
        assert package not in pins, f"{name}.lock: {package} twice"
        pins[package] = Pin(Version(match.group(2)), frozenset(options))
    return pins


@pytest.mark.parametrize("lock", sorted(LOCKED))
def test_every_line_is_an_exact_pin_with_hashes(lock: str) -> None:
    entries = _lock_entries(lock)
    assert entries
    for entry in entries:
        spec, *options = entry.split(" ")
        assert re.fullmatch(r"[A-Za-z0-9._-]+==[^=\s;]+", spec), entry[:80]
        assert options, f"{spec} has no --hash"
        wrong = [option for option in options if not HASH.fullmatch(option)]
        assert wrong == [], spec


@pytest.mark.parametrize("lock", sorted(LOCKED))
def test_the_local_packages_are_not_locked(lock: str) -> None:
    assert LOCAL & set(_lock(lock)) == set()


@pytest.mark.parametrize("lock", sorted(LOCKED))
def test_every_declared_requirement_is_locked_inside_its_range(lock: str) -> None:
    pins = _lock(lock)
    problems = []
    for project, extras in LOCKED[lock]:
        for requirement in _declared(project, extras):
            package = canonicalize_name(requirement.name)
            if package in LOCAL or not _applies(requirement):
                continue
            pin = pins.get(package)
            if pin is None:
                problems.append(f"{project}: {requirement} is not in {lock}.lock")
            elif not requirement.specifier.contains(pin.version, prereleases=True):
                problems.append(f"{project}: {requirement}, but {lock}.lock has {pin.version}")
    assert problems == [], "run scripts/lock"


@pytest.mark.parametrize("lock", sorted(LOCKED))
def test_the_lock_holds_every_requirement_of_what_it_installs(lock: str) -> None:
    """Closed under requirements: from the pyproject files down through each locked
    package's own metadata (extras included, markers for the target), every requirement
    is met by the lock. The metadata is the installed one, at the locked version."""
    pins = _lock(lock)
    problems: list[str] = []
    # (who needs it, a requirement whose marker holds for the target)
    todo: list[tuple[str, Requirement]] = [
        (project, requirement)
        for project, extras in LOCKED[lock]
        for requirement in _declared(project, extras)
        if _applies(requirement)
    ]
    seen: set[tuple[NormalizedName, frozenset[str]]] = set()
    while todo:
        parent, requirement = todo.pop()
        package = canonicalize_name(requirement.name)
        if package in LOCAL:
            continue
        pin = pins.get(package)
        if pin is None:
            problems.append(f"{parent} needs {requirement}: not in {lock}.lock")
            continue
        if not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{parent} needs {requirement}, {lock}.lock has {pin.version}")
        key = (package, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        installed = Version(metadata.version(package))
        assert installed == pin.version, (
            f"{package} {installed} is installed, {lock}.lock has {pin.version}: "
            "run scripts/bootstrap test"
        )
        for line in metadata.requires(package) or []:
            child = Requirement(line)
            if _applies(child) or any(_applies(child, extra) for extra in requirement.extras):
                todo.append((f"{package} {pin.version}", child))
    assert problems == []


def test_the_runtime_lock_is_part_of_the_test_lock_at_the_same_versions() -> None:
    runtime, test = _lock("runtime"), _lock("test")
    assert set(runtime) <= set(test), sorted(set(runtime) - set(test))
    assert {name: pin for name, pin in runtime.items() if test[name] != pin} == {}


def test_the_runtime_lock_has_what_the_sandbox_needs() -> None:
    """scripts/run sandbox adds the dev tools to a runtime install: everything they need
    is there already."""
    runtime = _lock("runtime")
    for requirement in _declared("diana-devtools", ()):
        package = canonicalize_name(requirement.name)
        if package not in LOCAL:
            assert package in runtime, requirement
            assert requirement.specifier.contains(runtime[package].version), requirement


def test_the_locks_are_resolved_for_the_target_and_installed_by_bootstrap() -> None:
    refresh = (ROOT / "scripts" / "lock").read_text(encoding="utf-8")
    for option in ("--generate-hashes", "--python-version 3.11", "--only-binary :all:"):
        assert option in refresh
    assert "--python-platform x86_64-manylinux_2_28" in refresh
    header = "# This file was autogenerated by uv via the following command:\n#    scripts/lock\n"
    for lock in LOCKED:
        assert (LOCKS / f"{lock}.lock").read_text(encoding="utf-8").startswith(header), lock
    bootstrap = (ROOT / "scripts" / "bootstrap").read_text(encoding="utf-8")
    assert 'install --require-hashes --only-binary :all: -r "$lock"' in bootstrap
    assert "install --no-deps --no-build-isolation" in bootstrap
    assert "pip check" in bootstrap
