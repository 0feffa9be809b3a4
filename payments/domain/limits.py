"""Limits that protect members (SPEC "Limits that protect members"): pure rules on counts and
times. The services count under a lock that serialises per subscriber (or caller number), so
these rules see every attempt that came before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from payments.domain.errors import TooManyDeclines

# Verification: five failed checks of a Subscriber ID from one caller within 24 hours refuse
# that caller self-service for that ID for 24 hours. Failures from everyone only slow the ID:
# from the fifth on, each waits twice as long as the one before (30 s, 1 min, 2 min, ... 1 h).
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=24)
LOCKOUT = timedelta(hours=24)
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)

# Failed checks in a call: a representative is offered after 3. A caller number that tried 10
# unknown IDs in a day is offered only a representative; callers whose number is withheld or
# unparseable share one budget of 10 failed checks an hour.
FAILURES_PER_CALL = 3
UNKNOWN_IDS_PER_CALLER = 10
UNKNOWN_ID_WINDOW = timedelta(hours=24)
ANONYMOUS_GUESSES = 10
ANONYMOUS_WINDOW = timedelta(hours=1)

# Card testing: declined attempts in one call, and for one subscriber in 24 hours.
DECLINES_PER_CALL = 3
DECLINES_PER_SUBSCRIBER = 6
DECLINE_WINDOW = timedelta(hours=24)


def locked_until(failures: Sequence[datetime], now: datetime) -> datetime | None:
    """End of the lockout in force at `now`, given failure times in ascending order.

    Any five failures within FAILURE_WINDOW lock until LOCKOUT after the fifth of them.
    """
    end: datetime | None = None
    for index in range(MAX_FAILURES - 1, len(failures)):
        fifth = failures[index]
        if fifth - failures[index - MAX_FAILURES + 1] <= FAILURE_WINDOW and fifth + LOCKOUT > now:
            end = max(end or fifth, fifth + LOCKOUT)
    return end


def slowed_until(failures: Sequence[datetime], now: datetime) -> datetime | None:
    """When an ID with these failures (from anyone, ascending) may be tried again, if not now.

    Fewer than MAX_FAILURES within FAILURE_WINDOW: no wait. From then on, the wait after the
    latest failure doubles with each failure, from FIRST_WAIT up to LONGEST_WAIT.
    """
    recent = [at for at in failures if at > now - FAILURE_WINDOW]
    if len(recent) < MAX_FAILURES:
        return None
    doublings = min(len(recent) - MAX_FAILURES, 20)
    wait = min(FIRST_WAIT * 2**doublings, LONGEST_WAIT)
    until = recent[-1] + wait
    return until if until > now else None


def budget_window(anonymous: bool) -> timedelta:
    return ANONYMOUS_WINDOW if anonymous else UNKNOWN_ID_WINDOW


def caller_blocked(guesses: int, anonymous: bool = False) -> bool:
    """A caller number that tried this many unknown IDs today (or the anonymous callers, this
    many failed checks this hour) gets only a representative."""
    return guesses >= (ANONYMOUS_GUESSES if anonymous else UNKNOWN_IDS_PER_CALLER)


def check_declines(in_call: int, for_subscriber: int) -> None:
    """Refuse a new attempt once the declined (or still unanswered) attempts reach a limit.

    Attempts still waiting for the processor count: they may yet be declined, and the limit
    is on what reaches the processor.
    """
    if in_call >= DECLINES_PER_CALL:
        raise TooManyDeclines("call")
    if for_subscriber >= DECLINES_PER_SUBSCRIBER:
        raise TooManyDeclines("subscriber")
