"""The capture endpoints of the agent API: starting a capture on a connected, verified call,
following its fields, cancelling it, asking for a field again; and every refusal, as JSON."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import Line
from tests.e2e.test_agent_capture_calls import (
    AGENT_DESK,
    AGENT_LEG,
    SID,
    Caller,
    both_in_the_conference,
    verified_and_transferred,
)
from tests.e2e.test_card_and_bank_calls import ANA, VISA


class RecordingTwilio:
    """Twilio's REST API as the tests see it: moves are recorded, then played as Twilio would."""

    configured = True

    def __init__(self) -> None:
        self.moves: list[tuple[str, str]] = []

    def redirect(self, call_sid: str, url: str) -> None:
        self.moves.append((call_sid, url))

    def dial_into_conference(self, to: str, from_: str, twiml: str) -> str:
        return AGENT_LEG


@pytest.fixture()
def line(make_line) -> Line:
    return agent_line(make_line)


def agent_line(make_line, **options) -> Line:
    """A line with agents dialled into conferences, two agent accounts, and recorded moves."""
    line = make_line(agent_number=AGENT_DESK, **options)
    twilio = RecordingTwilio()
    line.app.extensions["ivr"].twilio = twilio
    line.app.extensions["ivr"].calls.twilio = twilio
    for name in ("agent.smith", "agent.jones"):
        line.app.extensions["ivr"].core.agents.add_agent(
            name, name.title(), "correct horse battery"
        )
    return line


def token(line: Line, username: str = "agent.smith") -> dict[str, str]:
    client = line.app.test_client()
    answer = client.post(
        "/api/agent/v1/sessions", json={"username": username, "password": "correct horse battery"}
    )
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def connected(line: Line) -> Caller:
    caller = verified_and_transferred(line)
    both_in_the_conference(line)
    return caller


def start(line: Line, headers: dict[str, str], **body):
    body = {"plan_id": "H-100000000001", "amount": "45.00", "method": "card", **body}
    return line.app.test_client().post(
        f"/api/agent/v1/calls/{SID}/captures", json=body, headers=headers
    )


def follow_the_move(line: Line, caller: Caller) -> None:
    """Twilio fetches the URL the call was moved to."""
    _, url = line.app.extensions["ivr"].twilio.moves[-1]
    parts = urlsplit(url)
    caller.moved_to(parts.query)


def test_captures_need_an_agent(line: Line) -> None:
    connected(line)
    answer = start(line, {})
    assert answer.status_code == 401 and answer.get_json()["error"]["code"]


def test_a_call_not_connected_to_an_agent_cannot_be_captured(line: Line) -> None:
    verified_and_transferred(line)  # waiting: no agent leg has joined
    answer = start(line, token(line))
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "not_connected"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "45.01"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"method": "cash"}, "method"),
        ({"plan_id": "H-100000000002"}, "plan_id"),
    ],
)
def test_bad_choices_are_refused_naming_the_field(line: Line, body, field) -> None:
    connected(line)
    answer = start(line, token(line), **body)
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == field
    assert line.app.extensions["ivr"].twilio.moves == []  # the caller was not moved


def test_a_capture_from_start_to_approval(line: Line) -> None:
    caller = connected(line)
    headers = token(line)
    answer = start(line, headers)
    assert answer.status_code == 201
    capture_id = answer.get_json()["capture_id"]
    moved_sid, url = line.app.extensions["ivr"].twilio.moves[0]
    assert moved_sid == SID and parse_qs(urlsplit(url).query)["capture"] == [capture_id]
    client = line.app.test_client()
    shown = client.get(f"/api/agent/v1/captures/{capture_id}", headers=headers).get_json()
    assert shown["state"] == "waiting" and [f["state"] for f in shown["fields"]][0] == "waiting"
    follow_the_move(line, caller)
    caller.press(VISA)
    shown = client.get(f"/api/agent/v1/captures/{capture_id}", headers=headers).get_json()
    assert shown["state"] == "capturing"
    assert shown["fields"][0] == {
        "name": "card_number",
        "state": "done",
        "display": "visa ending 4242",
    }
    assert VISA not in str(shown)
    caller.press("1228", "123", "02110", "1")
    shown = client.get(f"/api/agent/v1/captures/{capture_id}", headers=headers).get_json()
    assert shown["state"] == "approved" and len(shown["confirmation"]) == 8
    (payment,) = line.payments.recent_payments(ANA)
    assert payment.channel.value == "agent"


def test_the_caller_is_moved_to_the_address_twilio_uses_not_the_consoles(line: Line) -> None:
    """The console can be reached on another name (localhost, an internal host) than the one
    Twilio posts the call's webhooks to: the move goes where Twilio reaches the call."""
    connected(line)
    answer = line.app.test_client().post(
        f"/api/agent/v1/calls/{SID}/captures",
        json={"plan_id": "H-100000000001", "amount": "45.00", "method": "card"},
        headers=token(line),
        base_url="https://console.internal.example",
    )
    assert answer.status_code == 201
    ((call_sid, url),) = line.app.extensions["ivr"].twilio.moves
    assert call_sid == SID
    assert url.startswith("http://localhost/webhooks/voice/capture?capture=CP")  # as signed_post


def test_another_agent_can_neither_watch_nor_cancel(line: Line) -> None:
    connected(line)
    capture_id = start(line, token(line)).get_json()["capture_id"]
    other = token(line, "agent.jones")
    client = line.app.test_client()
    assert client.get(f"/api/agent/v1/captures/{capture_id}", headers=other).status_code == 403
    stop = client.post(f"/api/agent/v1/captures/{capture_id}/cancel", headers=other)
    assert stop.status_code == 403 and stop.get_json()["error"]["code"] == "not_yours"


def test_the_calls_list_names_the_agents_own_capture_for_a_reloaded_console(line: Line) -> None:
    connected(line)
    mine = token(line)
    capture_id = start(line, mine).get_json()["capture_id"]
    client = line.app.test_client()

    def listed(headers):
        (call,) = client.get("/api/agent/v1/calls", headers=headers).get_json()["calls"]
        return call["capture_id"]

    assert listed(mine) == capture_id
    assert listed(token(line, "agent.jones")) is None


def test_the_agent_cancels_and_asks_for_a_field_again(line: Line) -> None:
    caller = connected(line)
    headers = token(line)
    capture_id = start(line, headers).get_json()["capture_id"]
    follow_the_move(line, caller)
    caller.press(VISA)
    client = line.app.test_client()
    again = client.post(
        f"/api/agent/v1/captures/{capture_id}/fields/card_number/again", headers=headers
    )
    assert again.status_code == 200
    assert "action=again" in line.app.extensions["ivr"].twilio.moves[-1][1]
    unknown = client.post(f"/api/agent/v1/captures/{capture_id}/fields/pin/again", headers=headers)
    assert unknown.status_code == 400
    assert (
        client.post(f"/api/agent/v1/captures/{capture_id}/cancel", headers=headers).status_code
        == 200
    )
    follow_the_move(line, caller)
    shown = client.get(f"/api/agent/v1/captures/{capture_id}", headers=headers).get_json()
    assert shown["state"] == "cancelled"
    late = client.post(f"/api/agent/v1/captures/{capture_id}/cancel", headers=headers)
    assert late.status_code == 409


def test_one_capture_at_a_time_per_call(line: Line) -> None:
    connected(line)
    headers = token(line)
    assert start(line, headers).status_code == 201
    second = start(line, headers)
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "capture_in_progress"
