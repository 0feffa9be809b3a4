"""The call flow drawn from its declaration (`ivr flows diagram`): every step of ivr.flows.STEPS,
clustered by the flow module that declares it, with an edge to each step its functions can lead
to, read from their code: `Go("step")`, and any step's name they or the flow functions they call
hold (a menu's table of targets); a representative (`Transfer`), the end of the call (`Hangup`),
a hold (`Hold`) and the question asked again (`Retry`). Voice and relay callers go through the
same steps; what every prompt shares (`*`, `0`, silence) is the engine's, drawn once.

The Graphviz text is compared with docs/call-flow.dot by a test; `dot` renders the SVG.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import sys
import textwrap
from collections.abc import Callable, Iterator
from functools import cache
from types import FunctionType, ModuleType
from typing import Any

from ivr import flows
from ivr.calls import FIRST_STEP, PHONE_ACCOUNT_STEP
from ivr.flows import STEPS, agent_capture
from ivr.flows.base import Step

REPRESENTATIVE, END = "representative", "end of call"
CALL_COMES_IN, EVERY_PROMPT, HEARD_STEP = "a call comes in", "every prompt", "confirm_heard"
_SPECIAL = {"Transfer": REPRESENTATIVE, "Hangup": END}
_FLOW_NAMES = {
    "member": "Greeting and verification",
    "account": "Account and main menu",
    "payment": "Paying",
    "capture": "Card and bank details",
    "heard": "Spoken digits read back (relay)",
    "autopay": "AutoPay",
    "autopay_enrol": "AutoPay enrolment",
}


# A representative's capture (ivr.flows.agent_capture) has no steps of its own: the agent's
# console moves the caller into the capture steps, and the capture's end hands the caller back.
# Asking for a field again (`again`) re-enters that field's step: one edge to each would hide
# the rest, so it is said in the note instead.
AGENT_ENTRIES = {"begin": "the agent starts a capture\\n(or asks for one field again)"}
AGENT_UNDRAWN = {"again"}
AGENT_END = "the capture ends: paid, refused or cancelled"


def edges() -> set[tuple[str, str, str]]:
    """(from step, to, label): label "again" for a Retry, "hold" for a Hold, else ""."""
    # The engine's own, shared by every prompt: at the offer, 0 is the representative.
    found: set[tuple[str, str, str]] = {("offer_agent", REPRESENTATIVE, "0")}
    found |= _agent_edges() | _engine_edges()
    for step in STEPS.values():
        for function in _functions(step):
            for target, label in _leads(function, frozenset()):
                if label or target == step.name:  # its own name: the question asked again
                    found.add((step.name, step.name, label or "again"))
                else:
                    found.add((step.name, target, ""))
    return found


def dot() -> str:
    """The diagram as Graphviz text, the same for the same flow."""
    lines = [
        "digraph call_flow {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.5];',
        '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    by_flow: dict[str, list[str]] = {}
    for step in STEPS.values():
        by_flow.setdefault(_flow_of(step), []).append(step.name)
    for flow in sorted(by_flow):
        lines.append(f'  subgraph "cluster_{flow}" {{')
        lines.append(f'    label="{_FLOW_NAMES.get(flow, flow)}"; style=rounded; color="#999999";')
        lines += [f'    "{name}";' for name in sorted(by_flow[flow])]
        lines.append("  }")
    lines.append(f'  "{REPRESENTATIVE}" [shape=ellipse, style=filled, fillcolor="#e8f0fe"];')
    lines.append(f'  "{END}" [shape=ellipse, style=filled, fillcolor="#eeeeee"];')
    lines.append(f'  "{CALL_COMES_IN}" [shape=ellipse, style=filled, fillcolor="#e6f4ea"];')
    lines.append(
        f'  "{EVERY_PROMPT}" [shape=note, label="At every prompt: * repeats, 0 reaches a '
        "representative,\\nthree silences or wrong keys offer one or end the call truly; "
        'relay: the same steps"];'
    )
    lines.append('  subgraph "cluster_agent_capture" {')
    lines.append('    label="A representative on the call"; style=rounded; color="#999999";')
    lines += [
        f'    "{name}" [shape=note];' for name in sorted([*AGENT_ENTRIES.values(), AGENT_END])
    ]
    lines.append("  }")
    for source, target, label in sorted(edges()):
        style = f' [label="{label}", style=dashed]' if label else ""
        lines.append(f'  "{source}" -> "{target}"{style};')
    lines.append("}")
    body = "\n".join(lines) + "\n"
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return body.replace("digraph call_flow {", f'digraph call_flow {{\n  comment="{digest}";', 1)


def _engine_edges() -> set[tuple[str, str, str]]:
    """Where the engine itself leads (ivr.calls, ivr.engine.engine): a call starts at the
    greeting, or at the account a recognised caller ID found; a relay operator's spoken value
    is read back before the step that asked for it takes it."""
    return {
        (CALL_COMES_IN, FIRST_STEP, ""),
        (CALL_COMES_IN, PHONE_ACCOUNT_STEP, "caller ID on file"),
        (EVERY_PROMPT, HEARD_STEP, "relay: a value heard"),
        (HEARD_STEP, EVERY_PROMPT, "back to the step that asked"),
    }


def _agent_edges() -> set[tuple[str, str, str]]:
    """The representative's console leads into the capture steps; each way a capture ends
    leads back to the representative."""
    found: set[tuple[str, str, str]] = set()
    for name, function in inspect.getmembers(agent_capture, inspect.isfunction):
        if function.__module__ != agent_capture.__name__ or name in AGENT_UNDRAWN:
            continue
        source = AGENT_ENTRIES.get(name, AGENT_END)
        for target, _ in _leads(function, frozenset()):
            found.add((source, target, ""))
    found |= {(REPRESENTATIVE, entry, "console") for entry in AGENT_ENTRIES.values()}
    return found


def digest_of(text: str) -> str:
    """The digest a diagram's text carries (in its comment, copied by `dot` into the SVG)."""
    return text.split('comment="', 1)[1].split('"', 1)[0]


