"""The caller's side of agent-assisted payments: a transfer joins the call's conference and lists
it for agents; an agent's leg joining connects it; a capture takes the caller through the same
capture prompts, pays with channel `agent`, shows the agent only brand and last 4, and brings the
caller back to the conference however it ends."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from ivr.agents.agent_calls import CONNECTED, WAITING
from tests.e2e.conftest import Line, signed_post, spoken, twiml
from tests.e2e.test_card_and_bank_calls import ANA, ANA_DOB, VISA

SID = "CA" + "4" * 32
AGENT_LEG = "CA" + "5" * 32
CALL = {"CallSid": SID, "From": "+16175559999", "To": "+18776236765"}
AGENT_DESK = "+16175550199"


@pytest.fixture()
def line(make_line) -> Line:
    return make_line(agent_number=AGENT_DESK)


class Caller:
    """One call, answered turn by turn as Twilio would post it."""

    def __init__(self, line: Line) -> None:
        self.line, self.turn = line, 0
        self.root = twiml(signed_post(line, "/webhooks/voice", CALL))

    def press(self, *answers: str) -> ET.Element:
        for keys in answers:
            action = self.root.find("Gather").get("action")
            self.root = twiml(signed_post(self.line, action, {**CALL, "Digits": keys}))
        return self.root

    def moved_to(self, query: str) -> ET.Element:
        """The agent moved this call (Twilio's REST call update) to the capture URL."""
        self.root = twiml(signed_post(self.line, f"/webhooks/voice/capture?{query}", CALL))
        return self.root


def verified_and_transferred(line: Line) -> Caller:
    caller = Caller(line)
    caller.press("1", ANA, ANA_DOB, "0")
    return caller


def conference_event(line: Line, event: str, leg: str) -> None:
    """Twilio reports that `leg` joined or left the call's conference."""
    params = {"FriendlyName": f"call-{SID}", "StatusCallbackEvent": event, "CallSid": leg}
    assert signed_post(line, "/webhooks/voice/conference", params).status_code == 204


def both_in_the_conference(line: Line) -> None:
    """The caller's leg and then the agent's have joined the call's conference."""
    conference_event(line, "participant-join", SID)
    conference_event(line, "participant-join", AGENT_LEG)


def capture_for(line: Line, method: str = "card", amount: str = "45.00"):
    return line.app.extensions["ivr"].captures.create(
        call_sid=SID,
        agent="agent.smith",
        subscriber_id=ANA,
        plan_id="H-100000000001",
        amount=amount,
        method=method,
    )


def test_a_transfer_joins_the_calls_conference_and_lists_it_for_agents(line: Line) -> None:
    caller = verified_and_transferred(line)
    conference = caller.root.find("Dial/Conference")
    assert conference is not None and conference.text == f"call-{SID}"
    assert conference.get("statusCallback").endswith("/webhooks/voice/conference")
    directory = line.app.extensions["ivr"].directory
    (listed,) = directory.list()
    assert (listed.state, listed.verified, listed.subscriber_id) == (WAITING, True, ANA)
    conference_event(line, "participant-join", SID)
    assert directory.get(SID).state == WAITING  # the caller is in; no agent yet
    conference_event(line, "participant-join", AGENT_LEG)
    assert directory.get(SID).state == CONNECTED


def test_an_agent_who_joins_before_the_caller_waits_for_the_caller(line: Line) -> None:
    """A capture needs the caller there: an agent's leg can join the conference before the
    caller's leg has (the caller is still hearing "connecting you")."""
    verified_and_transferred(line)
    directory = line.app.extensions["ivr"].directory
    conference_event(line, "participant-join", AGENT_LEG)
    assert (directory.get(SID).state, directory.get(SID).agent_leg) == (WAITING, AGENT_LEG)
    conference_event(line, "participant-join", SID)
    assert directory.get(SID).state == CONNECTED
    conference_event(line, "participant-leave", SID)
    assert directory.get(SID).state == WAITING


def test_an_unverified_caller_is_listed_as_unverified(line: Line) -> None:
    Caller(line).press("1", "0")
    (listed,) = line.app.extensions["ivr"].directory.list()
    assert listed.as_json()["verified"] is False and listed.as_json()["subscriber_id"] is None


def test_a_card_capture_pays_with_channel_agent_and_returns_to_the_agent(line: Line) -> None:
    caller = verified_and_transferred(line)
    capture = capture_for(line)
    asked = spoken(caller.moved_to(f"capture={capture.id}"))
    assert "Your representative asked us to take your payment details." in asked
    assert "Enter your card number" in asked
    caller.press(VISA)
    shown = line.app.extensions["ivr"].captures.get(capture.id)
    assert shown.fields[0] == {
        "name": "card_number",
        "state": "done",
        "display": "visa ending 4242",
    }
    assert shown.fields[1]["state"] == "entering"
    end = caller.press("1228", "123", "02110", "1")
    assert "Approved. Your confirmation number is" in spoken(end)
    assert spoken(end).endswith("Now back to your representative.")
    assert end.find("Dial/Conference").text == f"call-{SID}"
    done = line.app.extensions["ivr"].captures.get(capture.id)
    assert done.state == "approved" and done.confirmation and done.payment["status"] == "approved"
    (payment,) = line.payments.recent_payments(ANA)
    assert (payment.channel.value, payment.amount) == ("agent", Decimal("45.00"))
    stored = b"".join(value for _, value in line.kv._data.values())
    assert VISA.encode() not in stored  # not in the capture record, the call, or anywhere


def test_the_agent_cancels_and_the_caller_is_told_and_returned(line: Line) -> None:
    caller = verified_and_transferred(line)
    capture = capture_for(line)
    caller.moved_to(f"capture={capture.id}")
    caller.press(VISA)
    back = caller.moved_to(f"capture={capture.id}&action=cancel")
    assert "Your representative stopped this payment. Nothing was charged." in spoken(back)
    assert back.find("Dial/Conference") is not None
    assert line.app.extensions["ivr"].captures.get(capture.id).state == "cancelled"
    assert line.payments.recent_payments(ANA) == []


def test_the_agent_asks_for_a_field_again(line: Line) -> None:
    caller = verified_and_transferred(line)
    capture = capture_for(line)
    caller.moved_to(f"capture={capture.id}")
    caller.press(VISA)
    again = caller.moved_to(f"capture={capture.id}&action=again&field=card_number")
    assert "Your representative asked for this again." in spoken(again)
    assert "Enter your card number" in spoken(again)


def test_a_caller_who_hangs_up_mid_capture_leaves_it_abandoned(line: Line) -> None:
    caller = verified_and_transferred(line)
    capture = capture_for(line)
    caller.moved_to(f"capture={capture.id}")
    signed_post(line, "/webhooks/voice/status", {**CALL, "CallStatus": "completed"})
    assert line.app.extensions["ivr"].captures.get(capture.id).state == "abandoned"
    assert line.app.extensions["ivr"].directory.list() == []


def test_a_declined_card_goes_back_to_the_agent_with_the_reason(line: Line) -> None:
    caller = verified_and_transferred(line)
    capture = capture_for(line)
    caller.moved_to(f"capture={capture.id}")
    end = caller.press("4000000000000002", "1228", "123", "02110", "1")
    assert "declined" in spoken(end) and "You have not been charged" in spoken(end)
    assert end.find("Dial/Conference") is not None
    assert line.app.extensions["ivr"].captures.get(capture.id).state == "declined"


def test_a_bank_capture_reads_the_authorization_first(line: Line) -> None:
    caller = verified_and_transferred(line)
    capture = capture_for(line, method="bank")
    caller.moved_to(f"capture={capture.id}")
    end = caller.press("1", "011000015", "123456789", "123456789", "1")
    assert "Your bank payment is scheduled." in spoken(end)
    assert line.app.extensions["ivr"].captures.get(capture.id).state == "approved"
    fields = line.app.extensions["ivr"].captures.get(capture.id).fields
    account = next(field for field in fields if field["name"] == "account")
    assert account["display"] == "checking ending 6789"


def test_pressing_0_during_a_capture_goes_back_to_the_agent_not_the_queue(line: Line) -> None:
    caller = verified_and_transferred(line)
    capture = capture_for(line)
    caller.moved_to(f"capture={capture.id}")
    back = caller.press("0")
    assert "This payment was not made, and nothing was charged." in spoken(back)
    assert back.find("Dial/Conference") is not None
    assert line.app.extensions["ivr"].captures.get(capture.id).state == "cancelled"


def test_back_from_a_capture_the_call_is_still_connected_and_keeps_its_place(line: Line) -> None:
    from datetime import timedelta

    caller = verified_and_transferred(line)
    both_in_the_conference(line)
    directory = line.app.extensions["ivr"].directory
    listed = directory.get(SID)
    line.clock.now += timedelta(minutes=3)
    capture = capture_for(line)
    caller.moved_to(f"capture={capture.id}")
    conference_event(line, "participant-leave", SID)
    caller.press(VISA, "1228", "123", "02110", "1")
    back = directory.get(SID)
    assert (back.state, back.agent_leg, back.since) == (WAITING, listed.agent_leg, listed.since)
    conference_event(line, "participant-join", SID)  # the caller's leg is back in
    assert directory.get(SID).state == CONNECTED
