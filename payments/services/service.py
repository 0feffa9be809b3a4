"""The payments core's one entry point for the voice, relay and agent channels."""

from __future__ import annotations

import logging
import time
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection

from payments.domain.clock import Clock, eastern_date, require_aware
from payments.domain.errors import PaymentError, PaymentInProgress, UnknownSubscriber
from payments.domain.validation import check_request
from payments.domain.values import (
    AccountSummary,
    Caller,
    CallPayment,
    PaymentOutcome,
    PaymentRequest,
    PaymentView,
    Verification,
    VerifyResult,
)
from payments.gateways.base import Gateway, GatewayUnavailable
from payments.services import accounts, verification
from payments.services.charger import Charger
from payments.services.charging import NOT_RECEIVED, ChargeResult, charge_truthfully
from payments.services.leases import Leases
from payments.services.recording import outcome_of
from payments.services.submission import Reservation, Reserver
from payments.storage import audit, repository
from payments.storage.ledger import plan_ledger
from payments.storage.unit_of_work import UnitOfWorkFactory

ANONYMOUS_CALLER = Caller()  # withheld caller ID: the default for a check

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
RECORD_RETRY_DELAYS = (1, 2, 4, 8, 15, 30)  # then reconciliation takes over


class PaymentService:
    """Plain values in and out; every call is its own transaction(s)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        gateway: Gateway,
        clock: Clock,
        charger: Charger | None = None,
    ) -> None:
        self._uow = uow_factory
        self._gateway = gateway
        self._clock = clock
        self._charger = charger or Charger()
        self._reserver = Reserver(uow_factory, self._now)
        self._leases = Leases(uow_factory, self._now, self._charger.in_flight)

    def _now(self) -> datetime:
        return require_aware(self._clock())

    def caller_blocked(self, caller: Caller) -> bool:
        """Whether the caller's budget of guesses is spent: only a representative can help.
        A refusal is audited."""
        now = self._now()
        with self._uow.reader() as uow:
            blocked = verification.caller_blocked(uow.connection, caller, now)
        if blocked:
            with self._uow.autocommit() as uow:
                audit.record(uow.connection, now, audit.CALLER, "verify.refused_budget", caller.key)
                uow.commit()
        return blocked

    def member_exists(self, subscriber_id: str) -> bool:
        with self._uow.reader() as uow:
            return repository.member_exists(uow.connection, subscriber_id)

    def subscribers_for_phone(self, e164: str) -> list[tuple[str, str]]:
        """(Subscriber ID, language on file) of the members registered with this phone number
        (several for a shared phone)."""
        with self._uow.reader() as uow:
            return repository.subscribers_for_phone(uow.connection, e164)

    def verify(
        self,
        subscriber_id: str,
        dob: date,
        caller: Caller = ANONYMOUS_CALLER,
        with_account: bool = False,
    ) -> Verification:
        """Check the Subscriber ID and date of birth together, as tried by `caller`;
        `with_account` adds the account summary when they match.

        Raises ValueError for a malformed Subscriber ID. Every attempt is recorded and audited.
        """
        verification.check_subscriber_id(subscriber_id)
        with self._uow() as uow:
            verdict = verification.verify(uow.connection, subscriber_id, dob, caller, self._now())
            if with_account and verdict.result is VerifyResult.OK:
                summary = self._summary(uow.connection, subscriber_id)
                verdict = Verification(verdict.result, account=summary)
            uow.commit()
        return verdict

    def second_check(
        self, subscriber_id: str, zip_code: str, last_payment: Decimal | None, agent: str
    ) -> Verification:
        """A representative verifies a member by ZIP and the amount of their last payment
        (None: they have made none), lifting a lockout when it matches; audited as `agent`'s."""
        verification.check_subscriber_id(subscriber_id)
        with self._uow() as uow:
            conn = uow.connection
            latest = accounts.recent_payments(conn, subscriber_id, 1)
            last_paid = latest[0].amount if latest else None
            checker = Caller(agent=agent, second_check=True)  # its own count: not the dates'
            verdict = verification.second_check(
                conn, subscriber_id, zip_code, last_payment, last_paid, checker, self._now()
            )
            uow.commit()
        return verdict

    def unlock(self, subscriber_id: str, by: str) -> int:
        """Lift a verification lockout for `subscriber_id`, audited as done by `by`."""
        verification.check_subscriber_id(subscriber_id)
        if not by.strip():
            raise ValueError("say who lifts the lockout")
        with self._uow() as uow:
            cleared = verification.unlock(uow.connection, subscriber_id, by.strip(), self._now())
            uow.commit()
        return cleared

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
            if not views and not repository.member_exists(uow.connection, subscriber_id):
                raise UnknownSubscriber(subscriber_id)
        return views

    def payments_of_call(self, call_sid: str) -> list[CallPayment]:
        """Every payment confirmed during the call, oldest first, as recorded."""
        with self._uow.reader() as uow:
            return repository.payments_of_call(uow.connection, call_sid)

    def start_payment(self, request: PaymentRequest) -> None:
        """Reserve the payment and hand its charge to a thread; return without waiting for it.

        Raises a PaymentError (audited) for a request refused before anything is charged. Any
        exception means the charge was not handed over: nothing was or will be charged for it.
        A key already reserved (a replay) starts nothing new.
        """
        try:
            check_request(request, eastern_date(self._now()))
            reservation = self._reserver.reserve(request)
        except PaymentError as refused:
            self._reserver.audit_refusal(request, refused)
            raise
        if reservation.charge is not None:
            self._charger.start(request.idempotency_key, lambda: self._charge(reservation))
            self._leases.keep_renewing()

    def outcome(self, key: str, wait: float = 0.0) -> PaymentOutcome | None:
        """The payment under `key` as its record stands, waiting up to `wait` seconds for the
        processor's answer: status PENDING while it has not answered; None for no such key."""
        deadline = time.monotonic() + wait
        answered_here = self._charger.wait(key, wait)
        if answered_here is not None:
            return answered_here  # the truth even when the database has not caught up yet
        recorded = self._recorded(key)
        if recorded is not None and not recorded.status.answered:
            self._take_over_if_lapsed(key)
        while True:
            if recorded is None or recorded.status.answered or time.monotonic() >= deadline:
                return recorded
            time.sleep(POLL_SECONDS)
            recorded = self._recorded(key)

    def submit_payment(self, request: PaymentRequest, wait: float = 60.0) -> PaymentOutcome:
        """Start a payment and wait for its outcome; PaymentInProgress if still unanswered."""
        self.start_payment(request)
        found = self.outcome(request.idempotency_key, wait)
        if found is None or not found.status.answered:
            raise PaymentInProgress(f"payment {request.idempotency_key} is still in progress")
        return found

    def _take_over_if_lapsed(self, key: str) -> None:
        """A PENDING payment whose charging process stopped renewing its lease (it died): claim
        it and settle it from the processor on this process's charger threads."""
        if key in self._charger.in_flight():
            return
        payment_id = self._leases.claim(key)
        if payment_id is None:
            return
        log.warning("charge %s: its process stopped answering for it; taken over", key)
        self._charger.start(key, lambda: self._settle(payment_id, key))
        self._leases.keep_renewing()

    def _settle(self, payment_id: int, key: str) -> PaymentOutcome:
        """The processor's answer under `key`, recorded. None found: the charge never reached
        it, recorded as not charged and `unresolved`, so reconciliation reverses any charge that
        surfaces later. An unreachable processor leaves it PENDING (the lease lapses again)."""
        try:
            answer = self._gateway.lookup(key)
        except GatewayUnavailable:
            log.warning("charge %s: processor unreachable; still pending", key)
            raise
        result = ChargeResult(answer) if answer is not None else ChargeResult(NOT_RECEIVED, True)
        return self._reserver.record(payment_id, result, actor=audit.SYSTEM)

    def _recorded(self, key: str) -> PaymentOutcome | None:
        with self._uow.reader() as uow:
            payment = repository.payment_with_key(uow.connection, key)
            if payment is None:
                return None
            plan = plan_ledger(uow.connection, payment["plan_id"])
        return outcome_of(payment, plan, eastern_date(self._now()))

    def _charge(self, reservation: Reservation) -> PaymentOutcome:
        """On a charger thread: charge, record the answer, and say what it was."""
        assert reservation.charge is not None
        result = charge_truthfully(self._gateway, reservation.charge)
        payment_id = reservation.payment["id"]
        try:
            return self._reserver.record(payment_id, result)
        except Exception:  # noqa: BLE001 - the caller still hears the truth; recording retries
            log.exception(
                "payment %s: answer not recorded yet", reservation.payment["confirmation"]
            )
            self._charger.later(lambda: self._record_later(payment_id, result))
            return self._reserver.unrecorded_outcome(reservation, result)

    def _record_later(self, payment_id: int, result: ChargeResult) -> None:
        for delay in RECORD_RETRY_DELAYS:
            time.sleep(delay)
            try:
                self._reserver.record(payment_id, result)
                return
            except Exception:  # noqa: BLE001 - tried again below, then reconciliation
                log.warning("payment %s: recording failed again", payment_id)
        log.error("payment %s: left PENDING for reconciliation", payment_id)

    def close(self) -> None:
        """Let charges in flight finish (their answers recorded), then stop the threads."""
        self._charger.shutdown(wait=True)
        self._leases.close()