def _flow_of(step: Step) -> str:
    """The flow module whose STEPS declare `step`."""
    return next(name for name in _FLOW_NAMES if step in getattr(flows, name).STEPS)


def _functions(step: Step) -> Iterator[FunctionType]:
    for function in (step.enter, step.ask, step.handle, step.poll):
        if isinstance(function, FunctionType) and function.__name__ != "<lambda>":
            yield function


def _leads(function: FunctionType, seen: frozenset[str]) -> set[tuple[str, str]]:
    """(target, label) of what `function` can lead to, through the flow functions it calls."""
    key = f"{function.__module__}.{function.__qualname__}"
    if key in seen:
        return set()
    seen = seen | {key}
    module = sys.modules[function.__module__]
    found: set[tuple[str, str]] = set()
    for node in ast.walk(_tree(function)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in STEPS:
            found.add((node.value, ""))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in _SPECIAL:
                found.add((_SPECIAL[name], ""))
            elif name in ("Retry", "Hold"):
                found.add(("", "again" if name == "Retry" else "hold"))
            else:
                found |= _called(module, name, seen)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            found |= _table(module, node.id)
    return found


def _called(module: ModuleType, name: str, seen: frozenset[str]) -> set[tuple[str, str]]:
    target = getattr(module, name, None)
    if isinstance(target, FunctionType) and target.__module__.startswith("ivr.flows."):
        return _leads(target, seen)
    return set()


def _table(module: ModuleType, name: str) -> set[tuple[str, str]]:
    """Step names in a module-level table the function reads (a menu's targets), or in a
    constant."""
    value = getattr(module, name, None)
    if isinstance(value, str) and value in STEPS:  # a step's name kept in a constant
        return {(value, "")}
    if not isinstance(value, dict) or name.startswith("__"):
        return set()
    return {(text, "") for text in _strings(value) if text in STEPS}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.items():
            yield from _strings(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)


@cache
def _tree(function: Callable[..., Any]) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(function)))
