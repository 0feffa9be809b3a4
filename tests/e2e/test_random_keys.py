"""Property: any sequence of keys and silences yields valid TwiML, and money is only ever
charged right after the caller pressed 1 at a confirmation step."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import STRANGER, Line, signed_post, twiml
from tests.e2e.test_card_and_bank_calls import ACCOUNT, ANA, ANA_DOB, ROUTING, VISA

CONFIRMING_STEPS = {"confirm_payment", "bank_authorization"}
VOCABULARY = [
    "1",
    "2",
    "3",
    "0",
    "*",
    "",
    "#",
    ANA,
    ANA_DOB,
    VISA,
    "1228",
    "123",
    "02110",
    "20*50",
    "45",
    "999",
    ROUTING,
    ACCOUNT,
    "4000000000000002",
    "12",
    "**1",
]
_call_numbers = itertools.count()

inputs = st.lists(
    st.one_of(st.sampled_from(VOCABULARY), st.text(alphabet="0123456789*#", max_size=20)),
    max_size=30,
)


def _payments(line: Line) -> int:
    return len(line.payments.recent_payments(ANA, limit=1000))


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(keys=inputs)
def test_random_keys_give_valid_twiml_and_never_charge_unconfirmed(line: Line, keys) -> None:
    sid = f"CA{next(_call_numbers):032d}"
    call = {"CallSid": sid, "From": STRANGER, "To": "+18776236765", "CallStatus": "in-progress"}
    store = line.app.extensions["ivr"].store
    root = twiml(signed_post(line, "/webhooks/voice", call))
    for turn, key in enumerate(keys, start=1):
        if root.find("Gather") is None:
            break  # hung up or transferred: Twilio would post nothing more
        before, step = _payments(line), store.load(sid)["step"]
        query = f"?t={turn}" + ("&silence=1" if key == "" else "")
        params = call if key == "" else {**call, "Digits": key}
        root = twiml(signed_post(line, f"/webhooks/voice{query}", params))
        if _payments(line) > before:
            assert step in CONFIRMING_STEPS and key == "1", (step, key)


WRONG = ["9", "", "#", "77", "8"]  # no menu's choice and no value's shape: never progress
MOST_WEBHOOKS_WITHOUT_PROGRESS = 60


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.lists(st.sampled_from(VOCABULARY), max_size=12),
    wrong=st.lists(st.sampled_from(WRONG), min_size=1, max_size=8),
    after_hours=st.booleans(),
)
def test_every_prompt_ends_for_a_caller_who_never_answers_right(
    make_line, prefix, wrong, after_hours
) -> None:
    """Wherever the call is, a caller who from then on only keys wrong answers or says nothing
    reaches an end (a goodbye or a representative) within 60 webhooks."""
    from datetime import datetime

    from tests.e2e.conftest import EASTERN

    when = datetime(2026, 11, 18, 21 if after_hours else 10, 0, tzinfo=EASTERN)
    line = make_line(when)
    sid = f"CA{next(_call_numbers):032d}"
    call = {"CallSid": sid, "From": STRANGER, "To": "+18776236765", "CallStatus": "in-progress"}
    root = twiml(signed_post(line, "/webhooks/voice", call))
    answers = itertools.chain(prefix, itertools.cycle(wrong))
    turn = 0
    for turn, key in enumerate(answers, start=1):
        if root.find("Gather") is None and root.find("Redirect") is None:
            break  # hung up or transferred
        if turn > len(prefix) + MOST_WEBHOOKS_WITHOUT_PROGRESS:
            raise AssertionError(f"still asking after {turn} webhooks: {prefix} then {wrong}")
        query = f"?t={turn}" + ("&silence=1" if key == "" else "")
        params = call if key == "" else {**call, "Digits": key}
        root = twiml(signed_post(line, f"/webhooks/voice{query}", params))
    assert turn <= len(prefix) + MOST_WEBHOOKS_WITHOUT_PROGRESS + 1
