"""Channels render, flows decide: the same turn as voice TwiML and as relay TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

from ivr.channels.render import Renderer, Rendering
from ivr.config import Settings
from ivr.engine.engine import Turn
from ivr.flows.base import Ask, Hangup, Input, Money, Term, Transfer, line
from ivr.hours import BusinessHours
from ivr.prompts import LANGUAGES, Catalog

SETTINGS = Settings(twilio_auth_token="t", relay_timeout=35, agent_number="+16175550199")
TODAY = date(2026, 11, 18)


def render(turn: Turn, relay: bool = False, silences: int = 0, lang: str = "en") -> ET.Element:
    renderer = Renderer(Catalog.load(BusinessHours()), SETTINGS)
    return ET.fromstring(renderer.render(turn, Rendering(lang, relay, 7, silences, TODAY)))


MENU = Turn((line("pay.nothing_due"),), Ask((line("main_menu.balance"),), Input.MENU))


def test_voice_menu_gathers_one_key_then_redirects_on_silence() -> None:
    root = render(MENU)
    gather = root.find("Gather")
    assert gather is not None
    assert gather.attrib["input"] == "dtmf" and gather.attrib["numDigits"] == "1"
    assert gather.attrib["action"] == "/webhooks/voice?t=7"
    assert gather.attrib["timeout"] == "8"
    says = [say.text for say in gather.findall("Say")]
    assert says[0] == "There is nothing to pay right now."
    assert root.find("Redirect").text == "/webhooks/voice?t=7&silence=1"


def test_relay_gathers_accept_speech_wait_longer_and_longer() -> None:
    first = render(MENU, relay=True).find("Gather")
    later = render(MENU, relay=True, silences=2).find("Gather")
    assert first.attrib["input"] == "dtmf speech" and "one" in first.attrib["hints"]
    assert first.attrib["timeout"] == "35" and int(later.attrib["timeout"]) > 35
    assert first.findall("Say")[-1].text == "Press 2 for balance."


def test_spanish_money_and_voice() -> None:
    choice = line("pay.amount_choice", amount=Money(Decimal("412.50")), kind=Term("kind.health"))
    turn = Turn((), Ask((choice,), Input.MENU))
    say = render(turn, lang="es").find("Gather/Say")
    assert say.attrib["language"] == "es-US"
    assert "cuatrocientos doce dólares con cincuenta centavos" in say.text


def test_transfers_dial_a_number_or_wait_in_a_named_queue() -> None:
    voice = render(Turn((line("agent.connecting"),), Transfer()))
    relay = render(Turn((), Transfer()), relay=True)
    assert voice.find("Dial/Number").text == "+16175550199"
    assert relay.find("Enqueue").text == "relay-representatives"


def test_hangup_says_then_hangs_up() -> None:
    root = render(Turn((line("goodbye.thanks"),), Hangup()))
    assert [child.tag for child in root] == ["Say", "Hangup"]


def test_every_prompt_exists_in_both_languages() -> None:
    catalog = Catalog.load(BusinessHours())
    assert LANGUAGES == ("en", "es")
    assert len(catalog.keys("en")) > 100 and catalog.keys("en") == catalog.keys("es")


def test_every_literal_prompt_key_in_the_flow_is_in_the_catalog() -> None:
    import re
    from pathlib import Path

    import ivr

    source = "".join(path.read_text() for path in Path(ivr.__file__).parent.rglob("*.py"))
    used = set(re.findall(r'line\(\s*"([a-z_.]+)"', source))
    assert len(used) > 40
    assert used - Catalog.load(BusinessHours()).keys("en") == set()


def test_a_name_with_control_characters_still_makes_valid_twiml() -> None:
    root = render(Turn((line("verify.thanks", name="A\x01na\u202e\x1b"),), Hangup()))
    assert root.find("Say").text == "Thank you, Ana."
