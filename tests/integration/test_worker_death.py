"""Every web worker killed with charges in flight (SPEC "Limits": faults): the real server
(`ivr serve`, gunicorn, 2 workers) on PostgreSQL and a Redis of the test's own; 6 callers confirm
slow card payments and hold; every worker is SIGKILLed; gunicorn starts new ones, which take the
charges over when their leases lapse, and each holding caller hears the result in the call."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from bench.servers import Server, free_port, real_command, start, stop, wait_until_answering
from devtools.phone import CallLog, HttpTransport, Phone
from payments.gateways.sandbox import SLOW_CARD
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.storage.db import make_engine, make_uow_factory, upgrade_database
from tests.e2e.test_card_and_bank_calls import card, signed_in
from tests.integration.conftest import Caller
from tests.oracle import MoneyOracle

pytestmark = pytest.mark.integration

TOKEN = "worker-death-test-token"
ANA, ANA_DOB = "100000000001", "04171980"
CALLERS = 6
HOLDING = "Your payment is being processed. Please hold."


def workers_of(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


@dataclass
class RealLine:
    server: Server
    engine: Engine
    redis_url: str


@pytest.fixture()
def real_line(fresh_postgres_url: str, own_redis, tmp_path: Path) -> Iterator[RealLine]:
    """`ivr serve` (2 workers) on a PostgreSQL database of its own holding the demo members,
    and a Redis of its own; answering, then stopped (SIGTERM) at the end."""
    redis_url, _ = own_redis
    upgrade_database(fresh_postgres_url)
    engine = make_engine(fresh_postgres_url)
    import_accounts(make_uow_factory(engine), demo_accounts(date.today()))
    port = free_port()
    env = {
        "DATABASE_URL": fresh_postgres_url,
        "REDIS_URL": redis_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "BANK_DATA_KEY": Fernet.generate_key().decode(),
        "AGENT_HOURS": "always",
        "LOG_LEVEL": "WARNING",
    }
    server = start("ivr", real_command(port), port, env, tmp_path)
    try:
        wait_until_answering(server, "/healthz", need_ok=True)
        yield RealLine(server, engine, redis_url)
    finally:
        stop(server)
        engine.dispose()


def test_killing_every_web_worker_mid_charge_leaves_no_caller_unheard(real_line) -> None:
    server, engine = real_line.server, real_line.engine
    logs: list[CallLog] = []
    holding = threading.Semaphore(0)
    try:

        def caller(index: int) -> None:
            script = signed_in(ANA, ANA_DOB) + ["1", "1", "3", f"{index + 1}*00#"]
            script += card(SLOW_CARD) + ["1", "3", "hangup"]
            answers = Caller(script)

            def on_event(event: object) -> None:
                if getattr(event, "text", "") == HOLDING:
                    holding.release()
                answers.on_event(event)

            phone = Phone(HttpTransport(server.base_url), TOKEN, from_number=f"+1617555{index:04d}")
            logs.append(phone.call(answers, on_event=on_event))

        threads = [threading.Thread(target=caller, args=(i,)) for i in range(CALLERS)]
        for thread in threads:
            thread.start()
        for _ in range(CALLERS):
            assert holding.acquire(timeout=60), "a caller never reached the hold"
        killed = workers_of(server.pid)
        assert len(killed) == 2
        for pid in killed:
            os.kill(pid, signal.SIGKILL)  # the charges' threads die with them
        for thread in threads:
            thread.join(120)
    finally:
        stop(server)
    taken_over = server.log_path.read_text().count("stopped answering for it; taken over")
    assert taken_over == CALLERS, server.log_tail()  # each charge finished by a new worker
    assert len(logs) == CALLERS
    oracle = MoneyOracle(engine)
    for log in logs:
        assert not log.errors, log.errors
        assert "Approved. Your confirmation number is" in log.spoken, log.spoken
        oracle.check_call(log.call_sid, log.spoken)
    payments = oracle.payments().values()
    assert sorted(p.status for p in payments) == ["approved"] * CALLERS  # nothing left pending
    oracle.check_books()


def test_redis_emptied_while_a_caller_holds_tells_the_payment_then_its_result(
    real_line,
) -> None:
    """Redis restarted empty (FLUSHALL) while the caller holds for a 20 s charge: the next
    webhook reads the call's payments by CallSid first ("still being processed"), and the
    result is told later in the same call; never "Nothing is due" while it is pending."""
    import redis

    server = real_line.server
    store = redis.Redis.from_url(real_line.redis_url)
    told = "is still being processed. We will tell you its result in this call."
    try:
        script = signed_in(ANA, ANA_DOB) + ["1", "1"] + card(SLOW_CARD) + ["1"]
        answers = Caller(script + signed_in(ANA, ANA_DOB) + ["3", "hangup"])

        def on_event(event: object) -> None:
            text = getattr(event, "text", "")
            if text == HOLDING:
                store.flushall()  # every call's state gone, as after a restart
            if text.endswith(told):
                time.sleep(22)  # the caller listens on while the processor takes its 20 s
            answers.on_event(event)

        phone = Phone(HttpTransport(server.base_url), TOKEN, from_number="+16175550042")
        log = phone.call(answers, on_event=on_event)
    finally:
        stop(server)
        store.close()
    spoken = log.spoken
    assert not log.errors, log.errors
    first = spoken.index(told)
    assert first < spoken.index("Sorry, your session timed out")
    news = "An update: your payment of forty-five dollars to your health plan has been approved."
    assert first < spoken.index(news)
    assert "Nothing is due" not in spoken[: spoken.index(news)]
    oracle = MoneyOracle(real_line.engine)
    oracle.check_call(log.call_sid, spoken)
    oracle.check_books()
