"""The payments core's one entry point for the voice, relay and agent channels."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import Connection

from payments.domain.clock import Clock, eastern_date, require_aware
from payments.domain.validation import check_request
from payments.domain.values import (
    AccountSummary,
    Identification,
    PaymentError,
    PaymentOutcome,
    PaymentRequest,
    PaymentView,
    UnknownSubscriber,
    Verification,
    VerifyResult,
)
from payments.gateways.base import Gateway
from payments.services import accounts, verification
from payments.services.charging import charge_truthfully
from payments.services.submission import Reserver
from payments.storage import repository
from payments.storage.unit_of_work import UnitOfWorkFactory


class PaymentService:
    """Plain values in and out; every call is its own transaction(s)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        gateway: Gateway,
        clock: Clock,
        pending_wait: float = 60.0,
    ) -> None:
        self._uow = uow_factory
        self._gateway = gateway
        self._clock = clock
        self._reserver = Reserver(uow_factory, self._now, pending_wait)

    def _now(self) -> datetime:
        return require_aware(self._clock())

    def identify(self, subscriber_id: str) -> Identification:
        """`member_exists` and `lockout_until` in one query."""
        now = self._now()
        with self._uow.reader() as uow:
            facts = verification.subscriber_facts(uow.connection, subscriber_id, now)
        return Identification(facts.known, facts.locked_until(now))

    def member_exists(self, subscriber_id: str) -> bool:
        with self._uow.reader() as uow:
            return repository.member_exists(uow.connection, subscriber_id)

    def subscribers_for_phone(self, e164: str) -> list[str]:
        """Subscriber IDs registered with this phone number (several for a shared phone)."""
        with self._uow.reader() as uow:
            return repository.subscribers_for_phone(uow.connection, e164)

    def member_language(self, subscriber_id: str) -> str:
        with self._uow.reader() as uow:
            language = repository.member_language(uow.connection, subscriber_id)
        if language is None:
            raise UnknownSubscriber(subscriber_id)
        return language

    def lockout_until(self, subscriber_id: str) -> datetime | None:
        return self.identify(subscriber_id).locked_until

    def verify(self, subscriber_id: str, dob: date, with_account: bool = False) -> Verification:
        """Check the date of birth; `with_account` adds the account summary when it matches.

        Raises ValueError for a malformed Subscriber ID. A failure is recorded and audited.
        """
        verification.check_subscriber_id(subscriber_id)
        now = self._now()
        with self._uow.autocommit() as uow:  # reads, then one write: the audit event
            facts = verification.subscriber_facts(uow.connection, subscriber_id, now)
            verdict = verification.judge(facts, dob, now)
            if verdict.result is not VerifyResult.MISMATCH:
                if with_account and verdict.result is VerifyResult.OK:
                    verdict = replace(verdict, account=self._summary(uow.connection, subscriber_id))
                verification.audit_verdict(uow.connection, subscriber_id, verdict, now)
                uow.commit()
                return verdict
        return self._record_failure(subscriber_id, facts.known, now)

    def _record_failure(self, subscriber_id: str, known: bool, now: datetime) -> Verification:
        with self._uow() as uow:
            verdict = verification.record_failure(uow.connection, subscriber_id, known, now)
            uow.commit()
        return verdict

    def account_summary(self, subscriber_id: str) -> AccountSummary:
        with self._uow.reader() as uow:
            return self._summary(uow.connection, subscriber_id)

    def _summary(self, conn: Connection, subscriber_id: str) -> AccountSummary:
        summary = accounts.account_summary(conn, subscriber_id, eastern_date(self._now()))
        if summary is None:
            raise UnknownSubscriber(subscriber_id)
        return summary

    def recent_payments(self, subscriber_id: str, limit: int = 3) -> list[PaymentView]:
        """Newest first; declined and failed attempts are left out."""
        with self._uow.reader() as uow:
            views = accounts.recent_payments(uow.connection, subscriber_id, limit)
        if not views and not self.member_exists(subscriber_id):
            raise UnknownSubscriber(subscriber_id)
        return views

    def submit_payment(self, request: PaymentRequest) -> PaymentOutcome:
        """Charge once per idempotency key and tell the truth: charged or not (services.charging).

        Raises a PaymentError (audited) for a request refused before anything is charged.
        """
        try:
            check_request(request, eastern_date(self._now()))
            reserved = self._reserver.reserve(request)
        except PaymentError as refused:
            self._reserver.audit_refusal(request, refused)
            raise
        if isinstance(reserved, PaymentOutcome):
            return reserved
        payment_id, charge = reserved
        result = charge_truthfully(self._gateway, charge)
        return self._reserver.record(payment_id, result)
