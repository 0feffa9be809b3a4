"""The line as it runs in production (app.py, ivr/, payments/, webhooks/) never imports its
development tools or its tests: the terminal phone registers itself as a command of `ivr`
through an entry point (pyproject.toml), and the line runs without it. The payments core never
imports the phone line built over it (ivr/, webhooks/). How ivr/ itself is layered:
test_ivr_layout.py."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = [ROOT / "app.py", *(ROOT / part for part in ("ivr", "payments", "webhooks"))]
OUTSIDE = ("devtools", "tests", "bench")
ABOVE_PAYMENTS = ("ivr", "webhooks", "app")


def imported(path: Path) -> set[str]:
    """Every module the file imports, anywhere in it; `from a import b` gives `a` and `a.b` (b may
    be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # Relative imports would hide their target from these checks: the code has none.
            assert node.level == 0 and node.module, f"{path}: a relative import"
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def files_under(*parts: str) -> list[Path]:
    roots = [ROOT / part for part in parts]
    return [p for root in roots for p in ([root] if root.is_file() else root.rglob("*.py"))]


def production_files() -> list[Path]:
    return files_under("app.py", "ivr", "payments", "webhooks")


def wrong_imports(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        {
            f"{path.relative_to(ROOT)}: {name}"
            for path in files
            for name in imported(path)
            if name.split(".")[0] in forbidden
        }
    )


def test_no_production_module_imports_the_development_tools_or_the_tests() -> None:
    files = production_files()
    assert len(files) > 100  # the walk found the packages
    assert {p.parent for p in files} >= {ROOT / "ivr" / "engine", ROOT / "payments" / "domain"}
    assert not (wrong := wrong_imports(files, OUTSIDE)), wrong


def test_the_payments_core_imports_nothing_of_the_phone_line() -> None:
    files = files_under("payments")
    assert len(files) > 50
    assert not (wrong := wrong_imports(files, ABOVE_PAYMENTS)), wrong


def test_the_walk_would_see_such_an_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from devtools.phone import call\n    from ivr import engine\n",
        encoding="utf-8",
    )
    assert {"devtools.phone", "ivr.engine"} <= imported(module)
