"""Verification of a Subscriber ID and date of birth, with the limits against guessing.

A Subscriber ID is never judged alone (SPEC "Verification"): the ID and the date are checked
together, and an unknown ID fails exactly like a wrong date, counted and audited the same way,
so no answer says whether an ID exists. Failures count per ID *and* caller (the `Caller` key):
five from one caller refuse that caller for that ID; failures from everyone only slow the ID,
and never the member calling from an attested phone on file. Unknown IDs spend the caller
number's budget of guesses; callers whose number is withheld share one budget for every
failure. Each check reads the counts and writes the new attempt in one transaction serialised
per caller and per subscriber: on PostgreSQL advisory locks (the caller's first, always), on
SQLite the database-wide write lock every transaction takes at BEGIN. So ten guesses arriving
at once record exactly what the limits allow, and none is judged on a count that misses another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Connection,
    Date,
    String,
    bindparam,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    text,
    type_coerce,
    union_all,
)

from payments.domain import limits
from payments.domain.values import Caller, Verification, VerifyResult
from payments.storage import audit
from payments.storage.sqltypes import UTCDateTime
from payments.storage.tables import FAILURES, MEMBERS, PHONES, UNKNOWN_IDS

SUBSCRIBER_ID_LENGTH = 12


@dataclass(frozen=True)
class SubscriberFacts:
    known: bool  # a member has this Subscriber ID
    date_of_birth: date | None
    # (when, caller key), recent enough to matter, oldest first
    failures: list[tuple[datetime, str]]

    def failures_of(self, caller: Caller) -> list[datetime]:
        return [at for at, key in self.failures if key == caller.key]

    def locked_until(self, caller: Caller, now: datetime) -> datetime | None:
        """Until when `caller` is refused for this ID, if they are now."""
        return limits.locked_until(self.failures_of(caller), now)

    def slowed_until(self, now: datetime) -> datetime | None:
        return limits.slowed_until([at for at, _ in self.failures], now)


# One statement: the recent failures, then the member's date of birth if there is a member.
_FACTS = union_all(
    select(
        FAILURES.c.at, FAILURES.c.caller, type_coerce(null(), Date()).label("date_of_birth")
    ).where(
        FAILURES.c.subscriber_id == bindparam("subscriber_id"),
        FAILURES.c.at > bindparam("since", type_=UTCDateTime()),
    ),
    select(
        type_coerce(null(), UTCDateTime()), type_coerce(null(), String()), MEMBERS.c.date_of_birth
    ).where(MEMBERS.c.subscriber_id == bindparam("subscriber_id")),
)
_RECORD_FAILURE = insert(FAILURES).inline()
_GUESSES_SINCE = select(func.count()).where(
    UNKNOWN_IDS.c.caller == bindparam("caller"),
    UNKNOWN_IDS.c.at > bindparam("since", type_=UTCDateTime()),
)
_RECORD_GUESS = insert(UNKNOWN_IDS).inline()
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_CLEAR_FAILURES = delete(FAILURES).where(FAILURES.c.subscriber_id == bindparam("subscriber_id"))
_PHONE_ON_FILE = (
    select(literal(1))
    .select_from(PHONES.join(MEMBERS, PHONES.c.member_id == MEMBERS.c.id))
    .where(
        MEMBERS.c.subscriber_id == bindparam("subscriber_id"), PHONES.c.e164 == bindparam("e164")
    )
)
_ZIP = select(MEMBERS.c.zip).where(MEMBERS.c.subscriber_id == bindparam("subscriber_id"))


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
    failures = sorted((row.at, row.caller) for row in rows if row.at is not None)
    return SubscriberFacts(bool(births), births[0] if births else None, failures)


def _guesses(conn: Connection, caller: Caller, now: datetime) -> int | None:
    """Guesses the caller's budget has spent within its window; None for a representative."""
    budget = caller.budget
    if budget is None:
        return None
    since = now - limits.budget_window(caller.withheld)
    return conn.scalar(_GUESSES_SINCE, {"caller": budget, "since": since}) or 0


def caller_blocked(conn: Connection, caller: Caller, now: datetime) -> bool:
    """Whether the caller's budget of guesses is spent (only a representative can help)."""
    guesses = _guesses(conn, caller, now)
    return guesses is not None and limits.caller_blocked(guesses, caller.withheld)


def _owner(conn: Connection, subscriber_id: str, caller: Caller) -> bool:
    """The member's own phone, as Twilio attests it: never slowed by strangers' failures."""
    if not (caller.attested and caller.number):
        return False
    found = conn.scalar(_PHONE_ON_FILE, {"subscriber_id": subscriber_id, "e164": caller.number})
    return found is not None


