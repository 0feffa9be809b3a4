"""Reading TwiML the way Twilio does: the document, and the attributes of the verbs acted on.

Anything Twilio would refuse (or silently "fix" with a debugger warning) raises TwimlError, so a
test sees it as the "application error" a real caller would hear.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin

from devtools.phone.events import Gathered, Paused, Played, Said, Transferred

WORDS_PER_SECOND = 2.5  # about 150 words a minute, the pace of Twilio's voices
_INPUT_MODES = frozenset({"dtmf", "speech"})
_FINISH_KEYS = frozenset("0123456789#*") | {""}
_DIAL_NOUNS = {
    "Number": "number",
    "Queue": "queue",
    "Sip": "sip",
    "Client": "client",
    "Conference": "conference",
}


# statusCallbackEvent words of <Conference>, and the StatusCallbackEvent each one sends.
CONFERENCE_EVENTS = {
    "start": "conference-start",
    "end": "conference-end",
    "join": "participant-join",
    "leave": "participant-leave",
    "mute": "participant-mute",
    "hold": "participant-hold",
    "modify": "participant-modify",
    "speaker": "participant-speech-start",
    "announcement": "announcement-end",
}
DEFAULT_CONFERENCE_EVENTS = "start end"  # what a statusCallback without statusCallbackEvent gets


class TwimlError(Exception):
    """The reply is not TwiML Twilio would run (the caller hears "an application error")."""


@dataclass(frozen=True)
class ConferenceSpec:
    """A `<Dial><Conference>`: which conference, and where its status callbacks go."""

    name: str
    status_callback: str | None = None  # absolute
    status_callback_method: str = "POST"
    events: frozenset[str] = frozenset()  # StatusCallbackEvent values, e.g. "participant-join"
    start_on_enter: bool = True
    end_on_exit: bool = False


def parse_document(status: int, body: str) -> ET.Element:
    if status != 200:
        raise TwimlError(f"HTTP {status}{_excerpt(body)}")
    if not body.strip():
        raise TwimlError("empty response body")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise TwimlError(f"response is not XML ({error}){_excerpt(body)}") from error
    if root.tag != "Response":
        raise TwimlError(f"root element is <{root.tag}>, not <Response>")
    return root


def read_say(element: ET.Element) -> Said:
    text = " ".join("".join(element.itertext()).split())
    loop = _integer(element, "loop", default=1, minimum=0)
    return Said(text, element.get("language", "en-US"), element.get("voice"), loop)


def speaking_time(said: Said) -> float:
    return len(said.text.split()) / WORDS_PER_SECOND * max(said.loop, 1)


def read_play(element: ET.Element) -> Played:
    digits = element.get("digits")
    return Played((element.text or "").strip() or f"digits:{digits}")


def read_pause(element: ET.Element) -> Paused:
    return Paused(_integer(element, "length", default=1, minimum=1))


def read_gather(element: ET.Element, document_url: str) -> Gathered:
    action = element.get("action", "").strip()
    return Gathered(
        action=urljoin(document_url, action) if action else document_url,
        method=_method(element),
        input=_input_modes(element),
        timeout=_integer(element, "timeout", default=5, minimum=1),
        finish_on_key=_finish_key(element),
        num_digits=_optional_integer(element, "numDigits", minimum=1),
        speech_timeout=element.get("speechTimeout"),
        hints=element.get("hints"),
        language=element.get("language", "en-US"),
        action_on_empty_result=_boolean(element, "actionOnEmptyResult"),
        attrs=dict(element.attrib),
    )


def read_redirect(element: ET.Element, document_url: str) -> tuple[str, str]:
    """The absolute URL and method of a <Redirect>."""
    target = (element.text or "").strip()
    if not target:
        raise TwimlError("<Redirect> has no URL")
    return urljoin(document_url, target), _method(element)


def read_transfer(element: ET.Element) -> Transferred:
    """Where a <Dial> or <Enqueue> sends the caller."""
    if element.tag == "Enqueue":
        return Transferred((element.text or "").strip(), "queue")
    nouns = [child for child in element if child.tag in _DIAL_NOUNS]
    if nouns:
        targets = ", ".join((noun.text or "").strip() for noun in nouns)
        return Transferred(targets, _DIAL_NOUNS[nouns[0].tag])
    target = (element.text or "").strip()
    if not target:
        raise TwimlError("<Dial> has neither a number nor a noun to dial")
    return Transferred(target, "number")


def read_conference(dial: ET.Element, document_url: str) -> ConferenceSpec | None:
    """The `<Conference>` a `<Dial>` joins, or None when it dials something else."""
    noun = dial.find("Conference")
    if noun is None:
        return None
    name = (noun.text or "").strip()
    if not name:
        raise TwimlError("<Conference> has no name")
    callback = noun.get("statusCallback", "").strip()
    words = noun.get("statusCallbackEvent", DEFAULT_CONFERENCE_EVENTS if callback else "")
    unknown = sorted(set(words.replace(",", " ").split()) - set(CONFERENCE_EVENTS))
    if unknown:
        expected = " ".join(CONFERENCE_EVENTS)
        raise TwimlError(f"<Conference> statusCallbackEvent: {unknown} not among {expected}")
    return ConferenceSpec(
        name=name,
        status_callback=urljoin(document_url, callback) if callback else None,
        status_callback_method=_method(noun, "statusCallbackMethod"),
        events=frozenset(CONFERENCE_EVENTS[word] for word in words.replace(",", " ").split()),
        start_on_enter=_boolean(noun, "startConferenceOnEnter", default=True),
        end_on_exit=_boolean(noun, "endConferenceOnExit"),
    )


def read_enqueue(element: ET.Element) -> str:
    """The queue an `<Enqueue>` waits in."""
    name = (element.text or "").strip()
    if not name:
        raise TwimlError("<Enqueue> has no queue name")
    return name


def _method(element: ET.Element, attribute: str = "method") -> str:
    method = element.get(attribute, "POST").upper()
    if method not in ("GET", "POST"):
        raise TwimlError(f"<{element.tag}> {attribute}={method!r} is neither GET nor POST")
    return method


def _input_modes(element: ET.Element) -> str:
    value = element.get("input", "dtmf")
    modes = value.split()
    if not modes or not set(modes) <= _INPUT_MODES:
        raise TwimlError(f"<Gather> input={value!r}: expected dtmf, speech or 'dtmf speech'")
    return " ".join(modes)


def _finish_key(element: ET.Element) -> str:
    key = element.get("finishOnKey", "#")
    if key not in _FINISH_KEYS:
        raise TwimlError(f"<Gather> finishOnKey={key!r}: expected one of 0-9 # * or ''")
    return key


def _integer(element: ET.Element, name: str, default: int, minimum: int) -> int:
    value = _optional_integer(element, name, minimum)
    return default if value is None else value


def _optional_integer(element: ET.Element, name: str, minimum: int) -> int | None:
    raw = element.get(name)
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise TwimlError(f"<{element.tag}> {name}={raw!r}: expected an integer >= {minimum}")
    return value


def _boolean(element: ET.Element, name: str, default: bool = False) -> bool:
    raw = element.get(name, "true" if default else "false")
    if raw.lower() not in ("true", "false"):
        raise TwimlError(f"<{element.tag}> {name}={raw!r}: expected true or false")
    return raw.lower() == "true"


def _excerpt(body: str, limit: int = 160) -> str:
    flat = " ".join(body.split())
    if not flat:
        return ""
    return f": {flat[:limit]}…" if len(flat) > limit else f": {flat}"
