"""The caller's time for one call: what the line says, and what it makes the caller wait.

The terminal phone keeps the time a real call takes as Twilio would run it (`CallLog.duration`):
every <Say> heard at 150 words a minute (`speaking_time`), every <Pause>, and every wait of a
Gather's timeout (an answer it did not take, silence, keys left without '#' where the Gather
has no numDigits), plus each answer's own delay. The bench places its calls with no answer
delay (the `Phone` default), so the duration holds nothing but the line's doing, and is taken
as the caller's time as it is:

- speech: the heard <Say>s (a prompt cut short by keys typed ahead is not heard in full, and
  the phone does not count it either);
- waiting: the rest of the duration, that is <Pause>s (holds while the processor answers, a
  busy turn asked again) and Gather timeouts waited out.

Not counted, as they are the caller's own: the time to key an answer, and to think about it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from devtools.phone import CallLog, Paused, Said
from devtools.phone.twiml import speaking_time

ROUNDING = 1e-9  # float sums: a wait below this is none


@dataclass(frozen=True)
class CallerTime:
    """Seconds of one call as the caller lives it, split into speech and waiting."""

    speech: float
    pauses: float
    gather_waits: float
    words: int
    prompts: tuple[tuple[str, float], ...]  # each distinct text heard, its seconds, costliest first

    @property
    def waiting(self) -> float:
        return self.pauses + self.gather_waits

    @property
    def total(self) -> float:
        return self.speech + self.waiting

    def top_prompts(self, n: int = 10) -> tuple[tuple[str, float], ...]:
        return self.prompts[:n]


def caller_time(log: CallLog) -> CallerTime:
    """The caller's time on `log`, a call placed with no answer delay (see the module doc)."""
    heard = [event for event in log.events if isinstance(event, Said) and not event.interrupted]
    costs: dict[str, float] = defaultdict(float)
    for said in heard:
        costs[said.text] += speaking_time(said)
    speech = sum(costs.values())
    pauses = float(sum(event.seconds for event in log.events if isinstance(event, Paused)))
    gather_waits = log.duration - speech - pauses
    if gather_waits < -ROUNDING:
        raise ValueError(
            f"the call lasted {log.duration:.2f} s, less than its speech and pauses "
            f"({speech:.2f} s + {pauses:.2f} s): has the phone's model of time changed?"
        )
    return CallerTime(
        speech=speech,
        pauses=pauses,
        gather_waits=gather_waits if gather_waits > ROUNDING else 0.0,
        words=sum(len(said.text.split()) * max(said.loop, 1) for said in heard),
        prompts=tuple(sorted(costs.items(), key=lambda item: item[1], reverse=True)),
    )