def verify(
    conn: Connection, subscriber_id: str, born: date, caller: Caller, now: datetime
) -> Verification:
    """Judge a Subscriber ID and date of birth together and record the attempt.

    BLOCKED while the caller's budget is spent, LOCKED while this caller is refused for this ID,
    SLOWED while the ID waits after many callers' failures (never for the attested owner or a
    representative), each with the date unchecked and the refusal audited; then OK, or
    MISMATCH recorded with its audit event, which becomes LOCKED when it is the caller's failure
    that reaches the limit. Runs in a transaction the caller commits.
    """
    refused = _refusal(conn, subscriber_id, caller, now)
    if isinstance(refused, Verification):
        return refused
    facts = refused
    if facts.known and facts.date_of_birth == born:
        audit.record(conn, now, audit.CALLER, "verify.ok", subscriber_id, caller=caller.key)
        return Verification(VerifyResult.OK)
    return _record_failure(conn, subscriber_id, facts, caller, now)


def _refusal(
    conn: Connection, subscriber_id: str, caller: Caller, now: datetime
) -> Verification | SubscriberFacts:
    """The refusal of an attempt before it is judged, or the facts to judge it on."""
    if caller.budget is not None:
        serialize_on(conn, "caller", caller.budget)  # always before the subscriber's
    serialize_on(conn, "subscriber", subscriber_id)
    if caller_blocked(conn, caller, now):
        _refused(conn, now, subscriber_id, caller, "verify.refused_budget")
        return Verification(VerifyResult.BLOCKED)
    facts = subscriber_facts(conn, subscriber_id, now)
    locked = facts.locked_until(caller, now)
    if locked is not None:
        _refused(conn, now, subscriber_id, caller, "verify.refused_locked")
        return Verification(VerifyResult.LOCKED, locked)
    slowed = facts.slowed_until(now)
    if slowed is not None and caller.agent is None and not _owner(conn, subscriber_id, caller):
        _refused(conn, now, subscriber_id, caller, "verify.refused_slowed")
        return Verification(VerifyResult.SLOWED, slowed)
    return facts


def _refused(
    conn: Connection, now: datetime, subscriber_id: str, caller: Caller, action: str
) -> None:
    audit.record(conn, now, _actor(caller), action, subscriber_id, caller=caller.key)


def _actor(caller: Caller) -> str:
    return caller.agent if caller.agent is not None else audit.CALLER


def _record_failure(
    conn: Connection, subscriber_id: str, facts: SubscriberFacts, caller: Caller, now: datetime
) -> Verification:
    conn.execute(_RECORD_FAILURE, {"subscriber_id": subscriber_id, "caller": caller.key, "at": now})
    if caller.budget is not None and (caller.withheld or not facts.known):
        conn.execute(_RECORD_GUESS, {"caller": caller.budget, "at": now})
    locked = limits.locked_until([*facts.failures_of(caller), now], now)
    audit.record(
        conn,
        now,
        _actor(caller),
        "verify.failed",
        subscriber_id,
        caller=caller.key,
        known_subscriber=facts.known,
        locked_until=locked.isoformat() if locked else None,
    )
    if locked is not None:
        return Verification(VerifyResult.LOCKED, locked)
    return Verification(VerifyResult.MISMATCH)


def second_check(
    conn: Connection,
    subscriber_id: str,
    zip_code: str,
    last_payment: Decimal | None,
    last_paid: Decimal | None,
    caller: Caller,
    now: datetime,
) -> Verification:
    """A representative's second check of a member (ZIP and the amount of the last payment,
    `last_paid` being what is on file), for a member the date of birth cannot verify now.

    A match verifies and lifts the lockout for everyone (audited); a mismatch counts like a
    failed date of birth, against the representative. Runs in a transaction the caller commits.
    """
    refused = _refusal(conn, subscriber_id, caller, now)
    if isinstance(refused, Verification):
        return refused
    facts = refused
    on_file = conn.scalar(_ZIP, {"subscriber_id": subscriber_id})
    if facts.known and on_file == zip_code and last_paid == last_payment:
        cleared = conn.execute(_CLEAR_FAILURES, {"subscriber_id": subscriber_id}).rowcount
        by = _actor(caller)
        audit.record(conn, now, by, "verify.second_check", subscriber_id, failures_cleared=cleared)
        return Verification(VerifyResult.OK)
    return _record_failure(conn, subscriber_id, facts, caller, now)


def unlock(conn: Connection, subscriber_id: str, by: str, now: datetime) -> int:
    """A representative lifts the lockout: the failures stop counting (the audit trail keeps
    them). How many were cleared; runs in a transaction the caller commits."""
    serialize_on(conn, "subscriber", subscriber_id)
    cleared = conn.execute(_CLEAR_FAILURES, {"subscriber_id": subscriber_id}).rowcount
    audit.record(conn, now, by, "verify.unlocked", subscriber_id, failures_cleared=cleared)
    return cleared
