"""An agent enrols the caller in AutoPay on a live call: the agent picks the plan and the day,
the caller keys the bank account in the AutoPay steps of the self-service menu and accepts the
recurring authorization heard in full; the enrolment and its authorization are recorded with
the agent's channel and username, and the agent's screen shows each field and the reference,
never the account number."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from payments.storage.tables import AUDIT_EVENTS, ENROLMENTS, PLANS, RECURRING_AUTHORIZATIONS
from tests.e2e.conftest import Line, spoken
from tests.e2e.test_agent_capture_api import agent_line, connected, follow_the_move, token
from tests.e2e.test_agent_capture_calls import SID, Caller, both_in_the_conference
from tests.e2e.test_autopay_calls import rows
from tests.e2e.test_card_and_bank_calls import ANA, ANA_DOB

PLAN = "H-100000000001"
ROUTING, ACCOUNT = "011000015", "000123456789"
CHECKING, MAIL, ACCEPT = "1", "2", "1"
SMS_FROM = "+18775550123"  # texts are on: the caller is asked how the written copy goes


@pytest.fixture()
def line(make_line) -> Line:
    return agent_line(make_line, sms_from=SMS_FROM)


def start(line: Line, headers: dict[str, str], **body):
    body = {"purpose": "autopay", "plan_id": PLAN, "day": 23, **body}
    return line.app.test_client().post(
        f"/api/agent/v1/calls/{SID}/captures", json=body, headers=headers
    )


def shown(line: Line, headers: dict[str, str], capture_id: str) -> dict:
    answer = line.app.test_client().get(f"/api/agent/v1/captures/{capture_id}", headers=headers)
    assert answer.status_code == 200
    return answer.get_json()


def started(line: Line, caller: Caller, headers: dict[str, str]) -> tuple[str, str]:
    """The agent starts the enrolment and Twilio fetches the capture URL: what the caller heard."""
    answer = start(line, headers)
    assert answer.status_code == 201, answer.get_json()
    follow_the_move(line, caller)
    return answer.get_json()["capture_id"], spoken(caller.root)


def enrolments_of(line: Line, plan_id: str) -> list[dict]:
    with line.app.extensions["ivr"].core.engine.connect() as conn:
        query = select(ENROLMENTS).join(PLANS, PLANS.c.id == ENROLMENTS.c.plan_id)
        return [dict(r) for r in conn.execute(query.where(PLANS.c.plan_id == plan_id)).mappings()]


def terminate(line: Line, plan_id: str) -> None:
    """The plan's coverage ends (as the Connector's import would record it)."""
    with line.app.extensions["ivr"].core.engine.begin() as conn:
        conn.execute(update(PLANS).where(PLANS.c.plan_id == plan_id).values(status="terminated"))


def states(capture: dict) -> dict[str, str]:
    return {field["name"]: field["state"] for field in capture["fields"]}


def test_the_agent_enrols_the_caller_who_keys_the_account_and_accepts(line: Line) -> None:
    caller = connected(line)
    headers = token(line)
    capture_id, heard = started(line, caller, headers)
    assert "Your representative asked us to set up AutoPay with your bank account." in heard
    assert "checking" in heard  # the account type question, first
    first = shown(line, headers, capture_id)
    assert (first["purpose"], first["day"], first["state"]) == ("autopay", 23, "capturing")
    assert list(states(first)) == ["account_type", "routing", "account", "account_again",
                                   "authorization"]  # fmt: skip
    assert states(first)["account_type"] == "entering"

    seen = []
    for keys in (CHECKING, ROUTING, ACCOUNT, ACCOUNT):
        heard += "\n" + spoken(caller.press(keys))
        seen.append(shown(line, headers, capture_id))
    assert states(seen[1])["account"] == "entering"
    assert states(seen[2])["account_again"] == "entering"
    account = next(f for f in seen[3]["fields"] if f["name"] == "account")
    assert account == {"name": "account", "state": "done", "display": "checking ending 6789"}
    assert "text message to the number ending in" in heard  # the written copy: text or mail
    heard += "\n" + spoken(caller.press(MAIL))
    assert "each month on the twenty-third" in heard and "mailed to you" in heard
    assert "To go back to your representative without setting it up, press 2." in heard
    seen.append(shown(line, headers, capture_id))
    assert states(seen[-1])["authorization"] == "entering"

    end = caller.press(ACCEPT)
    said = spoken(end)
    assert "AutoPay is set up for your health plan. Your reference number is" in said
    assert said.endswith("Now back to your representative.")
    assert end.find("Dial/Conference").text == f"call-{SID}"
    done = shown(line, headers, capture_id)
    assert done["state"] == "enrolled" and set(states(done).values()) == {"done"}
    assert done["enrolment"]["written_copy"] == "letter"

    (enrolment,) = enrolments_of(line, PLAN)
    assert done["reference"] == enrolment["reference"]
    assert (enrolment["cancelled"], enrolment["stopped"]) == (False, None)  # active
    assert (enrolment["day"], enrolment["last4"]) == (23, "6789")
    assert (enrolment["account_type"], enrolment["source"]) == ("checking", "agent")
    (authorization,) = rows(line, RECURRING_AUTHORIZATIONS)
    assert authorization["enrolment_id"] == enrolment["id"]
    assert (authorization["channel"], authorization["agent_id"]) == ("agent", "agent.smith")
    assert (authorization["call_sid"], authorization["accepting_key"]) == (SID, "1")
    assert "each month on the twenty-third" in authorization["text"]
    audited = [e for e in rows(line, AUDIT_EVENTS) if e["action"] == "autopay.enrolled"]
    assert [e["actor"] for e in audited] == ["system", "agent.smith"]  # Rosa's import, then this

    # What the agent saw, at every turn, and every record kept: never the account number.
    assert all(ACCOUNT not in json.dumps(capture) for capture in [first, *seen, done])
    stored = b"".join(value for _, value in line.kv._data.values())
    assert ACCOUNT.encode() not in stored
    assert ACCOUNT not in str(rows(line, ENROLMENTS))  # sealed at rest


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"day": 20}, "day"),
        ({"day": "23"}, "day"),
        ({"day": None}, "day"),
        ({"method": "card"}, "method"),
        ({"amount": "45.00"}, "amount"),
        ({"plan_id": "H-100000000002"}, "plan_id"),
        ({"purpose": "refund"}, "purpose"),
    ],
)
def test_bad_autopay_choices_are_refused_naming_the_field(line: Line, body, field) -> None:
    connected(line)
    answer = start(line, token(line), **body)
    error = answer.get_json()["error"]
    assert answer.status_code == 400 and error["field"] == field and error["message"]
    assert line.app.extensions["ivr"].twilio.moves == []  # the caller was not moved


def test_day_20_says_which_days_there_are(line: Line) -> None:
    connected(line)
    answer = start(line, token(line), day=20)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["message"] == "day must be 15 or 23 (the day of each month)"


def test_a_plan_whose_coverage_ended_cannot_start_autopay(line: Line) -> None:
    terminate(line, PLAN)
    connected(line)
    answer = start(line, token(line))
    error = answer.get_json()["error"]
    assert answer.status_code == 400 and (error["code"], error["field"]) == (
        "plan_terminated",
        "plan_id",
    )
    assert line.app.extensions["ivr"].twilio.moves == []


def test_autopay_needs_bank_accounts_enabled(make_line) -> None:
    line = agent_line(make_line, bank_enabled=False)
    connected(line)
    answer = start(line, token(line))
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bank_disabled"


def test_the_agent_cancels_mid_way_and_nothing_is_enrolled(line: Line) -> None:
    caller = connected(line)
    headers = token(line)
    capture_id, _ = started(line, caller, headers)
    caller.press(CHECKING, ROUTING, ACCOUNT)
    client = line.app.test_client()
    stop = client.post(f"/api/agent/v1/captures/{capture_id}/cancel", headers=headers)
    assert stop.status_code == 200
    follow_the_move(line, caller)
    said = spoken(caller.root)
    assert "Your representative stopped setting up AutoPay. Nothing was changed." in said
    assert said.endswith("Now back to your representative.")
    assert caller.root.find("Dial/Conference") is not None
    assert shown(line, headers, capture_id)["state"] == "cancelled"
    assert enrolments_of(line, PLAN) == [] and rows(line, RECURRING_AUTHORIZATIONS) == []


def test_the_caller_who_does_not_accept_goes_back_with_nothing_enrolled(line: Line) -> None:
    caller = connected(line)
    headers = token(line)
    capture_id, _ = started(line, caller, headers)
    back = caller.press(CHECKING, ROUTING, ACCOUNT, ACCOUNT, MAIL, "2")
    assert "AutoPay was not set up." in spoken(back)
    assert back.find("Dial/Conference") is not None
    assert shown(line, headers, capture_id)["state"] == "cancelled"
    assert enrolments_of(line, PLAN) == []


def test_an_enrolment_refused_at_the_end_goes_back_with_nothing_changed(line: Line) -> None:
    """The plan's coverage ends while the caller is keying: the enrolment is refused."""
    caller = connected(line)
    headers = token(line)
    capture_id, _ = started(line, caller, headers)
    caller.press(CHECKING, ROUTING, ACCOUNT, ACCOUNT, MAIL)
    terminate(line, PLAN)
    end = spoken(caller.press(ACCEPT))
    assert "We could not set up AutoPay with those details. Nothing was changed." in end
    assert end.endswith("Now back to your representative.")
    done = shown(line, headers, capture_id)
    assert (done["state"], done["reference"]) == ("refused", None)
    assert enrolments_of(line, PLAN) == [] and rows(line, RECURRING_AUTHORIZATIONS) == []


