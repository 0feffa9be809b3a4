"""The line as it runs in production (app.py, ivr/, payments/, webhooks/) never imports its
development tools or its tests: the terminal phone registers itself as a command of `ivr`
through an entry point (pyproject.toml), and the line runs without it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = [ROOT / "app.py", *(ROOT / part for part in ("ivr", "payments", "webhooks"))]
OUTSIDE = ("devtools", "tests", "bench")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def production_files() -> list[Path]:
    return [p for root in PRODUCTION for p in ([root] if root.is_file() else root.rglob("*.py"))]


def test_no_production_module_imports_the_development_tools_or_the_tests() -> None:
    files = production_files()
    assert len(files) > 100  # the walk found the packages
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in imported(path)
        if name.split(".")[0] in OUTSIDE
    }
    assert not wrong, sorted(wrong)


def test_the_walk_would_see_such_an_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from devtools.phone import call\n", encoding="utf-8")
    assert "devtools.phone" in imported(module)
