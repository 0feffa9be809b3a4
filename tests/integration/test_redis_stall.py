"""Redis stalled under live calls (SPEC "Limits": faults): a Redis of the test's own is stopped
(SIGSTOP) for 4 s while 10 callers pay; each turn that meets the stall is a busy turn, waited out
and asked for again, so no call reaches the fault line, and what the processor charged, what
the records say and what each caller heard agree."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from app import create_app
from devtools.phone import CallLog, Phone, WsgiTransport
from devtools.phone.events import Paused, Said
from ivr.config import Settings
from payments.gateways.sandbox import SandboxGateway
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.storage.db import make_engine, make_uow_factory, upgrade_database
from tests.e2e.conftest import TOKEN, WEDNESDAY_MORNING, Clock
from tests.e2e.test_card_and_bank_calls import card, signed_in
from tests.oracle import MoneyOracle

pytestmark = pytest.mark.integration

ANA, ANA_DOB = "100000000001", "04171980"  # two plans: health ($45 due) and dental
CALLS = 10
STALL_SECONDS = 4.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def own_redis() -> Iterator[tuple[str, subprocess.Popen]]:
    """A Redis server of this test's own, keeping nothing on disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)
    client.close()
    try:
        yield url, server
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.terminate()
        server.wait(10)


class Caller:
    """A caller in real time (pauses last, speech takes a moment) who answers a question asked
    again after "Sorry for the wait." (its first answer was lost with the stall) once more."""

    def __init__(self, script: list[str]) -> None:
        self._entries, self._next, self._last, self._again = script, 0, "", False

    def on_event(self, event: object) -> None:
        if isinstance(event, Paused):
            time.sleep(event.seconds)
        elif isinstance(event, Said):
            self._again = self._again or event.text == "Sorry for the wait."
            time.sleep(0.03)

    def __iter__(self) -> Caller:
        return self

    def __next__(self) -> str:
        if self._again:
            self._again = False
            return self._last
        if self._next >= len(self._entries):
            raise StopIteration
        self._last, self._next = self._entries[self._next], self._next + 1
        return self._last


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
        script = signed_in(ANA, ANA_DOB) + ["1", "1", "2", f"{index % 4 + 1}*00#", "1"]
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
