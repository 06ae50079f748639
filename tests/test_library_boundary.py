"""Diana uses aiogram-durable through its public API only, and the library knows nothing
of Diana: the boundary a separate distribution needs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import aiogram_durable

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_MODULES = {"aiogram_durable", "aiogram_durable.schema", "aiogram_durable.urls"}
PUBLIC_NAMES = set(aiogram_durable.__all__) | {"schema", "urls"}


def _imports(folder: Path) -> list[tuple[Path, str, list[str]]]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.append((path, node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                found.extend((path, a.name, []) for a in node.names)
    return found


@pytest.mark.parametrize("folder", ["src/diana_bot", "packages/diana-devtools/src/diana_devtools"])
def test_diana_imports_only_the_public_api(folder: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}: {module} {names}"
        for path, module, names in _imports(ROOT / folder)
        if module.startswith("aiogram_durable")
        and (
            module not in PUBLIC_MODULES
            or (module == "aiogram_durable" and not set(names) <= PUBLIC_NAMES)
        )
    ]
    assert wrong == []


def test_the_library_imports_nothing_of_diana() -> None:
    library = ROOT / "packages" / "aiogram-durable"
    wrong = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module, _ in _imports(library)
        if module.split(".")[0] in ("diana_bot", "tests", "bench")
    ]
    assert wrong == []
