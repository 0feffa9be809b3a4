"""Caller identification and verification, with the limits against guessing and enumeration.

Failed dates of birth count per subscriber across calls; unknown Subscriber IDs count per caller
number (payments.domain.limits has the numbers). Each check reads the counts and writes the new
attempt in one transaction that serialises per subscriber (or caller number): on PostgreSQL an
advisory lock, on SQLite the database-wide write lock every transaction takes at BEGIN. So ten
guesses arriving at once record exactly what the limit allows, and none is judged on a count
that misses another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    Connection,
    Date,
    bindparam,
    delete,
    func,
    insert,
    null,
    select,
    text,
    type_coerce,
    union_all,
)

from payments.domain import limits
from payments.domain.values import Identification, Verification, VerifyResult
from payments.storage import audit
from payments.storage.sqltypes import UTCDateTime
from payments.storage.tables import FAILURES, MEMBERS, UNKNOWN_IDS

SUBSCRIBER_ID_LENGTH = 12


@dataclass(frozen=True)
class SubscriberFacts:
    known: bool  # a member has this Subscriber ID
    date_of_birth: date | None
    failures: list[datetime]  # recent enough to matter for a lockout, oldest first

    def locked_until(self, now: datetime) -> datetime | None:
        return limits.locked_until(self.failures, now)


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
_RECORD_FAILURE = insert(FAILURES).inline()
_UNKNOWN_IDS_SINCE = select(func.count()).where(
    UNKNOWN_IDS.c.caller == bindparam("caller"),
    UNKNOWN_IDS.c.at > bindparam("since", type_=UTCDateTime()),
)
_RECORD_UNKNOWN_ID = insert(UNKNOWN_IDS).inline()
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_CLEAR_FAILURES = delete(FAILURES).where(FAILURES.c.subscriber_id == bindparam("subscriber_id"))


def check_subscriber_id(subscriber_id: str) -> None:
    ok = len(subscriber_id) == SUBSCRIBER_ID_LENGTH and subscriber_id.isascii()
    if not (ok and subscriber_id.isdigit()):
        raise ValueError("a Subscriber ID is 12 digits")


def serialize_on(conn: Connection, scope: str, name: str) -> None:
    """Hold, until the transaction ends, a lock that one `scope`/`name` pair takes at a time."""
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(f"{scope}:{name}".encode()).digest()
        conn.execute(_ADVISORY_LOCK, {"key": int.from_bytes(digest[:8], "big", signed=True)})
    # SQLite: the transaction already holds the database's write lock (BEGIN IMMEDIATE).


def subscriber_facts(conn: Connection, subscriber_id: str, now: datetime) -> SubscriberFacts:
    since = now - limits.FAILURE_WINDOW - limits.LOCKOUT
    rows = conn.execute(_FACTS, {"subscriber_id": subscriber_id, "since": since}).all()
    births = [row.date_of_birth for row in rows if row.at is None]
    failures = sorted(row.at for row in rows if row.at is not None)
    return SubscriberFacts(bool(births), births[0] if births else None, failures)


def identify(
    conn: Connection, subscriber_id: str, caller: str | None, now: datetime
) -> Identification:
    """Whether the ID is a member's and locked; an unknown ID counts against the caller number.

    Runs in a transaction the caller commits.
    """
    blocked = False
    if caller:
        serialize_on(conn, "caller", caller)
        since = now - limits.UNKNOWN_ID_WINDOW
        tried = conn.scalar(_UNKNOWN_IDS_SINCE, {"caller": caller, "since": since}) or 0
        blocked = limits.caller_blocked(tried)
    facts = subscriber_facts(conn, subscriber_id, now)
    if caller and not facts.known and not blocked:
        conn.execute(_RECORD_UNKNOWN_ID, {"caller": caller, "at": now})
        audit.record(conn, now, audit.CALLER, "identify.unknown_id", caller)
        blocked = limits.caller_blocked(tried + 1)
    return Identification(facts.known, facts.locked_until(now), caller_blocked=blocked)


def verify(conn: Connection, subscriber_id: str, born: date, now: datetime) -> Verification:
    """Judge a date of birth and record the attempt, serialised per subscriber.

    LOCKED (the date unchecked) while locked out; OK; or MISMATCH, recorded with its audit event,
    which becomes LOCKED when it is the failure that reaches the limit. Runs in a transaction
    the caller commits.
    """
    serialize_on(conn, "subscriber", subscriber_id)
    facts = subscriber_facts(conn, subscriber_id, now)
    locked = facts.locked_until(now)
    if locked is not None:
        audit.record(conn, now, audit.CALLER, "verify.refused_locked", subscriber_id)
        return Verification(VerifyResult.LOCKED, locked)
    if facts.known and facts.date_of_birth == born:
        audit.record(conn, now, audit.CALLER, "verify.ok", subscriber_id)
        return Verification(VerifyResult.OK)
    return _record_failure(conn, subscriber_id, facts, now)


def _record_failure(
    conn: Connection, subscriber_id: str, facts: SubscriberFacts, now: datetime
) -> Verification:
    conn.execute(_RECORD_FAILURE, {"subscriber_id": subscriber_id, "at": now})
    locked = limits.locked_until([*facts.failures, now], now)
    audit.record(
        conn,
        now,
        audit.CALLER,
        "verify.failed",
        subscriber_id,
        known_subscriber=facts.known,
        locked_until=locked.isoformat() if locked else None,
    )
    if locked is not None:
        return Verification(VerifyResult.LOCKED, locked)
    return Verification(VerifyResult.MISMATCH)


def unlock(conn: Connection, subscriber_id: str, by: str, now: datetime) -> int:
    """A representative lifts the lockout: the failures stop counting (the audit trail keeps
    them). How many were cleared; runs in a transaction the caller commits."""
    serialize_on(conn, "subscriber", subscriber_id)
    cleared = conn.execute(_CLEAR_FAILURES, {"subscriber_id": subscriber_id}).rowcount
    audit.record(conn, now, by, "verify.unlocked", subscriber_id, failures_cleared=cleared)
    return cleared
