"""Charges that outlive the process that started them (SPEC "Limits": faults).

A PENDING payment carries a lease (`payments.lease_until`, CHARGE_LEASE from its reservation).
The process charging it renews the lease every RENEW_EVERY seconds while the charge runs, on a
thread of its own. If the process dies (a web worker killed mid-charge), the lease lapses within
CHARGE_LEASE, and whoever next asks for the payment's outcome (the holding caller's next
webhook, on any worker) claims it in one conditional UPDATE, so exactly one process takes it
over and settles it from the processor (PaymentService._settle).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import bindparam, or_, update

from payments.domain.clock import Clock
from payments.domain.values import PaymentStatus
from payments.storage.new_payment import CHARGE_LEASE
from payments.storage.sqltypes import UTCDateTime
from payments.storage.tables import PAYMENTS
from payments.storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

RENEW_EVERY = 3.0  # seconds; well inside CHARGE_LEASE

_PENDING = PAYMENTS.c.status == PaymentStatus.PENDING.value
_RENEW = (
    update(PAYMENTS)
    .where(PAYMENTS.c.idempotency_key.in_(bindparam("keys", expanding=True)), _PENDING)
    .values(lease_until=bindparam("until", type_=UTCDateTime()))
)
_CLAIM = (
    update(PAYMENTS)
    .where(
        PAYMENTS.c.idempotency_key == bindparam("key"),
        _PENDING,
        or_(
            PAYMENTS.c.lease_until.is_(None),
            PAYMENTS.c.lease_until < bindparam("now", type_=UTCDateTime()),
        ),
    )
    .values(lease_until=bindparam("until", type_=UTCDateTime()))
    .returning(PAYMENTS.c.id)
)


class Leases:
    """This process's leases: renewed for the charges `in_flight()` names, claimed when lapsed."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        in_flight: Callable[[], list[str]],
        renew_every: float = RENEW_EVERY,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._in_flight = in_flight
        self._renew_every = renew_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = threading.Lock()

    def keep_renewing(self) -> None:
        """Start the renewing thread, once (the first charge of the process starts it)."""
        with self._started:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="leases", daemon=True)
                self._thread.start()

    def renew(self) -> None:
        keys = self._in_flight()
        if not keys:
            return
        with self._uow.autocommit() as uow:
            uow.connection.execute(_RENEW, {"keys": keys, "until": self._clock() + CHARGE_LEASE})
            uow.commit()

    def claim(self, key: str) -> int | None:
        """Take over the charge under `key` if its lease lapsed: its payment id, or None when
        it is answered, unknown, or still answered for (by this process or a live one)."""
        now = self._clock()
        with self._uow.autocommit() as uow:
            params = {"key": key, "now": now, "until": now + CHARGE_LEASE}
            claimed = uow.connection.execute(_CLAIM, params).scalar_one_or_none()
            uow.commit()
        return claimed

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._renew_every + 1)

    def _run(self) -> None:
        while not self._stop.wait(self._renew_every):
            try:
                self.renew()
            except Exception:  # noqa: BLE001 - a missed renewal is retried; the lease has slack
                log.warning("charge leases not renewed this round", exc_info=True)
