"""The client's layers hold: services never touch Textual; widgets never do I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WIDGETS_MUST_NOT_IMPORT = (
    "httpx",
    "sqlite3",
    "server",
    "tui.forum.embedded",
    "tui.forum.forum_client",
)


def imported_modules(path: Path, package: tuple[str, ...] | None = None) -> set[str]:
    """Every module a file imports, absolute (relative imports resolved from its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    if package is None:
        package = path.relative_to(ROOT).parent.parts
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _is_within(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(forbidden + ".")


def _sources(folder: str) -> list[Path]:
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no Python files under {folder}/"
    return files


@pytest.mark.parametrize("path", _sources("tui/forum"), ids=lambda p: p.name)
def test_forum_services_never_import_textual(path: Path) -> None:
    bad = sorted(m for m in imported_modules(path) if _is_within(m, "textual"))
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("path", _sources("widgets"), ids=lambda p: p.name)
def test_widgets_do_no_io(path: Path) -> None:
    bad = sorted(
        m
        for m in imported_modules(path)
        if any(_is_within(m, forbidden) for forbidden in WIDGETS_MUST_NOT_IMPORT)
    )
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_checker_sees_every_kind_of_import(tmp_path: Path) -> None:
    # Guard against a checker that passes because it finds nothing.
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import httpx\n"
        "import sqlite3 as db\n"
        "from server.store import Store\n"
        "from ..forum import embedded\n"
        "from textual.widgets import DataTable\n"
        "def later():\n"
        "    import tui.forum.forum_client\n",
        encoding="utf-8",
    )
    modules = imported_modules(bad, package=("tui", "screens"))
    for forbidden in WIDGETS_MUST_NOT_IMPORT:
        assert any(_is_within(m, forbidden) for m in modules), forbidden
    assert any(_is_within(m, "textual") for m in modules)
    assert not any(_is_within(m, "httpx") for m in {"httpx_extra", "tui.httpx"})
