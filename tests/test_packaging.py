"""The dev tools (local Bot API, sandbox) are a distribution of their own, diana-devtools:
installing diana-bot alone brings neither them nor a module that needs them. And each of
the three distributions declares every third-party package its code imports."""

from __future__ import annotations

import ast
import pkgutil
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOT_SRC = ROOT / "src"
DEVTOOLS = ROOT / "packages" / "diana-devtools"
DEVTOOLS_SRC = DEVTOOLS / "src"


def _pyproject(folder: Path) -> dict[str, Any]:
    with (folder / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def _name(requirement: str) -> str:
    """The normalized distribution name of a requirement (PEP 503)."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def _imported_top_levels(folder: Path) -> dict[str, list[str]]:
    """Top-level module imported -> the files importing it (absolute imports only)."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], []).append(str(path.relative_to(ROOT)))
    return found


def test_the_bot_package_has_no_dev_tool_modules() -> None:
    modules = {
        info.name
        for info in pkgutil.walk_packages([str(BOT_SRC / "diana_bot")], prefix="diana_bot.")
    }
    assert "diana_bot.cli" in modules  # the walk sees the package
    leftovers = {
        name for name in modules if {"localapi", "sandbox", "diana_devtools"} & set(name.split("."))
    }
    assert leftovers == set()
    # No stray files (static pages, data) of the tools either.
    assert not [p for p in (BOT_SRC / "diana_bot").rglob("*") if p.name in ("localapi", "sandbox")]


def test_the_bot_imports_nothing_of_the_dev_tools() -> None:
    imports = _imported_top_levels(BOT_SRC / "diana_bot")
    assert imports.get("diana_devtools", []) == []


def test_the_bot_does_not_depend_on_the_dev_tools() -> None:
    project = _pyproject(ROOT)["project"]
    assert "diana-devtools" not in {_name(r) for r in project["dependencies"]}
    package_data = _pyproject(ROOT)["tool"]["setuptools"]["package-data"]["diana_bot"]
    assert not [pattern for pattern in package_data if "sandbox" in pattern]


def _declared(folder: Path, extras: tuple[str, ...]) -> set[str]:
    project = _pyproject(folder)["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return {_name(line) for line in lines}


LIBRARY = ROOT / "packages" / "aiogram-durable"
# The local packages: not on any index, scripts/bootstrap installs them from here.
LOCAL = {"diana_bot", "aiogram_durable", "diana_devtools"}
# Each tree of code: (the project that declares what it imports, with these extras,
# its own top-level modules). A package's sources may import only what its own
# dependencies declare, the test and benchmark trees also their project's test extra
# and the local packages (scripts/bootstrap test installs all three).
TREES = {
    "src/diana_bot": (ROOT, (), {"diana_bot"}),
    "packages/aiogram-durable/src": (LIBRARY, (), {"aiogram_durable"}),
    "packages/diana-devtools/src": (DEVTOOLS, (), {"diana_devtools"}),
    "tests": (ROOT, ("test",), {"tests", "bench", *LOCAL}),
    "bench": (ROOT, ("test",), {"tests", "bench", *LOCAL}),
    "packages/aiogram-durable/tests": (
        LIBRARY,
        ("test",),
        {"aiogram_durable", *(p.stem for p in (LIBRARY / "tests").glob("*.py"))},
    ),
}


@pytest.mark.parametrize("tree", sorted(TREES))
def test_every_imported_distribution_is_declared(tree: str) -> None:
    """A third-party module imported anywhere in a tree belongs to a distribution its
    project declares: one that only arrives through another package's requirements
    (rich through typer) could go away with that package's next release."""
    folder, extras, own = TREES[tree]
    declared = _declared(folder, extras)
    distributions = packages_distributions()
    imports = _imported_top_levels(ROOT / tree)
    assert imports  # the walk sees the tree
    missing = {}
    for module, files in imports.items():
        if module in sys.stdlib_module_names or module in own:
            continue
        names = {_name(d) for d in distributions.get(module, [module])}
        if not names & declared:
            missing[module] = sorted(set(files))
    assert missing == {}


def test_the_dev_tools_declare_the_bot() -> None:
    assert "diana-bot" in _declared(DEVTOOLS, ())


def test_the_sandbox_command_is_the_dev_tools() -> None:
    project = _pyproject(DEVTOOLS)["project"]
    assert project["scripts"] == {"diana-sandbox": "diana_devtools.sandbox.cli:main"}
    assert "sandbox" not in str(_pyproject(ROOT)["project"]["scripts"])
    package_data = _pyproject(DEVTOOLS)["tool"]["setuptools"]["package-data"]["diana_devtools"]
    assert "sandbox/static/*" in package_data
    assert (DEVTOOLS_SRC / "diana_devtools" / "sandbox" / "static" / "index.html").is_file()
