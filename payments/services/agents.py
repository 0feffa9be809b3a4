"""Customer-service agents: accounts, console sessions and what they do, every action audited.

Passwords are kept as argon2id hashes; a session is known only by the SHA-256 of its bearer
token and ends after IDLE_TIMEOUT without use. Logging in is limited per username and per
client address (see payments.services.agent_logins). Agents are never deleted, only disabled,
so the audit trail keeps naming real accounts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, insert, select, update

from payments.domain.clock import Clock, require_aware
from payments.domain.values import Caller, Verification
from payments.operations.admin import account_as_json
from payments.services import agent_logins, verification
from payments.services.agent_logins import AGENTS, SESSIONS, InvalidLogin, LoginLimited, digest
from payments.services.service import PaymentService
from payments.storage import audit
from payments.storage.unit_of_work import UnitOfWorkFactory

__all__ = ["AgentService", "InvalidLogin", "LoginLimited", "NotVerified"]

IDLE_TIMEOUT = timedelta(minutes=30)
MAX_SESSION = timedelta(hours=12)  # a whole shift; then log in again, however busy
MIN_PASSWORD_LENGTH = 12
FULL_NAME_LENGTH = 200
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
RECENT_PAYMENTS = 10
HIDDEN_FROM_AGENTS = ("date_of_birth", "zip")  # knowing them would defeat verification


class NotVerified(Exception):
    """The member is not verified on any current call: nothing of the account is shown."""


class AgentService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        payments: PaymentService,
        hasher: PasswordHasher | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._payments = payments
        self._logins = agent_logins.Logins(uow_factory, hasher or PasswordHasher(), sleep)

    def _now(self) -> datetime:
        return require_aware(self._clock())

    def add_agent(self, username: str, full_name: str, password: str) -> str:
        """Add an agent; the username as stored (lowercase). ValueError says what is wrong."""
        name, full_name = username.strip().lower(), full_name.strip()
        if not USERNAME.fullmatch(name):
            raise ValueError("a username is 2-64 of a-z, 0-9, '.', '_', '-'")
        if not 0 < len(full_name) <= FULL_NAME_LENGTH:
            raise ValueError(f"give the agent's full name (at most {FULL_NAME_LENGTH} characters)")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
        now, hashed = self._now(), self._logins.hash(password)
        with self._uow() as uow:
            if uow.connection.scalar(select(AGENTS.c.id).where(AGENTS.c.username == name)):
                raise ValueError(f"there is already an agent {name}")
            row = {"username": name, "full_name": full_name, "password_hash": hashed}
            uow.connection.execute(insert(AGENTS), {**row, "disabled": False, "created_at": now})
            audit.record(uow.connection, now, audit.SYSTEM, "agent.added", name)
            uow.commit()
        return name

    def disable_agent(self, username: str) -> int:
        """Disable an agent and end their sessions (how many). LookupError if there is none."""
        name, now = username.strip().lower(), self._now()
        with self._uow() as uow:
            found = uow.connection.execute(
                update(AGENTS).where(AGENTS.c.username == name).values(disabled=True)
            )
            if found.rowcount != 1:
                raise LookupError(f"no agent {name}")
            ended = uow.connection.execute(delete(SESSIONS).where(SESSIONS.c.username == name))
            audit.record(uow.connection, now, audit.SYSTEM, "agent.disabled", name)
            uow.commit()
        return ended.rowcount

    def enable_agent(self, username: str, password: str) -> None:
        """Let a disabled agent log in again, with a new password (whoever re-enables the login
        sets it). LookupError if there is no such agent, ValueError for a short password."""
        name, now = username.strip().lower(), self._now()
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
        hashed = self._logins.hash(password)
        with self._uow() as uow:
            found = uow.connection.execute(
                update(AGENTS)
                .where(AGENTS.c.username == name)
                .values(disabled=False, password_hash=hashed)
            )
            if found.rowcount != 1:
                raise LookupError(f"no agent {name}")
            audit.record(uow.connection, now, audit.SYSTEM, "agent.enabled", name)
            uow.commit()

    def log_in(self, username: str, password: str, client: str) -> str:
        """A new session's bearer token. InvalidLogin (one answer for an unknown username, a
        wrong password and a disabled agent), or LoginLimited without the password checked."""
        return self._logins.log_in(username, password, client, self._now(), IDLE_TIMEOUT)

    def authenticate(self, token: str) -> str | None:
        """The username of a live session, whose idle time starts again; None otherwise."""
        if not token:
            return None
        now = self._now()
        active = select(AGENTS.c.username).where(AGENTS.c.disabled.is_(False))
        touch = (
            update(SESSIONS)
            .where(SESSIONS.c.token_hash == digest(token))
            .where(SESSIONS.c.last_seen > now - IDLE_TIMEOUT, SESSIONS.c.username.in_(active))
            .where(SESSIONS.c.created_at > now - MAX_SESSION)
            .values(last_seen=now)
            .returning(SESSIONS.c.username)
        )
        with self._uow.autocommit() as uow:
            username = uow.connection.execute(touch).scalar_one_or_none()
            uow.commit()
        return username

    def log_out(self, token: str) -> None:
        """End the session of `token`, if it is one."""
        now = self._now()
        end = delete(SESSIONS).where(SESSIONS.c.token_hash == digest(token))
        with self._uow() as uow:
            ended = uow.connection.execute(end.returning(SESSIONS.c.username)).scalar()
            if ended is not None:
                audit.record(uow.connection, now, ended, "agent.logout", ended)
            uow.commit()

    def verify_member(
        self, agent: str, call_sid: str, subscriber_id: str, born: date
    ) -> Verification:
        """Verify a caller for `agent` with the phone's own check, the failures counted as the
        agent's (ValueError for a malformed Subscriber ID), audited as the agent's."""
        verdict = self._payments.verify(subscriber_id, born, Caller(agent=agent))
        result = verdict.result.value
        self.record(agent, "agent.verify", subscriber_id, call_sid=call_sid, result=result)
        return verdict

    def second_check(
        self,
        agent: str,
        call_sid: str,
        subscriber_id: str,
        zip_code: str,
        last_payment: Decimal | None,
    ) -> Verification:
        """Verify a caller by ZIP and the amount of their last payment, for a member the date of
        birth cannot verify now (locked, or slowed): a match lifts the lockout. Audited."""
        verdict = self._payments.second_check(subscriber_id, zip_code, last_payment, agent)
        result = verdict.result.value
        details = {"call_sid": call_sid, "result": result, "check": "zip_and_last_payment"}
        self.record(agent, "agent.verify", subscriber_id, **details)
        return verdict

    def look_up(self, agent: str, subscriber_id: str, verified_on: str | None) -> dict[str, Any]:
        """The account as an agent may see it, for a member verified on call `verified_on`.

        ValueError for a malformed Subscriber ID; NotVerified when no call verified them;
        LookupError for no such member. Audited.
        """
        verification.check_subscriber_id(subscriber_id)
        if verified_on is None:
            self.record(agent, "agent.lookup", subscriber_id, outcome="not_verified")
            raise NotVerified(subscriber_id)
        document = account_as_json(self._uow, subscriber_id, self._now())
        outcome = "shown" if document is not None else "unknown"
        self.record(agent, "agent.lookup", subscriber_id, call_sid=verified_on, outcome=outcome)
        if document is None:
            raise LookupError(subscriber_id)
        return agent_view(document)

    def record(self, agent: str, action: str, subject: str, **details: Any) -> None:
        """Audit an action of `agent` (never with a card or account number in `details`)."""
        with self._uow.autocommit() as uow:
            audit.record(uow.connection, self._now(), agent, action, subject, **details)
            uow.commit()


def agent_view(document: dict[str, Any]) -> dict[str, Any]:
    """`ivr account show --json` without what verification asks, payments cut to the latest."""
    shown = {key: value for key, value in document.items() if key not in HIDDEN_FROM_AGENTS}
    shown["recent_payments"] = shown.pop("payments")[:RECENT_PAYMENTS]
    return shown
