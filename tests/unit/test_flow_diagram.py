"""The call-flow diagram in docs/ is drawn from the flow's declaration (ivr.flow_diagram): it
fails here when a flow changes without the diagram (`make diagram` draws it again)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import ivr.flow_diagram as diagram
import ivr.flows.payment
from ivr.cli import main
from ivr.flows import STEPS

DOCS = Path(__file__).resolve().parents[2] / "docs"
# `make mutation` runs the tests on flows rewritten by mutmut (each function behind a
# trampoline): the drawing is of the code as written, so it is not compared there.
pytestmark = pytest.mark.skipif(
    "mutmut" in Path(ivr.flows.payment.__file__).read_text(encoding="utf-8"),
    reason="the flows are rewritten by mutmut",
)


def test_the_committed_diagram_is_the_flow_as_declared() -> None:
    assert (DOCS / "call-flow.dot").read_text(encoding="utf-8") == diagram.dot()


def test_the_committed_svg_was_drawn_from_the_committed_text() -> None:
    digest = diagram.digest_of((DOCS / "call-flow.dot").read_text(encoding="utf-8"))
    assert f"<!-- {digest} -->" in (DOCS / "call-flow.svg").read_text(encoding="utf-8")


def test_the_diagram_holds_every_step_and_what_each_leads_to() -> None:
    text = diagram.dot()
    assert all(f'"{name}";' in text for name in STEPS)
    edges = diagram.edges()
    assert ("main_menu", "choose_plan", "") in edges  # a menu's table of targets
    assert ("choose_amount", "choose_method", "") in edges  # `enter` moving on at once
    assert ("confirm_payment", "payment_result", "") in edges  # through submit's functions
    assert ("payment_processing", "payment_processing", "hold") in edges
    assert ("agent_only", diagram.REPRESENTATIVE, "") in edges
    assert ("payment_result", diagram.END, "") in edges
    assert ("card_zip", "card_zip", "again") in edges
    assert 'subgraph "cluster_payment"' in text and 'label="Paying"' in text


def test_the_representatives_capture_is_drawn_into_the_capture_steps_and_back() -> None:
    edges = diagram.edges()
    (started,) = diagram.AGENT_ENTRIES.values()
    assert (diagram.REPRESENTATIVE, started, "console") in edges
    assert {(started, "card_number", ""), (started, "bank_account_type", "")} <= edges
    assert (diagram.AGENT_END, diagram.REPRESENTATIVE, "") in edges
    assert 'subgraph "cluster_agent_capture"' in diagram.dot()


def test_every_step_is_reached_and_the_engines_own_moves_are_drawn() -> None:
    edges = diagram.edges()
    reached = {target for source, target, _ in edges if source != target}
    assert [name for name in STEPS if name not in reached] == []
    assert (diagram.CALL_COMES_IN, "greeting", "") in edges
    assert (diagram.CALL_COMES_IN, "use_phone_account", "caller ID on file") in edges
    assert ("confirm_payment", "payment_processing", "") in edges  # a step held in a constant
    assert (diagram.EVERY_PROMPT, "confirm_heard", "relay: a value heard") in edges


def test_a_flow_changed_without_the_diagram_no_longer_matches(monkeypatch) -> None:
    fewer = {name: step for name, step in STEPS.items() if name != "recent_payments"}
    monkeypatch.setattr(diagram, "STEPS", fewer)
    assert diagram.dot() != (DOCS / "call-flow.dot").read_text(encoding="utf-8")
    assert ("main_menu", "recent_payments", "") not in diagram.edges()


def test_the_command_writes_the_text(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["flows", "diagram", "--out", str(tmp_path)])
    assert (tmp_path / "call-flow.dot").read_text(encoding="utf-8") == diagram.dot()
    assert result.exit_code == 0 or "needs Graphviz" in result.output
