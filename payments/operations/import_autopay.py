"""AutoPay enrolments made on the member portal, as the import brings them (a plan's `"autopay"`).

Each is written as a phone enrolment is (payments.services.enrolling): the enrolment row with
the account number sealed and only its last 4 in clear, a new recurring authorization (the one
in force before is ended, kept two years) with channel `portal`, and its written copy: the
portal's when `written_copy_at` says it sent one, else a letter in the print queue (no written
copy, no debit).

- `"autopay"` absent: no change to the plan's AutoPay, whoever made it.
- `"autopay": null`: the member cancelled on the portal. An enrolment whose authorization in
  force came from the portal is cancelled as by phone; one made by phone is kept (its member
  was told to cancel by phone, and a feed that writes null for "none" must not end it).
- The authorization in force already (a re-import) changes nothing; another one (a new day,
  account or time) replaces it as a change by phone does, unless the enrolment was changed or
  cancelled after the file's `authorized_at`: an older file never undoes what the member did
  since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, func, select

from payments.bank.sealing import SealedDataError, Sealer
from payments.domain.instruments import AccountType, BankDetails
from payments.domain.values import Channel
from payments.operations.import_objects import PortalAutopay
from payments.operations.import_validation import PlanRecord
from payments.services import enrolling
from payments.services.autopay_values import EnrolRequest, RecurringConsent
from payments.storage import audit
from payments.storage.enrolments import (
    EnrolmentRow,
    enrolment_of_plan,
    record_written_copy,
    update_enrolment,
)
from payments.storage.ledger import plan_ledger
from payments.storage.repository import lock_members_plan
from payments.storage.tables import RECURRING_AUTHORIZATIONS as AUTHORIZATIONS

PORTAL = Channel.PORTAL.value
_LATEST = select(
    func.max(AUTHORIZATIONS.c.accepted_at).label("accepted"),
    func.max(case((AUTHORIZATIONS.c.ended_why == "cancelled", AUTHORIZATIONS.c.ended_at))).label(
        "cancelled"
    ),
).where(AUTHORIZATIONS.c.enrolment_id == bindparam("enrolment_id"))


@dataclass(frozen=True)
class PortalEnrolments:
    """Writes the portal's enrolments in the import's transaction."""

    sealer: Sealer
    phone: str  # customer service, for a written copy sent by letter
    now: datetime

    def apply(
        self, conn: Connection, subscriber_id: str, language: str, plan_ref: int, record: PlanRecord
    ) -> None:
        """The plan `record` (stored as `plan_ref`) of `subscriber_id`, whose language on file is
        `language`: its `autopay` written, or its null applied."""
        if record.cancel_autopay or record.autopay is not None:
            # as by phone: the AutoPay run locks the plans it debits, in id order
            lock_members_plan(conn, subscriber_id, record.plan_id)
        if record.cancel_autopay:
            self._cancel(conn, subscriber_id, record.plan_id, plan_ref)
        elif record.autopay is not None:
            request = _request(subscriber_id, language, record.plan_id, record.autopay)
            self._enrol(conn, request, plan_ref, record.autopay)

    def unchanged(self, enrolment: EnrolmentRow | None, record: PlanRecord) -> bool:
        """Whether `record` would write nothing over the plan's `enrolment` as read (no lock
        needed to leave it alone): a cancel of none, or of one not made on the portal; the
        authorization in force already, its written copy recorded. Else apply() decides."""
        if record.cancel_autopay:
            return enrolment is None or enrolment["cancelled"] or enrolment["source"] != PORTAL
        wanted = record.autopay
        return (
            wanted is not None
            and enrolment is not None
            and _in_force(enrolment, wanted)
            and (wanted.written_copy_at is None or enrolment["written_copy_at"] is not None)
            and self._open(enrolment["account_sealed"]) == wanted.account
        )

    def _enrol(
        self, conn: Connection, request: EnrolRequest, plan_ref: int, wanted: PortalAutopay
    ) -> None:
        enrolment = enrolment_of_plan(conn, plan_ref)
        if enrolment is not None and self._kept(conn, enrolment, wanted):
            return
        draft = enrolling.Draft(request, plan_ledger(conn, plan_ref), enrolment, self.now)
        enrolling.write(conn, draft, self.sealer, self.phone)

    def _kept(self, conn: Connection, enrolment: EnrolmentRow, wanted: PortalAutopay) -> bool:
        """True when there is nothing to write: `wanted` is the authorization in force already
        (a written copy the portal sent since is recorded), or the enrolment changed since."""
        if _in_force(enrolment, wanted):
            opened = self._open(enrolment["account_sealed"])
            if opened in (wanted.account, None):
                if opened is None:  # sealed under a key no longer configured: seal it again
                    sealed = self.sealer.seal(wanted.account)
                    update_enrolment(conn, enrolment.id, account_sealed=sealed)
                if wanted.written_copy_at is not None and enrolment["written_copy_at"] is None:
                    at = wanted.written_copy_at
                    record_written_copy(conn, enrolment["authorization_id"], at, PORTAL)
                return True
        return _changed_since(conn, enrolment.id, wanted.authorized_at)

    def _open(self, sealed: str) -> str | None:
        try:
            return self.sealer.open(sealed)
        except SealedDataError:
            return None

    def _cancel(self, conn: Connection, subscriber_id: str, plan_id: str, plan_ref: int) -> None:
        enrolment = enrolment_of_plan(conn, plan_ref)
        if enrolment is None or enrolment["cancelled"] or enrolment["source"] != PORTAL:
            return
        stopped, on_the_way = enrolling.cancel(conn, enrolment.id, self.now, audit.SYSTEM)
        audit.record(
            conn, self.now, audit.SYSTEM, "autopay.cancelled", subscriber_id, plan_id=plan_id,
            reference=enrolment["reference"], channel=PORTAL,
            stopped=len(stopped), still_taken=len(on_the_way),
        )  # fmt: skip


def _in_force(enrolment: EnrolmentRow, wanted: PortalAutopay) -> bool:
    """Whether the enrolment's authorization in force has `wanted`'s time and terms (the
    account's last 4 only: the full number is compared once opened)."""
    return (
        enrolment["authorization_id"] is not None
        and not enrolment["cancelled"]
        and enrolment["source"] == PORTAL
        and enrolment["authorized_at"] == wanted.authorized_at
        and (enrolment["day"], enrolment["account_type"], enrolment["routing"])
        == (wanted.day, wanted.account_type, wanted.routing)
        and enrolment["last4"] == wanted.last4
    )


def _changed_since(conn: Connection, enrolment_id: int, authorized_at: datetime) -> bool:
    """Whether the enrolment got a later authorization (by phone, or a later one from the
    portal) or was cancelled after `authorized_at`."""
    latest = conn.execute(_LATEST, {"enrolment_id": enrolment_id}).one()
    return any(at is not None and at > authorized_at for at in latest)


def _request(
    subscriber_id: str, language: str, plan_id: str, wanted: PortalAutopay
) -> EnrolRequest:
    account = BankDetails(AccountType(wanted.account_type), wanted.routing, wanted.account)
    consent = RecurringConsent(
        text=f"Authorized on the member portal at {wanted.authorized_at.isoformat()}",
        accepted_at=wanted.authorized_at,
        call_sid=None,
        accepting_key=None,
        channel=Channel.PORTAL,
        written_copy_at=wanted.written_copy_at,
    )
    return EnrolRequest(subscriber_id, plan_id, wanted.day, account, consent, None, language)
