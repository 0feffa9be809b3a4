"""Fault injection at each point of the payment path, on PostgreSQL and Redis.

Each test breaks one thing during a card payment, lets the call end, "restarts" (a fresh app on
the same database and Redis) and reconciles as an operator's schedule would, then holds the
books and the call's words to the money oracle: what the processor kept, what the database
recorded and what the caller heard agree.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from devtools.phone import CallLog, Phone, WsgiTransport
from ivr.config import Settings
from ivr.engine.callstate import StoreUnavailable
from payments.gateways.sandbox import SandboxGateway
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.operations.reconcile import reconcile_payments
from payments.services import charger as charger_module
from payments.services import service as service_module
from payments.services.submission import Reserver
from payments.storage.db import make_engine, make_uow_factory, upgrade_database
from tests.conftest import TEST_REDIS_URL
from tests.doubles import FlakyGateway
from tests.e2e.conftest import TOKEN, WEDNESDAY_MORNING, Clock, hold_for_real
from tests.e2e.test_card_and_bank_calls import ANA, ANA_DOB, card, signed_in
from tests.oracle import MoneyOracle

pytestmark = pytest.mark.integration
PAY = signed_in(ANA, ANA_DOB) + ["1", "1"]  # Ana's health plan (its amount just heard: in full)
CONFIRMED = PAY + card() + ["1", "3"]


@dataclass
class Line:
    url: str
    app: Flask
    oracle: MoneyOracle

    def call(self, script: list[str]) -> CallLog:
        phone = Phone(WsgiTransport(self.app.test_client()), TOKEN, from_number="+16175559999")
        log = phone.call(script, on_event=hold_for_real())
        assert not log.errors, log.errors  # never Twilio's "application error"
        return log

    def restart_and_reconcile(self) -> None:
        """The server comes back; the operator's reconciliation runs (nothing is in flight)."""
        self.app.extensions["ivr"].core.close()
        engine = make_engine(self.url)
        report = reconcile_payments(
            make_uow_factory(engine), SandboxGateway(engine), stale_after=timedelta(0)
        )
        engine.dispose()
        assert report.still_unknown == 0


@pytest.fixture()
def make_line(fresh_postgres_url: str, redis_client: Redis) -> Iterator[Callable[..., Line]]:
    upgrade_database(fresh_postgres_url)
    engine = make_engine(fresh_postgres_url)
    import_accounts(make_uow_factory(engine), demo_accounts(WEDNESDAY_MORNING.date()))
    lines: list[Line] = []

    def build(wrap: Callable[[SandboxGateway], object] | None = None, **settings) -> Line:
        config = Settings(
            twilio_auth_token=TOKEN,
            database_url=fresh_postgres_url,
            redis_url=TEST_REDIS_URL,
            log_level="WARNING",
            **settings,
        )
        sandbox = SandboxGateway(engine, slow_seconds=0.5)
        gateway = wrap(sandbox) if wrap else sandbox
        app = create_app(config, clock=Clock(WEDNESDAY_MORNING), gateway=gateway)
        lines.append(Line(fresh_postgres_url, app, MoneyOracle(engine)))
        return lines[-1]

    yield build
    for line in lines:
        line.app.extensions["ivr"].core.close()
    engine.dispose()


def settle_and_check(line: Line, log: CallLog) -> None:
    line.restart_and_reconcile()
    line.oracle.check_books()
    line.oracle.check_call(log.call_sid, log.spoken)


def test_database_lost_before_reserving(make_line, monkeypatch) -> None:
    line = make_line()

    def lost(self, request):
        raise OperationalError("SELECT … FOR UPDATE", {}, Exception("server closed"))

    monkeypatch.setattr(Reserver, "reserve", lost)
    log = line.call(CONFIRMED)
    assert "The payment you just confirmed was not made." in log.spoken
    settle_and_check(line, log)
    assert line.oracle.payments() == {}


def test_failure_after_reserving_before_the_charge_is_handed_over(make_line, monkeypatch) -> None:
    line = make_line()

    def crashes(self, key, job):
        raise RuntimeError("worker pool gone")

    monkeypatch.setattr(charger_module.Charger, "start", crashes)
    log = line.call(CONFIRMED)
    assert "The payment you just confirmed was not made." in log.spoken
    settle_and_check(line, log)
    (payment,) = line.oracle.payments().values()
    assert payment.status == "failed"  # reserved, never sent: reconciliation closes it


