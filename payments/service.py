"""The payments core's one entry point for the voice, relay and agent channels."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments import accounts, verification
from payments.api import (
    AccountSummary,
    PaymentError,
    PaymentOutcome,
    PaymentRequest,
    PaymentView,
    UnknownSubscriber,
    Verification,
)
from payments.charging import charge_truthfully
from payments.clock import Clock, eastern_date, require_aware
from payments.gateway import Gateway
from payments.models import Member, MemberPhone
from payments.repository import member_by_subscriber
from payments.submission import Reserver
from payments.unit_of_work import UnitOfWorkFactory
from payments.validation import check_request


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

    def member_exists(self, subscriber_id: str) -> bool:
        with self._uow() as uow:
            return member_by_subscriber(uow.session, subscriber_id) is not None

    def subscribers_for_phone(self, e164: str) -> list[str]:
        """Subscriber IDs registered with this phone number (several for a shared phone)."""
        query = (
            select(Member.subscriber_id)
            .join(MemberPhone, MemberPhone.member_id == Member.id)
            .where(MemberPhone.e164 == e164)
            .order_by(Member.subscriber_id)
        )
        with self._uow() as uow:
            return list(uow.session.scalars(query))

    def member_language(self, subscriber_id: str) -> str:
        with self._uow() as uow:
            return self._member(uow.session, subscriber_id).language

    def lockout_until(self, subscriber_id: str) -> datetime | None:
        with self._uow() as uow:
            return verification.lockout_until(uow.session, subscriber_id, self._now())

    def verify(self, subscriber_id: str, dob: date) -> Verification:
        with self._uow() as uow:
            result = verification.verify(uow.session, subscriber_id, dob, self._now())
            uow.commit()
        return result

    def account_summary(self, subscriber_id: str) -> AccountSummary:
        with self._uow() as uow:
            member = self._member(uow.session, subscriber_id)
            return accounts.account_summary(uow.session, member, eastern_date(self._now()))

    def recent_payments(self, subscriber_id: str, limit: int = 3) -> list[PaymentView]:
        """Newest first; declined and failed attempts are left out."""
        with self._uow() as uow:
            member = self._member(uow.session, subscriber_id)
            return accounts.recent_payments(uow.session, member, limit)

    def submit_payment(self, request: PaymentRequest) -> PaymentOutcome:
        """Charge once per idempotency key and tell the truth: charged or not (payments.charging).

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

    @staticmethod
    def _member(session: Session, subscriber_id: str) -> Member:
        member = member_by_subscriber(session, subscriber_id)
        if member is None:
            raise UnknownSubscriber(subscriber_id)
        return member
