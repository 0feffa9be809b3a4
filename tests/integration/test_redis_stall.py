"""Redis stalled under live calls (SPEC "Limits": faults): a Redis of the test's own is stopped
(SIGSTOP) for 4 s while 10 callers pay; each turn that meets the stall is a busy turn, waited out
and asked for again, so no call reaches the fault line, and what the processor charged, what
the records say and what each caller heard agree."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from app import create_app
from devtools.phone import CallLog, Phone, WsgiTransport
from ivr.config import Settings
from payments.gateways.sandbox import SandboxGateway
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.storage.db import make_engine, make_uow_factory, upgrade_database
from tests.e2e.conftest import TOKEN, WEDNESDAY_MORNING, Clock
from tests.e2e.test_card_and_bank_calls import card, signed_in
from tests.integration.conftest import Caller
from tests.oracle import MoneyOracle

pytestmark = pytest.mark.integration

ANA, ANA_DOB = "100000000001", "04171980"  # two plans: health ($45 due) and dental
CALLS = 10
STALL_SECONDS = 4.0


def test_a_four_second_redis_stall_among_ten_calls_ends_none(
    fresh_postgres_url: str, own_redis
) -> None:
    url, server = own_redis
    upgrade_database(fresh_postgres_url)
    engine = make_engine(fresh_postgres_url)
    import_accounts(make_uow_factory(engine), demo_accounts(WEDNESDAY_MORNING.date()))
    config = Settings(
        twilio_auth_token=TOKEN,
        database_url=fresh_postgres_url,
        redis_url=url,
        log_level="WARNING",
    )
    app = create_app(config, clock=Clock(WEDNESDAY_MORNING), gateway=SandboxGateway(engine))
    logs: list[CallLog] = []

    def caller(index: int) -> None:
        # Ana's health plan, another amount ($1 to $4: together less than the $45 due), by card
        script = signed_in(ANA, ANA_DOB) + ["1", "1", "3", f"{index % 4 + 1}*00#"]
        script += card() + ["1", "3", "hangup"]
        phone = Phone(WsgiTransport(app.test_client()), TOKEN, from_number=f"+1617555{index:04d}")
        answers = Caller(script)
        logs.append(phone.call(answers, on_event=answers.on_event))

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(CALLS)]
    try:
        for thread in threads:
            thread.start()
            time.sleep(0.15)
        time.sleep(0.5)
        os.kill(server.pid, signal.SIGSTOP)  # Redis stops answering, connections stay open
        time.sleep(STALL_SECONDS)
        os.kill(server.pid, signal.SIGCONT)
        for thread in threads:
            thread.join(120)
    finally:
        os.kill(server.pid, signal.SIGCONT)
        app.extensions["ivr"].core.close()
    assert len(logs) == CALLS
    retried = sum("retry=" in sent.url for log in logs for sent in log.sent)
    assert retried > 0, "the stall met no turn: the test proved nothing"
    oracle = MoneyOracle(engine)
    for log in logs:
        assert not log.errors, log.errors
        assert "our system is having a problem" not in log.spoken
        assert "Approved. Your confirmation number is" in log.spoken, log.spoken
        oracle.check_call(log.call_sid, log.spoken)
    oracle.check_books()
    engine.dispose()
