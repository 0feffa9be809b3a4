"""Limits that protect members (SPEC "Limits that protect members"): pure rules on counts and
times. The services count under a lock that serialises per subscriber (or caller number), so
these rules see every attempt that came before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from payments.domain.errors import TooManyDeclines

# Verification: five failed dates of birth within 24 hours lock self-service for 24 hours.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=24)
LOCKOUT = timedelta(hours=24)

# Unknown Subscriber IDs: offered a representative after 3 in a call; a caller number that
# tried 10 in a day is offered only a representative.
UNKNOWN_IDS_PER_CALL = 3
UNKNOWN_IDS_PER_CALLER = 10
UNKNOWN_ID_WINDOW = timedelta(hours=24)

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


def caller_blocked(unknown_ids_today: int) -> bool:
    """A caller number that tried this many unknown IDs gets only a representative."""
    return unknown_ids_today >= UNKNOWN_IDS_PER_CALLER


def check_declines(in_call: int, for_subscriber: int) -> None:
    """Refuse a new attempt once the declined (or still unanswered) attempts reach a limit.

    Attempts still waiting for the processor count: they may yet be declined, and the limit
    is on what reaches the processor.
    """
    if in_call >= DECLINES_PER_CALL:
        raise TooManyDeclines("call")
    if for_subscriber >= DECLINES_PER_SUBSCRIBER:
        raise TooManyDeclines("subscriber")
