"""The README's quick-start walkthrough is what a call says, word for word: the same keys,
pressed by the terminal phone from Ana's number (as `make call` dials), printed as `ivr call`
prints them."""

from __future__ import annotations

import re
from pathlib import Path

from devtools.phone import DEFAULT_FROM, Phone, WsgiTransport
from devtools.phone.cli import _Printer
from payments.domain.values import ATTESTED
from tests.e2e.conftest import TOKEN, Line

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- walkthrough:start -->", "<!-- walkthrough:end -->"
KEYS = "  ⌨  "


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    block = text[text.index(START) + len(START) : text.index(END)]
    return block.split("```")[1].removeprefix("\n")


def comparable(transcript: str) -> str:
    """Whitespace and line breaks aside; the confirmation number is new on every call."""
    flat = " ".join(transcript.split())
    return re.sub(r"confirmation number is [^.]*\.[^.]*\.", "confirmation number is N.", flat)


def test_the_readme_walkthrough_is_what_the_call_says(line: Line, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "97")  # the width the README's block was printed at
    expected = walkthrough()
    keys = [row.removeprefix(KEYS) for row in expected.splitlines() if row.startswith(KEYS)]
    keys = ["hangup" if key == "(hangup)" else key for key in keys]  # as the printer shows it
    phone = Phone(
        WsgiTransport(line.app.test_client()),
        TOKEN,
        from_number=DEFAULT_FROM,
        stir_verstat=ATTESTED,  # the terminal phone's default
    )
    log = phone.call(keys, on_event=_Printer(echo_answers=True, verbose=False, delay=0))
    assert not log.errors
    printed = capsys.readouterr().out
    assert comparable(printed) == comparable(expected), printed


def test_the_readme_script_is_the_walkthroughs_keys() -> None:
    """The `ivr call --script` the README offers presses the walkthrough's keys, in order."""
    text = README.read_text(encoding="utf-8")
    script = re.search(r"ivr call --script '([^']*)'", text)
    assert script is not None
    keys = [row.removeprefix(KEYS) for row in walkthrough().splitlines() if row.startswith(KEYS)]
    assert script.group(1).split(",") == ["h" if key == "(hangup)" else key for key in keys]
