"""Caller verification by date of birth, with a lockout against guessing and ID enumeration.

Failures count per subscriber across calls. Five failures within 24 hours lock self-service for
24 hours from the fifth. A success does not erase failures; while locked the date of birth is
not even checked.

A check reads the subscriber's facts in one statement (`subscriber_facts`), judges them (`judge`,
no database), then writes: one audit event for OK or LOCKED, or the failure and its audit event
together (`record_failure`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Date, bindparam, insert, null, select, type_coerce, union_all

from payments.domain.values import Verification, VerifyResult
from payments.storage import audit
from payments.storage.sqltypes import UTCDateTime
from payments.storage.tables import FAILURES, MEMBERS

SUBSCRIBER_ID_LENGTH = 12
MAX_FAILURES = 5
WINDOW = timedelta(hours=24)
LOCKOUT = timedelta(hours=24)


@dataclass(frozen=True)
class SubscriberFacts:
    known: bool  # a member has this Subscriber ID
    date_of_birth: date | None
    failures: list[datetime]  # recent enough to matter for a lockout, oldest first

    def locked_until(self, now: datetime) -> datetime | None:
        return locked_until(self.failures, now)


# One statement: the recent failures, then the member's date of birth if there is a member.
_FACTS = union_all(
    select(FAILURES.c.at, type_coerce(null(), Date()).label("date_of_birth")).where(
        FAILURES.c.subscriber_id == bindparam("subscriber_id"),
        FAILURES.c.at > bindparam("since", type_=UTCDateTime()),
    ),
    select(type_coerce(null(), UTCDateTime()), MEMBERS.c.date_of_birth).where(
        MEMBERS.c.subscriber_id == bindparam("subscriber_id")
    ),
)
_RECORD_FAILURE = insert(FAILURES).inline()  # no RETURNING of the id


def locked_until(failures: Sequence[datetime], now: datetime) -> datetime | None:
    """End of the lockout in force at `now`, given failure times in ascending order."""
    end: datetime | None = None
    for index in range(MAX_FAILURES - 1, len(failures)):
        fifth = failures[index]
        if fifth - failures[index - MAX_FAILURES + 1] <= WINDOW and fifth + LOCKOUT > now:
            end = max(end or fifth, fifth + LOCKOUT)
    return end


def subscriber_facts(conn: Connection, subscriber_id: str, now: datetime) -> SubscriberFacts:
    params = {"subscriber_id": subscriber_id, "since": now - WINDOW - LOCKOUT}
    rows = conn.execute(_FACTS, params).all()
    members = [born for at, born in rows if at is None]
    failures = sorted(at for at, _ in rows if at is not None)
    return SubscriberFacts(bool(members), members[0] if members else None, failures)


def lockout_until(conn: Connection, subscriber_id: str, now: datetime) -> datetime | None:
    return subscriber_facts(conn, subscriber_id, now).locked_until(now)


def check_subscriber_id(subscriber_id: str) -> None:
    if len(subscriber_id) != SUBSCRIBER_ID_LENGTH or not subscriber_id.isdigit():
        raise ValueError("a Subscriber ID is 12 digits")


def judge(facts: SubscriberFacts, dob: date, now: datetime) -> Verification:
    """LOCKED (the date of birth unchecked), OK, or a MISMATCH still to be recorded."""
    locked = facts.locked_until(now)
    if locked is not None:
        return Verification(VerifyResult.LOCKED, locked)
    if facts.known and facts.date_of_birth == dob:
        return Verification(VerifyResult.OK)
    return Verification(VerifyResult.MISMATCH)


def audit_verdict(
    conn: Connection, subscriber_id: str, verdict: Verification, now: datetime
) -> None:
    """Audit an OK or a refusal while locked: one insert. Caller commits."""
    action = "verify.ok" if verdict.result is VerifyResult.OK else "verify.refused_locked"
    audit.record(conn, now, audit.CALLER, action, subscriber_id)


def record_failure(
    conn: Connection, subscriber_id: str, known: bool, now: datetime
) -> Verification:
    """Record (and audit) a mismatch; counted with any recorded meanwhile by other calls.

    Two writes: the caller runs this in a transaction and commits.
    """
    conn.execute(_RECORD_FAILURE, {"subscriber_id": subscriber_id, "at": now})
    locked = lockout_until(conn, subscriber_id, now)
    audit.record(
        conn,
        now,
        audit.CALLER,
        "verify.failed",
        subscriber_id,
        known_subscriber=known,
        locked_until=locked.isoformat() if locked else None,
    )
    if locked is not None:
        return Verification(VerifyResult.LOCKED, locked)
    return Verification(VerifyResult.MISMATCH)