@pytest.mark.parametrize(
    ("charges", "lookups"),
    [
        (["lose_reply"], []),  # charged, reply lost: the lookup finds it
        (["drop"], ["down"]),  # never arrived, lookup down: the retry charges once
        (["lose_reply", "lose_reply"], ["down"]),  # charged, told "not charged": reversed
        (["drop", "drop"], ["down"]),  # nothing charged, nothing known
    ],
)
def test_processor_timeouts(make_line, charges, lookups) -> None:
    line = make_line(wrap=lambda sandbox: FlakyGateway(sandbox, charges, lookups))
    log = line.call(CONFIRMED)
    settle_and_check(line, log)


def test_a_slow_processor(make_line) -> None:
    line = make_line(processor_wait=0.1)
    log = line.call(PAY + card("4000000000001018") + ["1", "3"])
    assert "Please hold." in log.spoken and "Approved. Your confirmation number is" in log.spoken
    settle_and_check(line, log)


def test_database_lost_after_the_charge_before_the_record(make_line, monkeypatch) -> None:
    line = make_line()

    def lost(self, payment_id, result, actor=None):
        raise OperationalError("UPDATE payments", {}, Exception("server closed"))

    monkeypatch.setattr(Reserver, "record", lost)
    monkeypatch.setattr(service_module, "RECORD_RETRY_DELAYS", ())
    log = line.call(CONFIRMED)
    assert "Approved. Your confirmation number is" in log.spoken  # the processor's answer, told
    assert [p.status for p in line.oracle.payments().values()] == ["pending"]
    monkeypatch.undo()
    settle_and_check(line, log)


def test_redis_lost_at_the_save_after_the_charge(make_line) -> None:
    line = make_line()
    kv = line.app.extensions["ivr"].store.kv
    real_commit = kv.commit

    def lost(call_sid, held, state: bytes, secret):
        if b'"payment_result"' in state:
            raise StoreUnavailable("redis: ConnectionError")
        return real_commit(call_sid, held, state, secret)

    kv.commit = lost
    log = line.call(CONFIRMED)
    assert "Approved. Your confirmation number is" in log.spoken
    assert "our system is having a problem" in log.spoken
    settle_and_check(line, log)


def test_database_hanging_on_a_lock(make_line) -> None:
    """Another transaction holds Ana's plan row: the reservation gives up at the lock timeout
    and the caller is told the truth, rather than the webhook hanging."""
    line = make_line()
    holder = make_engine(line.url, timeouts=False)
    with holder.connect() as conn:
        conn.execute(text("SELECT id FROM plans WHERE plan_id = 'H-100000000001' FOR UPDATE"))
        log = line.call(CONFIRMED)
        conn.rollback()
    holder.dispose()
    assert "The payment you just confirmed was not made." in log.spoken
    settle_and_check(line, log)


@pytest.fixture()
def black_hole() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for sock in accepted:
        sock.close()
    listener.close()


@pytest.mark.parametrize("hung", ["database", "redis"])
def test_a_hung_server_gets_the_caller_help_not_silence(black_hole: int, hung: str) -> None:
    address = f"127.0.0.1:{black_hole}"
    config = Settings(
        twilio_auth_token=TOKEN,
        database_url=(
            f"postgresql+psycopg://postgres@{address}/test"
            if hung == "database"
            else "sqlite:///:memory:"
        ),
        redis_url=f"redis://{address}/0" if hung == "redis" else None,
        log_level="CRITICAL",
    )
    app = create_app(config, clock=Clock(WEDNESDAY_MORNING))
    phone = Phone(WsgiTransport(app.test_client()), TOKEN, from_number="+16175559999")
    log = phone.call(["1", "100000000001#"])  # the Subscriber ID's turn reads the database
    # Only the status callback may fail (Twilio ignores its answer; the TTLs erase the call).
    assert all("status callback" in error.message for error in log.errors)
    assert "our system is having a problem" in log.spoken
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json()[hung].startswith("error")
    app.extensions["ivr"].core.close()
