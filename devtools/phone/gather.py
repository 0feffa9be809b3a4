"""What a <Gather> makes of the caller's answer, following Twilio's rules.

- Keys: collected up to the Gather's `finishOnKey` (not sent) or until `numDigits` are in; keys
  after that are dropped. Keys without a finish key are sent when the timeout passes.
  The finish key alone, like silence, is no input; with `actionOnEmptyResult` it is posted as
  empty Digits with FinishedOnKey, which is how a server tells it from silence.
- Speech: sent as SpeechResult and Confidence when `input` includes speech; otherwise Twilio is
  not listening for speech and the Gather times out as if the caller had said nothing. Keys
  to a speech-only Gather are likewise unheard.
"""

from __future__ import annotations

from dataclasses import dataclass

from devtools.phone.events import Event, Gathered, Ignored, TimedOut
from devtools.phone.script import Keys, Silence, Speech


@dataclass(frozen=True)
class Outcome:
    params: dict[str, str] | None  # None: no input, the Gather falls through
    waited: float  # seconds Twilio listened after the caller was done
    notes: tuple[Event, ...] = ()


def collect(gather: Gathered, answer: Keys | Speech | Silence, confidence: float) -> Outcome:
    if isinstance(answer, Keys) and gather.accepts_dtmf:
        return _collect_keys(gather, answer.keys)
    if isinstance(answer, Speech) and gather.accepts_speech:
        params = {"SpeechResult": answer.text, "Confidence": f"{confidence:.2f}"}
        return Outcome(params, waited=0.0)
    notes: tuple[Event, ...] = ()
    if isinstance(answer, Keys | Speech):
        heard = f"keys {answer.keys}" if isinstance(answer, Keys) else f"speech {answer.text!r}"
        notes = (Ignored(heard, f"this Gather only takes input={gather.input}"),)
    return Outcome(None, waited=gather.timeout, notes=(*notes, TimedOut(gather.timeout)))


def _collect_keys(gather: Gathered, keys: str) -> Outcome:
    digits, finished_on, rest = _split_keys(keys, gather.finish_on_key, gather.num_digits)
    notes: tuple[Event, ...] = ()
    if rest:
        notes = (Ignored(f"keys {rest}", "pressed after the Gather had finished"),)
    if not digits:
        if finished_on and gather.action_on_empty_result:
            return Outcome({"Digits": "", "FinishedOnKey": finished_on}, 0.0, notes)
        return Outcome(None, waited=0.0, notes=notes)
    complete = bool(finished_on) or len(digits) == gather.num_digits
    params = {"Digits": digits, "FinishedOnKey": finished_on}
    return Outcome(params, waited=0.0 if complete else gather.timeout, notes=notes)


def _split_keys(keys: str, finish_on_key: str, num_digits: int | None) -> tuple[str, str, str]:
    """(digits collected, finish key pressed or '', keys left over)."""
    for index, key in enumerate(keys):
        if finish_on_key and key == finish_on_key:
            return keys[:index], key, keys[index + 1 :]
        if num_digits is not None and index + 1 == num_digits:
            return keys[: index + 1], "", keys[index + 1 :]
    return keys, "", ""
