"""A crowd on a slow processor (SPEC "Limits": time): CROWD callers confirm card payments at
once while the processor takes 20 s to answer each (the sandbox's slow card). No webhook may
hold a server thread waiting on the processor, so each must still answer within 5 s, and every
caller, holding, must hear the result in the call. The callers take Twilio's pauses in real
time (a hold is heard, then waited through), as the processor's 20 s are real."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from bench import AUTH_TOKEN
from bench.accounts import APPROVED, Member, card_payment_script
from bench.load import STRANGER, TimedTransport, Timings, run_all
from devtools.phone import Paused, Phone
from payments.gateways.sandbox import SLOW_CARD

CROWD = 40
HOLD_SPEECH_SECONDS = 1.5  # "Still processing. Please hold." at 150 words a minute


@dataclass(frozen=True)
class Crowd:
    callers: int
    heard_result: int  # callers who heard "Approved" with a confirmation number in the call
    slowest_webhook: float  # seconds
    webhooks: int


def _in_real_time(event: object) -> None:
    if isinstance(event, Paused):
        time.sleep(event.seconds)
    elif "Please hold." in getattr(event, "text", ""):
        time.sleep(HOLD_SPEECH_SECONDS)


def slow_crowd(base_url: str, people: list[Member], today: date) -> Crowd:
    timings = Timings()

    def call(member: Member) -> bool:
        phone = Phone(TimedTransport(base_url, timings), AUTH_TOKEN, from_number=STRANGER)
        log = phone.call(card_payment_script(member, today, SLOW_CARD), on_event=_in_real_time)
        return APPROVED in log.spoken and not log.errors

    heard = run_all(call, people, len(people))
    return Crowd(len(people), sum(heard), max(timings.webhooks), len(timings.webhooks))
