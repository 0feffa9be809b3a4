"""The line writes TwiML as text (ivr.channels.twiml): byte for byte what the `twilio` package's
VoiceResponse writes for the same verbs, whatever the words."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.voice_response import Dial, VoiceResponse

from ivr.channels import twiml
from ivr.channels.render import BUSY_PAUSE, HOLD_PAUSE, VOICES, Renderer, Rendering
from ivr.config import Settings
from ivr.engine.engine import Turn
from ivr.flows.base import Ask, Hangup, Hold, Input, Line, Transfer, line
from ivr.hours import BusinessHours
from ivr.prompts import Catalog
from ivr.speech.digits import DIGIT_HINTS

# Words as a name or a typed value can bring them: XML's specials, quotes, newlines, tabs, accents.
WORDS = st.text(alphabet=st.sampled_from("aZ 09.,&<>\"'\n\r\tñé¿$#*-;"), max_size=40)
SETTINGS = Settings(twilio_auth_token="t", agent_number="+16175550199", relay_timeout=35)
QUEUE = Settings(twilio_auth_token="t", agent_number="representatives")


@given(WORDS, st.sampled_from(list(VOICES.values())))
def test_words_are_said_exactly_as_voice_response_writes_them(text: str, voice: tuple) -> None:
    expected = VoiceResponse()
    expected.say(text, voice=voice[0], language=voice[1])
    assert twiml.response([twiml.say(text, *voice)]) == str(expected)


@given(WORDS, WORDS, st.integers(0, 120), st.booleans())
def test_attributes_are_written_exactly_as_voice_response_writes_them(
    url: str, hints: str, timeout: int, flag: bool
) -> None:
    attributes = {"action": url, "hints": hints, "timeout": timeout, "actionOnEmptyResult": flag}
    expected = VoiceResponse()
    expected.gather(action=url, hints=hints, timeout=timeout, action_on_empty_result=flag)
    assert twiml.response([twiml.verb("Gather", attributes)]) == str(expected)


def _renderer(settings: Settings = SETTINGS) -> Renderer:
    return Renderer(Catalog.load(BusinessHours()), settings)


def _how(relay: bool = False, lang: str = "en", **extra: object) -> Rendering:
    return Rendering(lang, relay, 7, 1, date(2026, 12, 3), **extra)  # type: ignore[arg-type]


def _said(renderer: Renderer, lines: tuple[Line, ...], how: Rendering) -> list[str]:
    return [spoken.text for spoken in renderer.words(lines, how.lang, how.relay, how.today)]


def _says(node: VoiceResponse, texts: list[str], lang: str) -> None:
    voice, language = VOICES[lang]
    for text in texts:
        node.say(text, voice=voice, language=language)


SAID = (line("pay.nothing_due"),)
ASKED = (line("main_menu.balance"),)


def test_a_menu_for_a_voice_caller_and_a_relay_operator() -> None:
    renderer = _renderer()
    for how in (_how(), _how(relay=True), _how(lang="es")):
        menu = renderer.render(Turn(SAID, Ask(ASKED, Input.MENU)), how)
        expected = VoiceResponse()
        options: dict[str, object] = {"input": "dtmf"}
        if how.relay:
            options = {
                "input": "dtmf speech",
                "language": VOICES[how.lang][1],
                "hints": DIGIT_HINTS[how.lang],
                "speech_timeout": SETTINGS.relay_speech_timeout,
            }
        gather = expected.gather(
            action="/webhooks/voice?t=7",
            method="POST",
            timeout=renderer.timeout(how),
            finish_on_key="#",
            action_on_empty_result=True,
            num_digits=1,
            **options,
        )
        _says(gather, _said(renderer, SAID + ASKED, how), how.lang)
        expected.redirect("/webhooks/voice?t=7&silence=1", method="POST")
        assert menu == str(expected)


def test_words_heard_to_the_end_come_before_the_question() -> None:
    renderer, how = _renderer(), _how()
    first = (line("greeting.welcome"),)
    turn = Turn(SAID, Ask(ASKED, Input.VALUE, length=(12, 12), heard_first=first))
    expected = VoiceResponse()
    _says(expected, _said(renderer, SAID + first, how), "en")
    gather = expected.gather(
        action="/webhooks/voice?t=7", method="POST", timeout=renderer.timeout(how),
        finish_on_key="#", action_on_empty_result=True, num_digits=12, input="dtmf",
    )  # fmt: skip
    _says(gather, _said(renderer, ASKED, how), "en")
    expected.redirect("/webhooks/voice?t=7&silence=1", method="POST")
    assert renderer.render(turn, how) == str(expected)


def test_holds_hang_ups_and_busy_answers() -> None:
    renderer, how = _renderer(), _how()
    hold = VoiceResponse()
    _says(hold, _said(renderer, SAID, how), "en")
    hold.pause(length=HOLD_PAUSE)
    hold.redirect("/webhooks/voice?t=7&hold=1", method="POST")
    assert renderer.render(Turn(SAID, Hold("payment_processing")), how) == str(hold)
    hangup = VoiceResponse()
    _says(hangup, _said(renderer, SAID, how), "en")
    hangup.hangup()
    assert renderer.render(Turn(SAID, Hangup()), how) == str(hangup)
    for turn_no in (None, 4):
        busy = VoiceResponse()
        busy.pause(length=BUSY_PAUSE)
        busy.redirect(f"/webhooks/voice?{'t=4&' if turn_no else ''}retry=2", method="POST")
        assert renderer.busy(turn_no, 2) == str(busy)


def test_transfers_to_a_conference_a_number_or_a_queue() -> None:
    said = (line("agent.connecting"),)
    conference = _how(conference="call-CA1", status_url="https://line.example/conf?a=1&b=2")
    expected = VoiceResponse()
    _says(expected, _said(_renderer(), said, conference), "en")
    dial = Dial()
    dial.conference(
        "call-CA1",
        status_callback="https://line.example/conf?a=1&b=2",
        status_callback_event="join leave end",
        status_callback_method="POST",
        beep=False,
    )
    expected.append(dial)
    assert _renderer().render(Turn(said, Transfer()), conference) == str(expected)
    number = VoiceResponse()
    dial = Dial()
    dial.number("+16175550199")
    number.append(dial)
    assert _renderer().render(Turn((), Transfer()), _how()) == str(number)
    queue = VoiceResponse()
    queue.enqueue("representatives")
    assert _renderer(QUEUE).render(Turn((), Transfer()), _how()) == str(queue)