def test_the_agent_asks_for_the_routing_number_again(line: Line) -> None:
    caller = connected(line)
    headers = token(line)
    capture_id, _ = started(line, caller, headers)
    caller.press(CHECKING, ROUTING)
    client = line.app.test_client()
    path = f"/api/agent/v1/captures/{capture_id}/fields"
    assert client.post(f"{path}/authorization/again", headers=headers).status_code == 400
    assert client.post(f"{path}/routing/again", headers=headers).status_code == 200
    follow_the_move(line, caller)
    assert "Your representative asked for this again." in spoken(caller.root)
    assert states(shown(line, headers, capture_id))["routing"] == "entering"
    end = caller.press(ROUTING, ACCOUNT, ACCOUNT, MAIL, ACCEPT)
    assert "AutoPay is set up" in spoken(end)
    assert shown(line, headers, capture_id)["state"] == "enrolled"


def test_a_spanish_caller_hears_the_spanish_authorization(line: Line) -> None:
    caller = Caller(line)
    caller.press("2", ANA, ANA_DOB, "0")  # Spanish, verified, to a representative
    both_in_the_conference(line)
    headers = token(line)
    capture_id, heard = started(line, caller, headers)
    assert "Su representante nos pidió activar el pago automático" in heard
    heard = spoken(caller.press(CHECKING, ROUTING, ACCOUNT, ACCOUNT, MAIL))
    assert "Por favor, escuche esta autorización." in heard
    assert "cada mes el día veintitrés" in heard and "each month" not in heard
    end = spoken(caller.press(ACCEPT))
    assert "El pago automático está activado para su plan de salud." in end
    assert end.endswith("Le comunicamos de nuevo con su representante.")
    assert shown(line, headers, capture_id)["state"] == "enrolled"
    (authorization,) = rows(line, RECURRING_AUTHORIZATIONS)
    assert "cada mes el día veintitrés" in authorization["text"]
    assert authorization["channel"] == "agent"
