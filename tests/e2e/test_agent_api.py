"""The agent console's JSON API through the real app: sessions, calls, verification, members."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ivr.agents.agent_calls import WAITING, CallInfo
from payments.domain.values import Caller
from payments.storage.models import AuditEvent
from tests.e2e.conftest import WEDNESDAY_MORNING

API = "/api/agent/v1"
ANA, LUIS = "100000000001", "100000000002"
PASSWORD = "correct horse battery"
CALL = "CA" + "1" * 32
OTHER_CALL = "CA" + "2" * 32


def call_info(call_sid: str = CALL, **changes) -> CallInfo:
    known = {
        "call_sid": call_sid,
        "caller": "+16175550100",
        "language": "en",
        "channel": "voice",
        "state": WAITING,
        "verified": False,
        "subscriber_id": None,
        "since": WEDNESDAY_MORNING.isoformat(),
    }
    return CallInfo(**(known | changes))


class Console:
    """An agent at the console: a test client on the line, logged in once asked to."""

    def __init__(self, line) -> None:
        self.line = line
        self.client = line.app.test_client()
        self.token = ""
        line.app.extensions["ivr"].core.agents.add_agent("dana", "Dana Reyes", PASSWORD)

    @property
    def directory(self):
        return self.line.app.extensions["ivr"].directory

    def log_in(self, username: str = "dana", password: str = PASSWORD):
        response = self.client.post(
            f"{API}/sessions", json={"username": username, "password": password}
        )
        if response.status_code == 201:
            self.token = response.get_json()["token"]
        return response

    def get(self, path: str, token: str | None = None):
        return self.client.get(API + path, headers=self._auth(token))

    def post(self, path: str, body: object = None, token: str | None = None, **options):
        return self.client.post(API + path, json=body, headers=self._auth(token), **options)

    def verify(self, born: str, subscriber_id: str = ANA, call_sid: str = CALL):
        body = {"subscriber_id": subscriber_id, "date_of_birth": born}
        return self.post(f"/calls/{call_sid}/verification", body)

    def second_check(self, zip_code: str, last: str | None, subscriber_id: str = ANA):
        body = {"subscriber_id": subscriber_id, "zip": zip_code, "last_payment_amount": last}
        return self.post(f"/calls/{CALL}/verification", body)

    def _auth(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token if token is None else token}"}


@pytest.fixture()
def console(make_line) -> Console:
    return Console(make_line())


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body["error"]


def test_logging_in_gives_a_bearer_token_that_opens_the_api(console) -> None:
    response = console.log_in()
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    assert len(console.token) >= 40
    assert console.get("/calls").get_json() == {"calls": []}


def test_a_wrong_password_or_unknown_agent_get_the_same_401(console) -> None:
    wrong, unknown = console.log_in(password="not the password"), console.log_in("nobody")
    assert error_of(wrong, 401) == error_of(unknown, 401)
    assert error_of(wrong, 401)["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "dana", "password": 123456789012}, "password"),
        ({"username": " ", "password": PASSWORD}, "username"),
    ],
)
def test_bad_login_bodies_are_400_naming_the_field(console, body, field) -> None:
    error = error_of(console.client.post(f"{API}/sessions", json=body), 400)
    assert error["code"] == "invalid_request" and error["field"] == field
    assert error["message"].startswith(field)


def test_login_bodies_must_be_json_objects(console) -> None:
    form = console.client.post(f"{API}/sessions", data={"username": "dana"})
    assert error_of(form, 415)["code"] == "unsupported_media_type"
    listed = console.client.post(f"{API}/sessions", json=["dana", PASSWORD])
    assert "JSON object" in error_of(listed, 400)["message"]
    broken = console.client.post(
        f"{API}/sessions", data="{not json", content_type="application/json"
    )
    assert error_of(broken, 400)["code"] == "invalid_request"
    huge = console.client.post(f"{API}/sessions", json={"username": "d" * 20_000})
    assert error_of(huge, 413)["code"] == "request_entity_too_large"


def test_strangers_failing_logins_from_many_addresses_never_lock_out_the_agent(make_line):
    console = Console(make_line(trusted_proxies=1))
    for i in range(6):  # through the proxy, each stranger from an address of their own
        response = console.client.post(
            f"{API}/sessions",
            json={"username": "dana", "password": "not the password"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
        assert error_of(response, 401)["code"] == "invalid_credentials"
    office = {"X-Forwarded-For": "10.0.0.8"}
    right = {"username": "dana", "password": PASSWORD}
    assert console.client.post(f"{API}/sessions", json=right, headers=office).status_code == 201
    engine = console.line.app.extensions["ivr"].db_engine
    with engine.connect() as conn:
        clients = conn.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "agent.login_failed")
        ).all()
    assert {details["client"] for details in clients} == {f"203.0.113.{i}" for i in range(6)}


def test_a_sixth_failed_login_is_429_with_retry_after(console) -> None:
    for _ in range(5):
        error_of(console.log_in(password="not the password"), 401)
    limited = console.log_in()  # the right password now: still refused, unchecked
    assert error_of(limited, 429)["code"] == "rate_limited"
    assert limited.headers["Retry-After"] == str(15 * 60)
    console.line.clock.now += timedelta(minutes=15)
    assert console.log_in().status_code == 201


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer not-a-session", "Basic ZGFuYTpwYXNzd29yZA==", "Bearer a b"],
)
def test_no_or_bad_session_is_401_json(console, header) -> None:
    headers = {} if header is None else {"Authorization": header}
    for response in (
        console.client.get(f"{API}/calls", headers=headers),
        console.client.post(f"{API}/calls/{CALL}/verification", json={}, headers=headers),
        console.client.get(f"{API}/members/{ANA}", headers=headers),
    ):
        assert error_of(response, 401)["code"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_session_idle_for_thirty_minutes_is_401(console) -> None:
    console.log_in()
    console.line.clock.now += timedelta(minutes=29)
    assert console.get("/calls").status_code == 200
    console.line.clock.now += timedelta(minutes=29)
    assert console.get("/calls").status_code == 200  # each request restarts the idle time
    console.line.clock.now += timedelta(minutes=30)
    assert error_of(console.get("/calls"), 401)["code"] == "unauthenticated"


def test_logging_out_ends_the_session(console) -> None:
    console.log_in()
    assert console.client.delete(f"{API}/sessions", headers=console._auth(None)).status_code == 204
    assert error_of(console.get("/calls"), 401)["code"] == "unauthenticated"


def test_calls_lists_what_the_line_knows(console) -> None:
    console.log_in()
    console.directory.enter(call_info())
    later = (WEDNESDAY_MORNING + timedelta(minutes=1)).isoformat()
    console.directory.enter(
        call_info(OTHER_CALL, caller="", language="es", channel="relay", since=later)
    )
    console.directory.verified(OTHER_CALL, LUIS)
    assert console.get("/calls").get_json() == {
        "calls": [
            {
                "call_sid": CALL,
                "from": "+16175550100",
                "language": "en",
                "channel": "voice",
                "state": "waiting",
                "verified": False,
                "subscriber_id": None,
                "capture_id": None,
            },
            {
                "call_sid": OTHER_CALL,
                "from": "",
                "language": "es",
                "channel": "relay",
                "state": "waiting",
                "verified": True,
                "subscriber_id": LUIS,
                "capture_id": None,
            },
        ]
    }


def test_verification_passes_marks_the_call_and_is_audited(console) -> None:
    console.log_in()
    console.directory.enter(call_info())
    response = console.verify("1980-04-17")
    assert response.get_json() == {"result": "ok", "locked_until": None}
    assert console.directory.get(CALL).verified and console.directory.get(CALL).subscriber_id == ANA
    engine = console.line.app.extensions["ivr"].db_engine
    with engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.actor, AuditEvent.details).where(AuditEvent.action == "agent.verify")
        ).all()
    assert [tuple(event) for event in events] == [("dana", {"call_sid": CALL, "result": "ok"})]


def test_a_wrong_date_is_a_mismatch_and_leaves_the_call_unverified(console) -> None:
    console.log_in()
    console.directory.enter(call_info())
    assert console.verify("1980-04-18").get_json() == {"result": "mismatch", "locked_until": None}
    assert not console.directory.get(CALL).verified


def test_strangers_failing_on_the_phone_never_lock_out_the_agent(console) -> None:
    console.log_in()
    console.directory.enter(call_info())
    for i in range(8):  # wrong dates keyed on the phone from many numbers
        console.line.payments.verify(ANA, date(1999, 1, 1), Caller(f"+1617555{i:04d}"))
    assert console.verify("1980-04-17").get_json() == {"result": "ok", "locked_until": None}


def test_the_agents_own_failures_lock_them_out_until_a_second_check(console) -> None:
    console.log_in()
    console.directory.enter(call_info())
    for day in range(1, 5):
        assert console.verify(f"1999-01-0{day}").get_json()["result"] == "mismatch"
    locked = console.verify("1999-02-01").get_json()
    assert locked["result"] == "locked"
    assert locked["locked_until"] == (WEDNESDAY_MORNING + timedelta(days=1)).isoformat()
    assert console.verify("1980-04-17").get_json()["result"] == "locked"  # even the right one
    assert not console.directory.get(CALL).verified
    wrong = console.second_check("02111", None)  # counted apart from the dates of birth
    assert wrong.get_json()["result"] == "mismatch"
    paid = console.line.payments.recent_payments(ANA, 1)
    right = console.second_check("02110", str(paid[0].amount) if paid else None)
    assert right.get_json()["result"] == "ok"
    assert console.verify("1980-04-17").get_json()["result"] == "ok"  # the lock is lifted


def test_a_second_check_verifies_a_locked_member_and_lifts_the_lock(console) -> None:
    console.log_in()
    console.directory.enter(call_info())
    for day in range(1, 6):
        console.line.payments.verify(ANA, date(1999, 1, day), Caller("+16175550100"))
    phone = Caller("+16175550100")
    assert console.line.payments.verify(ANA, date(1980, 4, 17), phone).result.value == "locked"
    paid = console.line.payments.recent_payments(ANA, 1)
    last = str(paid[0].amount) if paid else None
    assert console.second_check("02110", last).get_json() == {"result": "ok", "locked_until": None}
    assert console.directory.get(CALL).verified
    assert console.line.payments.verify(ANA, date(1980, 4, 17), phone).result.value == "ok"
    engine = console.line.app.extensions["ivr"].db_engine
    with engine.connect() as conn:
        events = conn.execute(select(AuditEvent.actor, AuditEvent.action)).all()
    assert ("dana", "verify.second_check") in [tuple(event) for event in events]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"zip": "0211", "last_payment_amount": None}, "zip"),
        ({"zip": "02110"}, "last_payment_amount"),
        ({"zip": "02110", "last_payment_amount": 45}, "last_payment_amount"),
        ({"zip": "02110", "last_payment_amount": "45"}, "last_payment_amount"),
    ],
)
def test_bad_second_checks_are_400_naming_the_field(console, body, field) -> None:
    console.log_in()
    console.directory.enter(call_info())
    response = console.post(f"/calls/{CALL}/verification", {"subscriber_id": ANA, **body})
    assert error_of(response, 400)["field"] == field


def test_only_the_agent_on_the_call_may_verify_it(console) -> None:
    console.line.app.extensions["ivr"].core.agents.add_agent("lee", "Lee Park", PASSWORD)
    console.log_in("lee")
    console.directory.enter(call_info())
    assert console.verify("1999-01-01").get_json()["result"] == "mismatch"  # Lee takes the call
    console.log_in()
    error = error_of(console.verify("1980-04-17"), 409)
    assert error["code"] == "another_agent"
    assert not console.directory.get(CALL).verified


def test_a_verified_call_cannot_be_verified_as_another_member(console) -> None:
    console.log_in()
    console.directory.enter(call_info(verified=True, subscriber_id=LUIS))
    error = error_of(console.verify("1980-04-17", subscriber_id=ANA), 409)
    assert error["code"] == "already_verified"
    assert console.directory.get(CALL).subscriber_id == LUIS


def test_verification_of_an_unknown_call_is_404(console) -> None:
    console.log_in()
    error = error_of(console.verify("1980-04-17", call_sid="CA" + "9" * 32), 404)
    assert error["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date_of_birth": "1980-04-17"}, "subscriber_id"),
        ({"subscriber_id": "12345", "date_of_birth": "1980-04-17"}, "subscriber_id"),
        ({"subscriber_id": ANA}, "date_of_birth"),
        ({"subscriber_id": ANA, "date_of_birth": "04/17/1980"}, "date_of_birth"),
        ({"subscriber_id": ANA, "date_of_birth": "1980-02-30"}, "date_of_birth"),
        ({"subscriber_id": ANA, "date_of_birth": 19800417}, "date_of_birth"),
    ],
)
def test_bad_verification_bodies_are_400_naming_the_field(console, body, field) -> None:
    console.log_in()
    console.directory.enter(call_info())
    error = error_of(console.post(f"/calls/{CALL}/verification", body), 400)
    assert error["field"] == field and field in error["message"]
    assert not console.directory.get(CALL).verified


def test_verification_ignores_unknown_fields(console) -> None:
    console.log_in()
    console.directory.enter(call_info())
    body = {"subscriber_id": ANA, "date_of_birth": "1980-04-17", "note": "called back"}
    assert console.post(f"/calls/{CALL}/verification", body).get_json()["result"] == "ok"


def test_members_are_403_until_verified_then_shown_without_birth_date(console) -> None:
    console.log_in()
    console.directory.enter(call_info())
    before, unknown = console.get(f"/members/{ANA}"), console.get("/members/999999999999")
    assert error_of(before, 403) == error_of(unknown, 403)  # a guess learns nothing
    assert error_of(before, 403)["code"] == "not_verified"
    console.verify("1980-04-17")
    shown = console.get(f"/members/{ANA}")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    member = shown.get_json()
    assert member["subscriber_id"] == ANA and member["last_name"] == "Silva"
    assert not {"date_of_birth", "zip", "payments"} & set(member)
    assert "1980-04-17" not in shown.get_data(as_text=True)
    plans = {plan["plan_id"]: plan for plan in member["plans"]}
    assert plans["H-100000000001"]["balance"] == "45.00" and "D-100000000001" in plans
    assert member["recent_payments"] == []
    console.directory.ended(CALL)
    assert error_of(console.get(f"/members/{ANA}"), 403)["code"] == "not_verified"


def test_a_caller_verified_on_the_phone_is_shown_and_lookups_audited(console) -> None:
    console.log_in()
    console.directory.enter(call_info(verified=True, subscriber_id=ANA))
    assert console.get(f"/members/{ANA}").get_json()["first_name"] == "Ana"
    assert error_of(console.get(f"/members/{LUIS}"), 403)["code"] == "not_verified"
    engine = console.line.app.extensions["ivr"].db_engine
    with engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.actor, AuditEvent.subject, AuditEvent.details)
            .where(AuditEvent.action == "agent.lookup")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(event) for event in events] == [
        ("dana", ANA, {"call_sid": CALL, "outcome": "shown"}),
        ("dana", LUIS, {"outcome": "not_verified"}),
    ]


def test_a_malformed_subscriber_id_is_400(console) -> None:
    console.log_in()
    assert error_of(console.get("/members/12345"), 400)["field"] == "subscriber_id"
