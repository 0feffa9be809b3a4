"""Whole calls on the production parts: PostgreSQL, Redis, two app instances (as two workers)."""

from __future__ import annotations

import threading

import pytest
from redis import Redis

from app import create_app
from devtools.phone import Phone, WsgiTransport
from ivr.config import Settings
from ivr.engine.callstate import ENDED
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.storage.db import make_engine, make_uow_factory, upgrade_database
from tests.conftest import TEST_REDIS_URL
from tests.e2e.conftest import TOKEN, WEDNESDAY_MORNING, Clock
from tests.e2e.test_card_and_bank_calls import ANA, ANA_DOB, LUIS, LUIS_DOB, card, signed_in

pytestmark = pytest.mark.integration
CARD_CALL = signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1", "3"]


@pytest.fixture()
def workers(fresh_postgres_url: str, redis_client: Redis):
    upgrade_database(fresh_postgres_url)
    engine = make_engine(fresh_postgres_url)
    import_accounts(make_uow_factory(engine), demo_accounts(WEDNESDAY_MORNING.date()))
    engine.dispose()
    settings = Settings(
        twilio_auth_token=TOKEN,
        database_url=fresh_postgres_url,
        redis_url=TEST_REDIS_URL,
        log_level="WARNING",
    )
    apps = [create_app(settings, clock=Clock(WEDNESDAY_MORNING)) for _ in range(2)]
    yield apps
    for app in apps:
        app.extensions["ivr"].db_engine.dispose()


class Alternating:
    """Sends each request to the next worker, as a load balancer would."""

    base_url = "http://localhost"

    def __init__(self, apps) -> None:
        self.transports = [WsgiTransport(app.test_client()) for app in apps]
        self.count = 0

    def request(self, method, path, params, headers):
        self.count += 1
        return self.transports[self.count % 2].request(method, path, params, headers)


def test_a_card_payment_across_two_workers_sharing_redis(workers, redis_client: Redis) -> None:
    log = Phone(Alternating(workers), TOKEN, from_number="+16175559999").call(CARD_CALL)
    assert not log.errors
    assert "Approved. Your confirmation number is" in log.spoken
    payments = workers[0].extensions["ivr"].payments.recent_payments("100000000001")
    assert [(p.status.value, p.last4) for p in payments] == [("approved", "4242")]
    # The status callback erased the secrets and left the call's tombstone, nothing else.
    (key,) = redis_client.keys("*")
    assert key.startswith(b"call:") and redis_client.get(key) == ENDED


def test_two_calls_paying_the_same_plan_at_once_charge_it_once(workers) -> None:
    """Luis has one plan: whichever call confirms second finds nothing left to pay."""
    luis = signed_in(LUIS, LUIS_DOB) + ["1"] + card() + ["1", "3"]
    logs = []

    def call(app) -> None:
        logs.append(
            Phone(WsgiTransport(app.test_client()), TOKEN, from_number="+16175559999").call(luis)
        )

    threads = [threading.Thread(target=call, args=(app,)) for app in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    approved = [log for log in logs if "Approved. Your confirmation number is" in log.spoken]
    assert len(logs) == 2 and len(approved) == 1
    loser = next(log for log in logs if log not in approved)
    assert "this payment was not made.\nYou have not been charged for this payment." in loser.spoken
