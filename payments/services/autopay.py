"""AutoPay enrolment, change and cancellation, for the phone, relay and agent channels alike.

Every enrolment or change is a new recurring authorization: the exact words the member heard,
the time, the CallSid and the accepting key, kept two years after it ends. Its written copy goes
out in the same transaction (an SMS to a number on file the member agreed to, else a letter);
the AutoPay run makes no debit under an authorization whose written copy is not recorded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from payments.bank.sealing import Sealer
from payments.domain import autopay as rules
from payments.domain.clock import Clock, eastern_date, require_aware
from payments.domain.errors import UnknownPlan
from payments.domain.instruments import BankDetails, aba_routing_valid, bank_account_valid
from payments.domain.plans import PlanAccount
from payments.domain.values import AutopayView, PlanStatus
from payments.services import enrolling
from payments.services.autopay_values import (
    AutopayRefused,
    Cancelled,
    Enrolled,
    EnrolRequest,
    Terms,
)
from payments.services.autopay_views import view_of
from payments.storage import audit
from payments.storage.enrolments import EnrolmentRow, enrolment_of_plan
from payments.storage.ledger import plan_ledger
from payments.storage.repository import lock_members_plan, plan_ref_of
from payments.storage.unit_of_work import UnitOfWorkFactory

__all__ = ["AutopayRefused", "AutopayService"]


class AutopayService:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, sealer: Sealer, clock: Clock, phone: str
    ) -> None:
        self._uow = uow_factory
        self._sealer = sealer
        self._clock = clock
        self._phone = phone  # customer service, for the written copy

    def _now(self) -> datetime:
        return require_aware(self._clock())

    def terms(self, subscriber_id: str, plan_id: str, day: int) -> Terms:
        """The first debit a new authorization on `day` would make, and its amount so far."""
        rules.check_day(day)
        today = eastern_date(self._now())
        with self._uow.reader() as uow:
            plan, enrolment = self._plan(uow.connection, subscriber_id, plan_id, lock=False)
        first = enrolling.first_debit(day, enrolment, today)
        return Terms(first, rules.balance_due(plan, first))

    def view(self, subscriber_id: str, plan_id: str) -> AutopayView:
        today = eastern_date(self._now())
        with self._uow.reader() as uow:
            plan, enrolment = self._plan(uow.connection, subscriber_id, plan_id, lock=False)
            return view_of(uow.connection, enrolment, plan, today)

    def enrol(self, request: EnrolRequest) -> Enrolled:
        """Enrol the plan, or change its day or account: a new authorization either way."""
        rules.check_day(request.day)
        _check_account(request.account)
        now = self._now()
        with self._uow() as uow:
            conn = uow.connection
            plan, enrolment = self._plan(conn, request.subscriber_id, request.plan_id, lock=True)
            if plan.status is PlanStatus.TERMINATED:
                raise AutopayRefused("a plan whose coverage has ended cannot start AutoPay")
            if request.account is None and (enrolment is None or enrolment["cancelled"]):
                raise AutopayRefused("a new enrolment needs a bank account")
            draft = enrolling.Draft(request, plan, enrolment, now)
            enrolled = enrolling.write(conn, draft, self._sealer, self._phone)
            uow.commit()
        return enrolled

    def cancel(
        self, subscriber_id: str, plan_id: str, actor: str, call_sid: str | None
    ) -> Cancelled:
        """Cancel AutoPay: debits not yet sent to the bank are stopped, those sent are not."""
        now = self._now()
        with self._uow() as uow:
            conn = uow.connection
            _, enrolment = self._plan(conn, subscriber_id, plan_id, lock=True)
            if enrolment is None or enrolment["cancelled"]:
                raise AutopayRefused("AutoPay is not set up for this plan")
            stopped, on_the_way = enrolling.cancel(conn, enrolment.id, now, actor)
            audit.record(
                conn, now, actor, "autopay.cancelled", subscriber_id, plan_id=plan_id,
                reference=enrolment["reference"], call_sid=call_sid,
                stopped=len(stopped), still_taken=len(on_the_way),
            )  # fmt: skip
            uow.commit()
        return Cancelled(tuple(stopped), tuple(on_the_way))

    def _plan(
        self, conn: Connection, subscriber_id: str, plan_id: str, lock: bool
    ) -> tuple[PlanAccount, EnrolmentRow | None]:
        find = lock_members_plan if lock else plan_ref_of
        plan_ref = find(conn, subscriber_id, plan_id)
        if plan_ref is None:
            raise UnknownPlan(f"{plan_id} is not a plan of this subscriber")
        return plan_ledger(conn, plan_ref), enrolment_of_plan(conn, plan_ref)


def _check_account(account: BankDetails | None) -> None:
    if account is None:
        return
    routing_ok = aba_routing_valid(account.routing_number)
    if not (routing_ok and bank_account_valid(account.account_number)):
        raise AutopayRefused("the routing or account number is not valid")
