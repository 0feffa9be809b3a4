"""Loading members, plans and invoices from the billing system's feed, set-based.

The feed is streamed (payments.operations.import_source), each subscriber validated as it comes
(import_validation) and staged in temporary tables (import_staging); what only the whole file
shows is checked there, and the staged rows are merged into the real tables in a few statements
that write only what changed (import_merge). All of it is one transaction: a feed with a
problem, or an import stopped midway, leaves the data as it was.

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
- A plan whose premium or invoices changed has its AutoPay checked at once, after the commit,
  by the advance-notice job (payments.operations.autopay_notices): a debit 10 to 24 days away
  that would now take another amount is told to the member today. A debit nearer than that
  never takes more than the member was told; the daily job tells the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date

from sqlalchemy import Connection, select, text

from payments.bank.sealing import Sealer
from payments.domain.clock import Clock, eastern_date, require_aware, system_clock
from payments.operations.autopay_notices import CHUNK_SIZE, notice_chunk
from payments.operations.import_autopay import PortalEnrolments
from payments.operations.import_merge import (
    CHANGED,
    Counts,
    PremiumChange,
    classify,
    counts,
    merge,
    premium_changes,
    problems,
)
from payments.operations.import_rules import birth_window
from payments.operations.import_source import Feed, Item, items
from payments.operations.import_staging import STAGED_MEMBERS, STAGED_PLANS, Staging
from payments.operations.import_validation import (
    SHOWN_PROBLEMS,
    InvalidImport,
    PlanRecord,
    read_subscriber,
)
from payments.storage import audit
from payments.storage.enrolments import enrolments_of_plans
from payments.storage.tables import ENROLMENTS, PLANS
from payments.storage.unit_of_work import UnitOfWorkFactory

__all__ = ["ImportReport", "InvalidImport", "import_accounts"]

BATCH = 5000  # subscribers staged at a time: the memory the import holds
# Set for the import's own transaction on PostgreSQL, in place of the webhooks' seconds.
STATEMENT_TIMEOUT = "15min"
LOCK_TIMEOUT = "30s"


@dataclass(frozen=True)
class ImportReport:
    members: Counts
    plans: Counts
    premium_changes: tuple[PremiumChange, ...] = ()
    notices: int = 0  # AutoPay notices of a new amount told after the import


@dataclass(frozen=True)
class _Portal:
    """A plan's `autopay` (or its null), kept in memory until the plan is merged: an account
    number is never staged."""

    subscriber_id: str
    language: str
    plan: PlanRecord


class _Problems:
    def __init__(self) -> None:
        self.shown: list[str] = []
        self.total = 0

    def extend(self, found: Iterable[str]) -> None:
        for problem in found:
            self.total += 1
            if len(self.shown) < SHOWN_PROBLEMS:
                self.shown.append(problem)


def import_accounts(
    uow_factory: UnitOfWorkFactory,
    feed: Feed,
    clock: Clock = system_clock,
    *,
    sealer: Sealer | None = None,
    service_phone: str = "1-877-623-6765",
    prepare: Callable[[Item], list[str]] | None = None,
) -> ImportReport:
    """Validate and stage the whole feed, then merge it in the same transaction; raises
    InvalidImport (the first fifty problems, and how many there are) with nothing written.

    `feed`: the document as a dict, or a file (a Path or a binary stream) holding the document
    or JSON Lines. `prepare` may rewrite each subscriber before it is validated, and name
    what it could not read (the command line reads phones written nationally).
    `service_phone` is the customer-service number a portal enrolment's written copy gives.
    """
    now = require_aware(clock())
    today = eastern_date(now)
    portal = PortalEnrolments(sealer or Sealer.ephemeral(), service_phone, now)
    with uow_factory() as uow:
        conn = uow.connection
        _import_timeouts(conn)
        staging = Staging(conn)
        found = _Problems()
        enrolments = _stage(staging, items(feed), today, found, prepare)
        found.extend(problems(conn))
        if found.total:
            raise InvalidImport(found.shown, found.total)
        classify(conn)
        report = ImportReport(
            counts(conn, STAGED_MEMBERS), counts(conn, STAGED_PLANS),
            tuple(premium_changes(conn)),
        )  # fmt: skip
        merge(conn)
        _apply_portal(conn, portal, enrolments)
        to_check = _enrolments_of_changed_plans(conn)
        staging.drop()
        audit.record(
            conn, clock(), audit.SYSTEM, "import.accounts", "import",
            members=asdict(report.members), plans=asdict(report.plans),
            premium_changes=len(report.premium_changes),
        )  # fmt: skip
        uow.commit()
    told = _tell_new_amounts(uow_factory, today, to_check, service_phone, clock)
    return replace(report, notices=told)


def _import_timeouts(conn: Connection) -> None:
    """The webhooks' engine stops a statement after seconds; a merge of the whole membership
    takes longer, and may wait for a payment's row lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'"))
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))


def _stage(
    staging: Staging,
    feed: Iterable[Item],
    today: date,
    found: _Problems,
    prepare: Callable[[Item], list[str]] | None,
) -> list[_Portal]:
    """Validate each subscriber and stage it; the plans that carry an `autopay` key."""
    births = birth_window(today)
    enrolments: list[_Portal] = []
    for position, item in enumerate(feed):
        if prepare is not None:
            found.extend(prepare(item))
        record, errors = read_subscriber(item.value, item.where, births)
        found.extend(errors)
        if record is None:
            continue
        staging.add(position, item.where, record)
        enrolments.extend(
            _Portal(record.subscriber_id, record.language, plan)
            for plan in record.plans
            if plan.autopay is not None or plan.cancel_autopay
        )
        if staging.pending >= BATCH:
            staging.flush()
    staging.ready()
    return enrolments


def _apply_portal(conn: Connection, portal: PortalEnrolments, enrolments: list[_Portal]) -> None:
    """Each plan's `autopay`, read a thousand plans at a time; only those with something to
    write are locked and written one by one (payments.operations.import_autopay)."""
    for start in range(0, len(enrolments), CHUNK_SIZE):
        chunk = enrolments[start : start + CHUNK_SIZE]
        wanted = [item.plan.plan_id for item in chunk]
        query = select(PLANS.c.plan_id, PLANS.c.id).where(PLANS.c.plan_id.in_(wanted))
        refs: dict[str, int] = {plan_id: ref for plan_id, ref in conn.execute(query)}
        stored = enrolments_of_plans(conn, list(refs.values()))
        for item in chunk:
            plan_ref = refs[item.plan.plan_id]
            if not portal.unchanged(stored.get(plan_ref), item.plan):  # a re-import's case
                portal.apply(conn, item.subscriber_id, item.language, plan_ref, item.plan)


def _enrolments_of_changed_plans(conn: Connection) -> list[int]:
    query = (
        select(ENROLMENTS.c.id)
        .join(PLANS, PLANS.c.id == ENROLMENTS.c.plan_id)
        .join(STAGED_PLANS, STAGED_PLANS.c.plan_id == PLANS.c.plan_id)
        .where(STAGED_PLANS.c.state == CHANGED, ENROLMENTS.c.cancelled.is_(False))
        .order_by(ENROLMENTS.c.id)
    )
    return list(conn.scalars(query))


def _tell_new_amounts(
    uow_factory: UnitOfWorkFactory, today: date, ids: list[int], phone: str, clock: Clock
) -> int:
    """The advance-notice job, for the enrolments whose plans just changed."""
    told = 0
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        told += notice_chunk(uow_factory, today, chunk, phone, clock).told
    return told
