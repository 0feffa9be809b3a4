"""Loading members, plans and invoices from the billing system's export (idempotent upsert).

The whole file is validated first (payments.operations.import_validation) and loaded in one
transaction: nothing is half-loaded.

What the import owns and what the payment line owns:
- Members, phones, plans, premiums and invoices come from the billing system and are updated
  in place; records missing from a later file are left alone (never deleted), because this
  line's payments point at them.
- An invoice's `paid` is what the billing system received through other channels (mail,
  portal, AutoPay run elsewhere). It is stored as `paid_external`, and the line's own payment
  allocations count on top; what is open is never below zero. So a re-import never erases a
  payment taken here, and the billing export must not include the line's own payments in `paid`.
- A plan's status is taken from the file, with one exception: a plan this line activated with a
  binder payment is not sent back to `pending` by a file produced before that payment.
- A subscriber's `mailing_address` (where letters are printed to) is the billing system's, like
  the other member fields and `coverage_start`: a file without it (or with null) leaves no
  address on file, and the member's letters are held until one comes.
- A plan's `autopay` is an enrolment the member made on the portal; AutoPay is also the line's
  own (enrolments by phone), so the key absent changes nothing and only an explicit null
  cancels, and then only an enrolment made on the portal (payments.operations.import_autopay).
  Writing one needs the Sealer the line opens account numbers with (`sealer`; None: a key of
  this process only, for tests, as payments.bootstrap.build_core does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.bank.sealing import Sealer
from payments.domain.clock import Clock, eastern_date, require_aware, system_clock
from payments.domain.values import PlanStatus
from payments.operations.import_autopay import PortalEnrolments
from payments.operations.import_validation import (
    InvalidImport,
    PlanRecord,
    SubscriberRecord,
    parse_import,
)
from payments.services.accounts import member_by_subscriber
from payments.storage import audit
from payments.storage.ledger import CREDITED
from payments.storage.models import Invoice, Member, MemberPhone, Payment, Plan
from payments.storage.unit_of_work import UnitOfWorkFactory

__all__ = ["ImportReport", "InvalidImport", "import_accounts"]


@dataclass(frozen=True)
class ImportReport:
    created: int  # members new to the database
    updated: int  # members already there, brought up to date


def import_accounts(
    uow_factory: UnitOfWorkFactory,
    data: dict[str, Any],
    clock: Clock = system_clock,
    *,
    sealer: Sealer | None = None,
    service_phone: str = "1-877-623-6765",
) -> ImportReport:
    """Validate everything, then upsert it all in one transaction; raises InvalidImport.

    `service_phone` is the customer-service number a portal enrolment's written copy gives.
    """
    now = require_aware(clock())
    records = parse_import(data, today=eastern_date(now))
    portal = PortalEnrolments(sealer or Sealer.ephemeral(), service_phone, now)
    with uow_factory() as uow:
        session = uow.session
        _check_plan_owners(session, records)
        created = sum(_upsert_subscriber(session, record, portal) for record in records)
        report = ImportReport(created=created, updated=len(records) - created)
        audit.record(
            session.connection(),
            clock(),
            audit.SYSTEM,
            "import.accounts",
            "import",
            created=report.created,
            updated=report.updated,
        )
        uow.commit()
    return report


def _check_plan_owners(session: Session, records: list[SubscriberRecord]) -> None:
    """A plan may not move from one subscriber to another."""
    query = select(Plan.plan_id, Member.subscriber_id).join(Member, Plan.member_id == Member.id)
    owners = {row.plan_id: row.subscriber_id for row in session.execute(query)}
    problems = [
        f"subscribers[{i}] ({record.subscriber_id}).plans[{j}].plan_id: "
        f'"{plan.plan_id}" belongs to subscriber {owners[plan.plan_id]}'
        for i, record in enumerate(records)
        for j, plan in enumerate(record.plans)
        if owners.get(plan.plan_id, record.subscriber_id) != record.subscriber_id
    ]
    if problems:
        raise InvalidImport(problems)


def _upsert_subscriber(
    session: Session, record: SubscriberRecord, portal: PortalEnrolments
) -> bool:
    """Create or update one member with phones and plans; True when created."""
    member = member_by_subscriber(session, record.subscriber_id)
    created = member is None
    if member is None:
        member = Member(subscriber_id=record.subscriber_id)
        session.add(member)
    member.first_name = record.first_name
    member.last_name = record.last_name
    member.date_of_birth = record.date_of_birth
    member.zip = record.zip
    member.language = record.language
    address = record.mailing_address
    member.mailing_address = None if address is None else address.as_json()
    _sync_phones(member, record.phones)
    session.flush()
    for plan in record.plans:
        _upsert_plan(session, member, plan, portal)
    return created


def _sync_phones(member: Member, phones: tuple[str, ...]) -> None:
    member.phones[:] = [p for p in member.phones if p.e164 in phones]
    known = {phone.e164 for phone in member.phones}
    member.phones.extend(MemberPhone(e164=e164) for e164 in phones if e164 not in known)


def _upsert_plan(
    session: Session, member: Member, record: PlanRecord, portal: PortalEnrolments
) -> None:
    plan = session.scalar(select(Plan).where(Plan.plan_id == record.plan_id))
    if plan is None:
        plan = Plan(plan_id=record.plan_id, member_id=member.id)
        session.add(plan)
    plan.kind = record.kind
    plan.name = record.name
    plan.carrier = record.carrier
    plan.monthly_premium = record.monthly_premium
    plan.subsidized = record.subsidized
    if not (record.status is PlanStatus.PENDING and _activated_here(session, plan)):
        plan.status = record.status.value
        plan.coverage_start = record.coverage_start
    session.flush()
    _upsert_invoices(session, plan, record)
    session.flush()
    portal.apply(session.connection(), member, plan.id, record)


def _activated_here(session: Session, plan: Plan) -> bool:
    if plan.id is None or plan.status != PlanStatus.ACTIVE.value:
        return False
    query = select(Payment.id).where(
        Payment.plan_id == plan.id,
        Payment.activated_coverage_start.is_not(None),
        Payment.status.in_(CREDITED),
    )
    return session.scalar(query.limit(1)) is not None


def _upsert_invoices(session: Session, plan: Plan, record: PlanRecord) -> None:
    existing = {
        i.period: i for i in session.scalars(select(Invoice).where(Invoice.plan_id == plan.id))
    }
    for item in record.invoices:
        invoice = existing.get(item.period)
        if invoice is None:
            invoice = Invoice(plan_id=plan.id, period=item.period)
            session.add(invoice)
        invoice.amount = item.amount
        invoice.due_date = item.due_date
        invoice.paid_external = item.paid
