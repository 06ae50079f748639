"""The import graph of ``diana_bot``: no cycles, no imports hidden in functions, and layers
that point one way (bot → domain → data access).

How the graph is built: every ``.py`` file under ``src/diana_bot`` is a node named by its
module (a package's ``__init__.py`` is the node of the package itself, ``diana_bot.db``).
Every ``import`` / ``from … import`` statement naming a ``diana_bot`` module is an edge,
wherever it stands: at module level, under ``if TYPE_CHECKING:`` (a type-only import
still says which way the layers point) or inside a function. ``from diana_bot.x import y``
points at ``diana_bot.x.y`` when that is a module, else at ``diana_bot.x``; relative
imports are resolved the same way.

Packages and their ``__init__``: importing ``pkg.sub`` makes Python run ``pkg/__init__``
first. That implicit parent import is *not* an edge, or every package whose ``__init__``
re-exports its submodules would be a cycle by construction. ``pkg/__init__ → pkg.sub``
(a re-export) is an ordinary edge. ``pkg.sub → pkg`` written out (a submodule importing
its own package's ``__init__``) is an ordinary edge too, and with the re-export it is a
cycle, reported as one: it is a real one (``pkg.sub`` sees a half-built ``pkg``), so a
submodule imports its siblings directly, never through its package's facade.

The rules:
- no cycle between modules (Tarjan's strongly connected components);
- no import of a ``diana_bot`` or ``aiogram_durable`` module inside a function body:
  that is how a cycle is dodged, and it hides a dependency from the reader;
- no upward import by ``LAYERS`` (lowest first; a module belongs to the layer of its
  longest matching prefix, anything unlisted to the top layer, "application");
- nothing imports ``diana_devtools``: dev tools are not part of the runtime package;
- the domain and the texts import no database driver (SQLAlchemy included) and no
  Telegram or HTTP library.

``KNOWN_VIOLATIONS`` lists what breaks a rule today in modules another change is
restructuring (the composition root and the bot layer). It may only shrink: a listed
violation that no longer exists fails the test until it is removed from the list.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = "diana_bot"
SRC = Path(__file__).resolve().parents[1] / "src"
FIRST_PARTY = ("diana_bot", "aiogram_durable")
DEV_TOOLS = "diana_devtools"
# The business rules know no database driver and no Telegram library, nor do the texts:
# that is what keeps them testable and the layers honest.
PURE_LAYERS = ("diana_bot.domain", "diana_bot.texts")
IMPURE = ("sqlalchemy", "asyncpg", "redis", "sqlite3", "aiosqlite", "aiogram", "aiohttp")

# Lowest first: a layer may import its own modules and any lower layer's, never a higher
# one's. Modules matched by no prefix are "application" (composition root, runtime, CLI,
# entry points), above everything.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("diana_bot.config", "diana_bot.redaction", "diana_bot.log_setup")),
    ("texts", ("diana_bot.texts",)),
    ("data access", ("diana_bot.db",)),
    ("domain", ("diana_bot.domain",)),
    # What the bot and the web side share: the built services and the metrics registry.
    ("services", ("diana_bot.container", "diana_bot.metrics")),
    ("bot", ("diana_bot.bot",)),
    ("web", ("diana_bot.web",)),
)
TOP_LAYER = "application"

# Each entry is a violation's key (see Violation.key); none may be added, and each one
# that is fixed must be deleted. Empty since the composition root (issue 13): keep it so.
KNOWN_VIOLATIONS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Import:
    """One import statement's target, as found in ``importer``."""

    importer: str
    target: str  # a diana_bot module (resolved), else the dotted name as written
    path: Path
    line: int
    in_function: bool

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(SRC.parent)}:{self.line}"


@dataclass(frozen=True)
class Violation:
    key: str  # stable across edits (no line numbers): what KNOWN_VIOLATIONS holds
    where: str


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name; a package's ``__init__`` is the package."""
    found: dict[str, Path] = {}
    for path in sorted((SRC / ROOT).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name: str) -> str:
    """The module ``name`` is, or the closest package or module that holds it."""
    known = modules()
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, path: Path) -> None:
        self.module, self.path = module, path
        self.depth = 0
        self.found: list[Import] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._inside_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._inside_function(node)

    def _inside_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        source = _absolute(self.module, self.path, node)
        for alias in node.names:
            candidate = f"{source}.{alias.name}"
            self._add(candidate if candidate in modules() else source, node)

    def _add(self, name: str, node: ast.stmt) -> None:
        if name.split(".", 1)[0] == ROOT:
            name = _resolve(name)
        self.found.append(Import(self.module, name, self.path, node.lineno, self.depth > 0))


@cache
def imports() -> tuple[Import, ...]:
    """Every import statement in the package (relative ones made absolute)."""
    found: list[Import] = []
    for module, path in modules().items():
        collector = _Collector(module, path)
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found.extend(collector.found)
    return tuple(found)


