"""Agents logging in, with failed logins limited per username and client address, and per address.

Strangers cannot lock an agent out: five failures for a username from one address refuse that
username from that address, twenty from an address refuse the address, and failures for a
username from everywhere only slow its logins (waits that grow, a few seconds at most), so the
right password from an address with no failures is never refused.

An attempt first takes its place among the failures, in one transaction serialised per client
address and per username (advisory locks on PostgreSQL, the write lock on SQLite): when a limit
is already reached it is refused and its password never checked; otherwise it is recorded as a
failure until the password proves right, when the record goes. So attempts arriving at once are
counted exactly, and the deliberately slow password check runs outside any lock or transaction.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Table, delete, insert, or_, select, update

from payments.services.verification import serialize_on
from payments.storage import audit
from payments.storage.models import Agent, AgentLoginFailure, AgentSession
from payments.storage.sqltypes import AnyRow
from payments.storage.unit_of_work import UnitOfWorkFactory

WINDOW = timedelta(minutes=15)
PER_USERNAME = 5  # failed logins for one username from one address within WINDOW
PER_CLIENT = 20  # failed logins from one client address within WINDOW
SLOW_AFTER = 5  # failed logins for one username from anywhere, before its logins slow
FIRST_SLOWDOWN = 0.5  # seconds, doubling with each further failure
LONGEST_SLOWDOWN = 4.0
NAME_LENGTH = 64  # the longest username (and client address) kept


def _table(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


AGENTS, SESSIONS, FAILURES = _table(Agent), _table(AgentSession), _table(AgentLoginFailure)


class InvalidLogin(Exception):
    """Wrong username or password, or a disabled agent: one answer for all three."""


class LoginLimited(Exception):
    """Too many failed logins: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    failure_id: int  # its place among the failures until the password proves right
    username: str
    client: str
    password_hash: str | None  # None: no such agent
    disabled: bool
    slowdown: float = 0.0  # seconds this attempt waits: failures for the username elsewhere


def digest(token: str) -> str:
    """What is stored of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Logins:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        hasher: PasswordHasher,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._uow = uow_factory
        self._hasher = hasher
        self._sleep = sleep
        self._decoy: str | None = None  # checked for unknown usernames, to take the same time

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def log_in(
        self, username: str, password: str, client: str, now: datetime, idle: timedelta
    ) -> str:
        name, address = username.strip().lower()[:NAME_LENGTH], client[:NAME_LENGTH]
        attempt = self._take_place(name, address or "unknown", now)
        if attempt.slowdown:
            self._sleep(attempt.slowdown)  # outside any lock or transaction
        reason = self._failure(attempt, password)
        if reason is not None:
            with self._uow.autocommit() as uow:
                details = {"client": attempt.client, "reason": reason}
                audit.record(uow.connection, now, name, "agent.login_failed", name, **details)
                uow.commit()
            raise InvalidLogin()
        return self._open_session(attempt, password, now, idle)

    def _take_place(self, name: str, client: str, now: datetime) -> Attempt:
        with self._uow() as uow:
            conn = uow.connection
            serialize_on(conn, "agent-login-client", client)  # always before the username's
            serialize_on(conn, "agent-login", name)
            failures = _recent_failures(conn, name, client, now)
            wait = retry_after(failures, name, client, now)
            if wait is not None:
                audit.record(conn, now, name, "agent.login_limited", name, client=client)
                uow.commit()
                raise LoginLimited(wait)
            row = {"username": name, "client": client, "at": now}
            failure = conn.execute(insert(FAILURES).returning(FAILURES.c.id), row).scalar_one()
            query = select(AGENTS.c.password_hash, AGENTS.c.disabled)
            agent = conn.execute(query.where(AGENTS.c.username == name)).first()
            uow.commit()
        stored, disabled = (agent.password_hash, agent.disabled) if agent else (None, False)
        return Attempt(failure, name, client, stored, disabled, slowdown(failures, name))

    def _failure(self, attempt: Attempt, password: str) -> str | None:
        """Why the attempt fails, or None when it succeeds; the password is always checked."""
        if self._decoy is None:
            self._decoy = self._hasher.hash(secrets.token_urlsafe(16))
        matches: bool
        try:
            matches = self._hasher.verify(attempt.password_hash or self._decoy, password)
        except (VerificationError, InvalidHashError):
            matches = False
        if attempt.password_hash is None:
            return "unknown_agent"
        if attempt.disabled:
            return "disabled"
        return None if matches else "wrong_password"

    def _open_session(self, attempt: Attempt, password: str, now: datetime, idle: timedelta) -> str:
        token, name = secrets.token_urlsafe(32), attempt.username
        session = {"token_hash": digest(token), "username": name}
        with self._uow() as uow:
            conn = uow.connection
            conn.execute(delete(FAILURES).where(FAILURES.c.id == attempt.failure_id))
            conn.execute(delete(FAILURES).where(FAILURES.c.at <= now - WINDOW))
            conn.execute(delete(SESSIONS).where(SESSIONS.c.last_seen <= now - idle))
            conn.execute(insert(SESSIONS), {**session, "created_at": now, "last_seen": now})
            if attempt.password_hash and self._hasher.check_needs_rehash(attempt.password_hash):
                rehashed = {"password_hash": self._hasher.hash(password)}
                conn.execute(update(AGENTS).where(AGENTS.c.username == name).values(rehashed))
            audit.record(conn, now, name, "agent.login", name, client=attempt.client)
            uow.commit()
        return token


def _recent_failures(conn: Connection, name: str, client: str, now: datetime) -> list[AnyRow]:
    query = select(FAILURES.c.username, FAILURES.c.client, FAILURES.c.at).where(
        or_(FAILURES.c.username == name, FAILURES.c.client == client),
        FAILURES.c.at > now - WINDOW,
    )
    return list(conn.execute(query).all())


def retry_after(failures: Sequence[Any], name: str, client: str, now: datetime) -> int | None:
    """Seconds until a login for `name` from `client` may be tried again; None: it may now.

    Only failures from `client` count: from elsewhere they slow the username, never refuse it.
    """
    mine = [row.at for row in failures if row.username == name and row.client == client]
    waits = [
        _wait(mine, PER_USERNAME, now),
        _wait([row.at for row in failures if row.client == client], PER_CLIENT, now),
    ]
    found = [wait for wait in waits if wait is not None]
    return max(found) if found else None


def slowdown(failures: Sequence[Any], name: str) -> float:
    """Seconds a login for `name` waits before its password is checked: none until SLOW_AFTER
    recent failures for the username from anywhere, then doubling up to LONGEST_SLOWDOWN."""
    count = sum(1 for row in failures if row.username == name)
    if count < SLOW_AFTER:
        return 0.0
    return float(min(FIRST_SLOWDOWN * 2 ** min(count - SLOW_AFTER, 10), LONGEST_SLOWDOWN))


def _wait(times: list[datetime], limit: int, now: datetime) -> int | None:
    """Until the limit-th latest failure leaves the window, when there are `limit` or more."""
    if len(times) < limit:
        return None
    frees_at = sorted(times)[-limit] + WINDOW
    return max(1, math.ceil((frees_at - now).total_seconds()))
