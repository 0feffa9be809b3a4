"""ivr/ is grouped by role (README, "Layout"), and its imports point one way.

At the top of ivr/ stay only the entry points (the `ivr` commands, the server, the job engine,
calls.py: one webhook of one call) and the settings they share (config.py, hours.py); everything
else lives in a package. The packages are layered, lowest first: speech/ and agents/ import
nothing else of ivr/, then the settings, flows/ and prompts/, engine/, channels/, and only the
entry points may import anything. ivr/ never imports webhooks/ (which is built over it).
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_production_imports import ROOT, files_under, imported

IVR = ROOT / "ivr"
TOP_MODULES = {
    "__init__",
    "assembly",
    "calls",
    "cli",
    "cli_bank",
    "config",
    "flow_diagram",
    "hours",
    "jobs",
    "server",
}
PACKAGES = {"agents", "channels", "engine", "flows", "prompts", "speech"}
# Lowest first: a unit imports only its own modules and those of the units before it.
LAYERS: list[set[str]] = [
    {"speech", "agents"},
    {"hours"},
    {"config"},
    {"flows"},
    {"prompts"},
    {"engine"},
    {"channels"},
]
ENTRY_POINTS = TOP_MODULES - {"__init__", "config", "hours"}  # may import any of ivr/


def unit_of(path: Path) -> str:
    """The package (ivr/engine/callstate.py: engine) or top module (ivr/cli.py: cli) of a file."""
    parts = path.relative_to(IVR).parts
    return parts[0] if len(parts) > 1 else path.stem


def units_imported(path: Path) -> set[str]:
    return {
        name.split(".")[1]
        for name in imported(path)
        if name.startswith("ivr.") and name.split(".")[1] in TOP_MODULES | PACKAGES
    }


def test_only_the_entry_points_and_settings_are_left_at_the_top_of_ivr() -> None:
    modules = {p.stem for p in IVR.glob("*.py")}
    packages = {p.name for p in IVR.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert modules == TOP_MODULES, "a module at the top of ivr/: put it in the package of its role"
    assert packages == PACKAGES
    for package in PACKAGES:
        init = IVR / package / "__init__.py"
        assert init.is_file(), f"ivr/{package}/ is not a package"
        assert init.read_text(encoding="utf-8").startswith('"""'), f"say what is in ivr/{package}/"


def test_every_unit_of_ivr_has_a_layer() -> None:
    layered = set().union(*LAYERS)
    assert layered | ENTRY_POINTS | {"__init__"} == TOP_MODULES | PACKAGES
    assert not layered & ENTRY_POINTS


def test_the_imports_of_ivr_point_down_its_layers_only() -> None:
    below: dict[str, set[str]] = {}
    seen: set[str] = set()
    for layer in LAYERS:
        for unit in layer:
            below[unit] = seen | {unit}
        seen = seen | layer
    files = files_under("ivr")
    assert len(files) > 30
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports ivr.{target}"
        for path in files
        if (unit := unit_of(path)) in below
        for target in units_imported(path)
        if target not in below[unit]
    )
    assert not wrong, wrong


def test_the_entry_points_import_each_other_one_way() -> None:
    """No circle among the modules at the top of ivr/, lazy imports included: `ivr` loads its
    commands, the commands and the workers start from ivr.assembly."""
    graph = {
        unit: units_imported(IVR / f"{unit}.py") & ENTRY_POINTS - {unit} for unit in ENTRY_POINTS
    }
    done: set[str] = set()

    def visit(unit: str, path: tuple[str, ...]) -> None:
        assert unit not in path, " -> ".join((*path, unit))
        if unit not in done:
            for target in sorted(graph[unit]):
                visit(target, (*path, unit))
            done.add(unit)

    for unit in sorted(graph):
        visit(unit, ())


def test_ivr_does_not_import_the_webhooks() -> None:
    wrong = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in files_under("ivr")
        for name in imported(path)
        if name.split(".")[0] == "webhooks"
    )
    assert not wrong, wrong


def test_the_check_would_see_a_module_importing_upwards(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from ivr.channels.render import Renderer\nfrom ivr import engine\n", encoding="utf-8"
    )
    assert units_imported(module) == {"channels", "engine"}
