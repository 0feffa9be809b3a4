"""The caller's side: script entries and what each one means.

Entry syntax (the same in `Phone.call` scripts, `ivr call --script` and at the interactive prompt):

- keys: `1`, `100000000001#`, `*`, spaces allowed (`4242 4242 4242 4242#`); a finish key is
  only special if it is the Gather's `finishOnKey`;
- `` (empty): silence, the caller does nothing until the Gather times out;
- `say: one two three`: speech (heard only by a Gather whose `input` includes `speech`);
- `hangup` (or `h`): the caller hangs up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devtools.phone.events import AnswerKind

_KEYS = re.compile(r"[0-9*#]+")
_HANG_UP = frozenset({"h", "hangup", "hang up"})


@dataclass(frozen=True)
class Keys:
    keys: str


@dataclass(frozen=True)
class Speech:
    text: str


@dataclass(frozen=True)
class Silence:
    pass


@dataclass(frozen=True)
class HangUp:
    why: str = ""  # "script ended" when the caller simply ran out of things to do


Answer = Keys | Speech | Silence | HangUp


def parse_entry(entry: str) -> Answer:
    """Read one script entry; raises ValueError for anything else."""
    text = entry.strip()
    if not text:
        return Silence()
    if text.lower() in _HANG_UP:
        return HangUp()
    if text.lower().startswith("say:"):
        words = text[4:].strip()
        if not words:
            raise ValueError("'say:' needs words after it (an empty entry is silence)")
        return Speech(words)
    keys = text.replace(" ", "")
    if _KEYS.fullmatch(keys):
        return Keys(keys)
    raise ValueError(
        f"not a script entry: {entry!r} (keys 0-9 * #, '' for silence, 'say: …', 'hangup')"
    )


def split_script(text: str) -> list[str]:
    """A comma-separated script (`1,,100000000001#,say: yes,hangup`) as entries."""
    return text.split(",")


def describe(answer: Answer) -> tuple[AnswerKind, str]:
    """The answer as (kind, value) for an `Answered` event."""
    if isinstance(answer, Keys):
        return "keys", answer.keys
    if isinstance(answer, Speech):
        return "speech", answer.text
    if isinstance(answer, Silence):
        return "silence", ""
    return "hangup", answer.why
