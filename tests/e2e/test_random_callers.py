"""Model-based test: random callers who mostly get to the payment steps, then waver.

Each example is a member making one or more calls through the real app (signed webhooks, the
embedded stores, the sandbox processor). The caller is guided by the step the call is at: most
answers are sensible for it, some waver (stray keys, '*', silence, changing or cancelling at the
read-back, hanging up anywhere); they get declined, pay a second plan or a second partial amount
in the same call. After every webhook the money oracle (tests.oracle) checks that the processor's
charges, the records and what the caller heard agree.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from app import create_app
from ivr.config import Settings
from ivr.engine.kvstores import MemoryKeyValue
from tests.e2e.conftest import EASTERN, TOKEN, Clock, signed_post, spoken, twiml
from tests.oracle import MoneyOracle

# Wednesday 18 November 2026, 19:00 in Boston: representatives are closed, so '0' keeps the
# caller on the line (told when to call back) instead of ending the call.
EVENING = datetime(2026, 11, 18, 19, 0, tzinfo=EASTERN)
MEMBERS = {  # subscriber: date of birth keyed
    "100000000001": "04171980",  # Ana: health and dental
    "100000000002": "09021975",  # Luis: one plan
    "100000000003": "01151990",  # Mei: binder
    "100000000004": "12301968",  # James: past due
}
APPROVED_CARDS = ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117"]
DECLINED_CARDS = ["4000000000000002", "4000000000009995", "4000000000000119"]
READ_BACKS = {"confirm_payment", "bank_authorization"}
WAVER = st.sampled_from(["*", "", "#", "9", "0", "12", "4242"])
STATS = {"examples": 0, "confirmed": 0}
# Under `make mutation` (HYPOTHESIS_PROFILE=mutation) every mutant reruns this test: fewer callers.
MAX_EXAMPLES = 15 if settings.get_current_profile_name() == "mutation" else 60
_sids = itertools.count()


def _sensible(step: str, member: str, card: str) -> st.SearchStrategy[str]:
    """Keys a caller who means to pay would give at `step`."""
    amount = st.builds(lambda d, c: f"{d}*{c:02d}", st.integers(0, 450), st.integers(0, 99))
    by_step: dict[str, st.SearchStrategy[str]] = {
        "greeting": st.sampled_from(["1", "1", "1", "2"]),
        "subscriber_id": st.sampled_from([member] * 5 + ["999999999999"]),
        "birth_date": st.sampled_from([MEMBERS[member]] * 5 + ["01011970"]),
        "main_menu": st.sampled_from(["1", "1", "1", "1", "2", "3"]),
        "choose_plan": st.sampled_from(["1", "2"]),
        "choose_amount": st.sampled_from(["1", "2"]),
        "enter_amount": amount,
        "choose_method": st.sampled_from(["1", "1", "2"]),
        "card_number": st.just(card),
        "card_expiry": st.sampled_from(["1228", "1228", "1228", "0120"]),
        "card_security_code": st.just("1234" if card.startswith("3") else "123"),
        "card_zip": st.just("02110"),
        "bank_account_type": st.sampled_from(["1", "2"]),
        "bank_routing": st.sampled_from(["011000015", "021000021"]),
        "bank_account": st.just("123456789"),
        "bank_account_again": st.sampled_from(["123456789", "123456789", "987654321"]),
        "confirm_payment": st.sampled_from(["1", "1", "1", "1", "2", "3"]),
        "bank_authorization": st.sampled_from(["1", "1", "1", "2", "3"]),
        "payment_result": st.sampled_from(["1", "2", "2", "3"]),
        "retry_payment": st.sampled_from(["1", "1", "2"]),
        "offer_agent": st.sampled_from(["1", "1", "0"]),
    }
    return by_step.get(step, st.sampled_from(["1", "2"]))


class RandomCallers(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        database = self.folder / "ivr.sqlite3"
        shutil.copy(TEMPLATE["database"], database)
        config = Settings(twilio_auth_token=TOKEN, database_url=f"sqlite:///{database}")
        self.app = create_app(config, clock=Clock(EVENING), kv=MemoryKeyValue())
        self.oracle = MoneyOracle(self.app.extensions["ivr"].db_engine)
        self.sid: str | None = None
        self.gather_url = self.silence_url = self.hold_url = ""
        self.confirmed = False
        self.answered = False

    def teardown(self) -> None:
        STATS["examples"] += self.answered  # a run Hypothesis abandoned early is not counted
        STATS["confirmed"] += self.confirmed and self.answered
        self.app.extensions["ivr"].core.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize(member=st.sampled_from(sorted(MEMBERS)))
    def choose_member(self, member: str) -> None:
        self.member = member

    @precondition(lambda self: self.sid is None)
    @rule(card=st.sampled_from(APPROVED_CARDS * 3 + DECLINED_CARDS))
    def dial(self, card: str) -> None:
        """A new call; the caller reaches for this card when asked for one."""
        self.sid, self.card = f"CA{next(_sids):032d}", card
        self._post("/webhooks/voice", {})

    @precondition(lambda self: self.sid is not None and self.hold_url != "")
    @rule()
    def hold_on(self) -> None:
        """A hold comes back by itself: no keys."""
        before = self.oracle.payments()
        said = self._post(self.hold_url, {})
        self.oracle.check_turn(self.sid or "", before, said, False, self.lang)

    @precondition(lambda self: self.sid is not None and self.hold_url == "")
    @rule(data=st.data(), prompts=st.integers(6, 16))
    def answer_prompts(self, data: st.DataObject, prompts: int) -> None:
        """Answer the next few prompts, as the caller they are."""
        for _ in range(prompts):
            if self.sid is None or self.hold_url:
                return
            self._answer(data)

    def _answer(self, data: st.DataObject) -> None:
        state = self.app.extensions["ivr"].store.load(self.sid)
        step, self.lang = state["step"], state.get("lang", "en")
        # Sensible answers shrink to mood 0 (Hypothesis favours small numbers); 5 in 40 waver,
        # 1 in 40 hangs up.
        mood = data.draw(st.integers(0, 39), label="mood")
        if mood == 39:
            return self._hang_up()
        keys = data.draw(
            WAVER if mood >= 34 else _sensible(step, self.member, self.card), label=step
        )
        confirmed = step in READ_BACKS and keys == "1"
        self.confirmed = self.confirmed or confirmed
        self.answered = True
        sid, before = self.sid or "", self.oracle.payments()
        if keys:
            said = self._post(self.gather_url, {"Digits": keys})
        else:
            said = self._post(self.silence_url, {})
        self.oracle.check_turn(sid, before, said, confirmed, self.lang)

    def _hang_up(self) -> None:
        call = {"CallSid": self.sid, "CallStatus": "completed"}
        assert signed_post(self, "/webhooks/voice/status", call).status_code == 204
        self.sid = None

    @invariant()
    def books_agree(self) -> None:
        self.oracle.check_books()

    def _post(self, url: str, params: dict[str, str]) -> str:
        """POST to `url` as Twilio would; remember where the answer says to go next."""
        call = {"CallSid": self.sid or "", "From": "+16175559999", "To": "+18776236765"}
        root = twiml(signed_post(self, url.removeprefix("http://localhost"), {**call, **params}))
        gather, redirect = root.find("Gather"), root.find("Redirect")
        self.gather_url = gather.get("action", "") if gather is not None else ""
        self.silence_url = redirect.text or "" if redirect is not None else ""
        self.hold_url = self.silence_url if gather is None else ""
        if gather is None and redirect is None:
            self.sid = None  # hung up or transferred: Twilio would post nothing more
        return spoken(root)


TEMPLATE: dict[str, Path] = {}


def test_random_callers_never_make_money_untrue(demo_database: Path) -> None:
    TEMPLATE["database"] = demo_database
    STATS.update(examples=0, confirmed=0)
    machine = settings(
        max_examples=MAX_EXAMPLES,
        stateful_step_count=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )(RandomCallers)
    machine.TestCase().runTest()
    share = STATS["confirmed"] / STATS["examples"]
    print(f"\nrandom callers: {STATS['confirmed']} of {STATS['examples']} examples confirmed")
    assert share > 0.5, STATS
