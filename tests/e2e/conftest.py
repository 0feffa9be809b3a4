"""End-to-end calls: the real app (SQLite, in-process call state, sandbox gateway) and demo
members, driven by the terminal phone through signed requests."""

from __future__ import annotations

import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from app import create_app
from devtools.phone import CallLog, Phone, WsgiTransport
from ivr.config import Settings
from ivr.engine.kvstores import MemoryKeyValue
from payments.domain.values import ATTESTED
from payments.gateways.sandbox import SandboxGateway
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.storage.db import make_engine, make_session_factory, upgrade_database
from payments.storage.unit_of_work import uow_factory_for
from webhooks.budget import Budget

EASTERN = ZoneInfo("America/New_York")
TOKEN = "e2e-test-auth-token"
RELAY_NUMBER = "+18776236766"
STRANGER = "+16175559999"  # a caller whose number matches no member
# Wednesday 18 November 2026, 10:00 in Boston: business hours, before the 23rd.
WEDNESDAY_MORNING = datetime(2026, 11, 18, 10, 0, tzinfo=EASTERN)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once and loaded with the demo members; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "ivr.sqlite3"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    engine = make_engine(url)
    import_accounts(
        uow_factory_for(make_session_factory(engine)), demo_accounts(WEDNESDAY_MORNING.date())
    )
    engine.dispose()
    return path


@dataclass
class Line:
    app: Flask
    clock: Clock
    kv: MemoryKeyValue
    database: Path

    def call(
        self,
        script: list[str],
        *,
        caller: str = STRANGER,
        to: str = "+18776236765",
        answer_delay: float = 0.0,
        on_event: Callable[[object], None] | None = None,
        attested: bool = False,
    ) -> CallLog:
        """`attested`: Twilio reports the caller ID fully attested (StirVerstat)."""
        phone = Phone(
            WsgiTransport(self.app.test_client()),
            TOKEN,
            from_number=caller,
            to_number=to,
            answer_delay=answer_delay,
            stir_verstat=ATTESTED if attested else None,
        )
        log = phone.call(script, on_event)
        assert not log.errors, log.errors  # Twilio would say "application error"
        return log

    @property
    def payments(self):
        return self.app.extensions["ivr"].payments

    @property
    def processor(self) -> SandboxGateway:
        """The sandbox processor's own ledger, as an operator would read it."""
        return SandboxGateway(make_engine(f"sqlite:///{self.database}"))

    def statuses(self, subscriber_id: str) -> list[str]:
        """Every payment attempt on file, newest first, declined and failed included."""
        from payments.operations.admin import account_as_json

        engine = self.app.extensions["ivr"].db_engine
        shown = account_as_json(uow_factory_for(make_session_factory(engine)), subscriber_id)
        assert shown is not None
        return [payment["status"] for payment in shown["payments"]]


@pytest.fixture()
def make_line(demo_database: Path, tmp_path: Path) -> Iterator[Callable[..., Line]]:
    built: list[Line] = []

    def build(
        now: datetime = WEDNESDAY_MORNING,
        *,
        slow_seconds: float | None = None,
        sleep: Callable[[float], None] | None = None,
        gateway: Callable[[SandboxGateway], object] | None = None,
        budget: Budget | None = None,
        **settings: object,
    ) -> Line:
        """A line on a copy of the demo database. `slow_seconds`: the sandbox's slow card
        answers after that long (`sleep` waits it out); `gateway`: wraps the sandbox (fault
        injection)."""
        database = tmp_path / f"ivr-{len(list(tmp_path.iterdir()))}.sqlite3"
        shutil.copy(demo_database, database)
        clock, kv = Clock(now), MemoryKeyValue()
        config = Settings(
            twilio_auth_token=TOKEN,
            database_url=f"sqlite:///{database}",
            relay_numbers=frozenset({RELAY_NUMBER}),
            **settings,  # type: ignore[arg-type]
        )
        slow = {"slow_seconds": slow_seconds or 20.0, **({"sleep": sleep} if sleep else {})}
        sandbox = SandboxGateway(make_engine(config.database_url), **slow)
        chosen = gateway(sandbox) if gateway else sandbox
        app = create_app(config, clock=clock, kv=kv, gateway=chosen, budget=budget)
        built.append(Line(app, clock, kv, database))
        return built[-1]

    yield build
    for line in built:
        line.app.extensions["ivr"].core.close()


@pytest.fixture()
def line(make_line: Callable[..., Line]) -> Line:
    return make_line()


def signed_post(line: Line, path: str, params: dict[str, str], token: str = TOKEN):
    """POST as Twilio would, signature and all; returns the Flask response."""
    from twilio.request_validator import RequestValidator

    url = f"http://localhost{path}"
    signature = RequestValidator(token).compute_signature(url, params)
    return line.app.test_client().post(path, data=params, headers={"X-Twilio-Signature": signature})


def twiml(response) -> ET.Element:
    assert response.status_code == 200, response.status_code
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return root


def spoken(root: ET.Element) -> str:
    return "\n".join(say.text or "" for say in root.iter("Say"))


def hold_for_real(seconds: float = 0.2) -> Callable[[object], None]:
    """An `on_event` for the terminal phone: each hold prompt takes `seconds` of real time, as
    Twilio's pause would (the phone's own time is simulated), so a real slow processor is
    given the time a caller on hold gives it."""

    def on_event(event: object) -> None:
        if getattr(event, "text", "").endswith("Please hold."):
            time.sleep(seconds)

    return on_event


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether `condition()` became true within `timeout` seconds (checked every 10 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