def graph() -> dict[str, set[str]]:
    """diana_bot module → the diana_bot modules it imports (self-imports left out)."""
    edges: dict[str, set[str]] = {module: set() for module in modules()}
    for imp in imports():
        if imp.target in edges and imp.target != imp.importer:
            edges[imp.importer].add(imp.target)
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the components with more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(edges[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def _shortest_cycle(edges: dict[str, set[str]], members: list[str]) -> list[str]:
    """One shortest way round the component, from its first module back to it."""
    start, inside = members[0], set(members)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for succ in sorted(edges[node] & inside):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if succ not in came_from:
                came_from[succ] = node
                queue.append(succ)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str) -> tuple[int, str]:
    """(rank, name) of the layer holding ``module``: its longest matching prefix."""
    best: tuple[int, int, str] | None = None  # (prefix length, rank, name)
    for rank, (name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if _within(module, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rank, name)
    return (len(LAYERS), TOP_LAYER) if best is None else (best[1], best[2])


def cycle_violations() -> Iterator[Violation]:
    edges = graph()
    for members in strongly_connected(edges):
        path = _shortest_cycle(edges, members)
        yield Violation(f"cycle: {', '.join(members)}", "e.g. " + " -> ".join(path))


def function_import_violations() -> Iterator[Violation]:
    for imp in imports():
        if imp.in_function and imp.target.split(".", 1)[0] in FIRST_PARTY:
            yield Violation(f"in a function: {imp.importer} -> {imp.target}", imp.where)


def upward_violations() -> Iterator[Violation]:
    for imp in imports():
        if imp.target not in modules():
            continue
        (low_rank, low_name), (high_rank, high_name) = layer_of(imp.importer), layer_of(imp.target)
        if high_rank > low_rank:
            yield Violation(
                f"upward: {imp.importer} ({low_name}) -> {imp.target} ({high_name})", imp.where
            )


def all_violations() -> list[Violation]:
    return [*cycle_violations(), *function_import_violations(), *upward_violations()]


def _report(title: str, violations: list[Violation]) -> str:
    lines = sorted({f"  {v.key}  [{v.where}]" for v in violations})
    return "\n".join([title, *lines])


def _new(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.key not in KNOWN_VIOLATIONS]


def test_the_walk_sees_the_package() -> None:
    # Guards the test itself: a wrong SRC would find nothing and pass everything.
    assert {"diana_bot.config", "diana_bot.db", "diana_bot.domain.tariffs"} <= set(modules())
    assert any(imp.target == "diana_bot.db.models" for imp in imports())


def test_every_layer_prefix_names_a_module() -> None:
    missing = [p for _, prefixes in LAYERS for p in prefixes if p not in modules()]
    assert not missing, f"LAYERS names modules that do not exist: {missing}"


def test_no_import_cycles() -> None:
    found = _new(list(cycle_violations()))
    assert not found, _report("Import cycles (break them; no function-local imports):", found)


def test_no_first_party_imports_inside_functions() -> None:
    found = _new(list(function_import_violations()))
    assert not found, _report(
        "diana_bot/aiogram_durable imported inside a function (import at module level; "
        "if that makes a cycle, the dependency points the wrong way):",
        found,
    )


def test_layers_point_down() -> None:
    found = _new(list(upward_violations()))
    order = " < ".join([*(name for name, _ in LAYERS), TOP_LAYER])
    assert not found, _report(f"Upward imports (layers, lowest first: {order}):", found)


def test_known_violations_only_shrink() -> None:
    current = {v.key for v in all_violations()}
    fixed = sorted(KNOWN_VIOLATIONS - current)
    assert not fixed, "Fixed, so delete from KNOWN_VIOLATIONS in this file:\n" + "\n".join(
        f"  {key}" for key in fixed
    )


def test_nothing_imports_dev_tools() -> None:
    found = [
        Violation(f"dev tools: {imp.importer} -> {imp.target}", imp.where)
        for imp in imports()
        if imp.target.split(".", 1)[0] == DEV_TOOLS
    ]
    assert not found, _report(f"{DEV_TOOLS} is not part of the runtime package:", found)


def test_the_domain_and_the_texts_import_no_driver_and_no_telegram() -> None:
    found = [
        Violation(f"impure: {imp.importer} -> {imp.target}", imp.where)
        for imp in imports()
        if any(_within(imp.importer, pure) for pure in PURE_LAYERS)
        and imp.target.split(".", 1)[0] in IMPURE
    ]
    assert not found, _report("The domain and the texts go through the data-access layer:", found)


def test_the_checks_catch_what_they_guard() -> None:
    # The rules on a small made-up graph: a two-module cycle through a package facade,
    # and the layer ranks the real modules get.
    edges = {
        "diana_bot.pkg": {"diana_bot.pkg.sub"},
        "diana_bot.pkg.sub": {"diana_bot.pkg"},
        "diana_bot.pkg.other": {"diana_bot.pkg.sub"},
    }
    assert strongly_connected(edges) == [["diana_bot.pkg", "diana_bot.pkg.sub"]]
    assert _shortest_cycle(edges, ["diana_bot.pkg", "diana_bot.pkg.sub"]) == [
        "diana_bot.pkg",
        "diana_bot.pkg.sub",
        "diana_bot.pkg",
    ]
    assert layer_of("diana_bot.db.models")[1] == "data access"
    assert layer_of("diana_bot.domain")[1] == "domain"
    assert layer_of("diana_bot.cli")[1] == TOP_LAYER
    assert layer_of("diana_bot.configuration")[1] == TOP_LAYER  # a prefix, not a module
    assert layer_of("diana_bot.config")[0] < layer_of("diana_bot.texts")[0]
