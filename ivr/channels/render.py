"""Turn a flow's decision into TwiML for the voice caller or the relay operator.

Voice and relay differ here only: relay Gathers wait at least RELAY_GATHER_TIMEOUT seconds
(longer after each silence), accept speech beside keys with digit hints, and use the shorter
wordings; transfers go to the relay-capable queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ivr.channels.twiml import escape_text, response, say, verb
from ivr.config import Settings
from ivr.engine.engine import Turn
from ivr.flows.base import Ask, Hangup, Hold, Input, Line, Transfer
from ivr.prompts import Catalog
from ivr.speech.digits import DIGIT_HINTS

VOICES = {"en": ("Polly.Joanna", "en-US"), "es": ("Polly.Lupe", "es-US")}
RELAY_SILENCE_EXTRA = 15  # seconds added per consecutive silence: a warning and more time
RELAY_TIMEOUT_CAP = 120
HOLD_PAUSE = 2  # seconds of quiet in a hold before the call comes back for the answer
BUSY_PAUSE = 1  # seconds before a turn that ran out of time is asked for again


@dataclass(frozen=True)
class Spoken:
    """Words to <Say>, and the language whose voice says them."""

    text: str
    lang: str


@dataclass(frozen=True)
class Rendering:
    lang: str
    relay: bool
    turn_no: int
    silences: int = 0
    today: date | None = None
    conference: str | None = None  # a transfer joins this conference (agents with context)
    status_url: str = ""  # where the conference reports joins and leaves


class Renderer:
    def __init__(self, catalog: Catalog, settings: Settings, path: str = "/webhooks/voice") -> None:
        self.catalog = catalog
        self.settings = settings
        self.path = path

    def words(
        self, lines: tuple[Line, ...], lang: str, relay: bool, today: date | None
    ) -> list[Spoken]:
        """Each line's words, in its own language (the call's unless the line says)."""
        return [
            Spoken(self.catalog.text(line, line.lang or lang, relay, today), line.lang or lang)
            for line in lines
        ]

    def speak(self, lines: tuple[Line, ...], lang: str, relay: bool, today: date) -> str:
        """The exact words said for `lines`: kept as the record of an authorization."""
        return " ".join(spoken.text for spoken in self.words(lines, lang, relay, today))

    def render(self, turn: Turn, how: Rendering) -> str:
        said = self.words(turn.said, how.lang, how.relay, how.today)
        then = turn.then
        if isinstance(then, Ask):
            first = self.words(then.heard_first, how.lang, how.relay, how.today)
            asked = self.words(then.lines, how.lang, how.relay, how.today)
            verbs = []
            if first:  # heard to the end: no key counts until the question itself
                verbs = _says(said + first)
                said = []
            verbs += self._gather(said + asked, then, how)
        elif isinstance(then, Transfer):
            verbs = [*_says(said), self._connect(how)]
        elif isinstance(then, Hold):
            verbs = [
                *_says(said),
                verb("Pause", {"length": HOLD_PAUSE}),
                _redirect(f"{self.path}?t={how.turn_no}&hold=1"),
            ]
        else:
            assert isinstance(then, Hangup)
            verbs = [*_says(said), verb("Hangup")]
        return response(verbs)

    def busy(self, turn_no: int | None, retry: int) -> str:
        """A moment's quiet, then the same turn asked for again (its answer is stored then);
        the call's first webhook (no turn yet) is asked for again as the first."""
        turn = f"t={turn_no}&" if turn_no is not None else ""
        pause = verb("Pause", {"length": BUSY_PAUSE})
        return response([pause, _redirect(f"{self.path}?{turn}retry={retry}")])

    def timeout(self, how: Rendering) -> int:
        if not how.relay:
            return self.settings.voice_timeout
        extra = RELAY_SILENCE_EXTRA * how.silences
        cap = max(RELAY_TIMEOUT_CAP, self.settings.relay_timeout)
        return min(self.settings.relay_timeout + extra, cap)

    def _gather(self, texts: list[Spoken], ask: Ask, how: Rendering) -> list[str]:
        _, language = VOICES[how.lang]
        options: dict[str, str | int | bool] = {
            "action": f"{self.path}?t={how.turn_no}",
            "method": "POST",
            "timeout": self.timeout(how),
            "finishOnKey": "#",
            # Post even with nothing keyed: a lone '#' (FinishedOnKey) is an answer, not silence.
            "actionOnEmptyResult": True,
        }
        if ask.kind is Input.MENU and not ask.lenient:
            options["numDigits"] = 1
        elif ask.fixed_length:
            options["numDigits"] = ask.fixed_length  # no wait after the last key
        if how.relay:
            options.update(
                input="dtmf speech",
                language=language,
                hints=DIGIT_HINTS[how.lang],
                speechTimeout=self.settings.relay_speech_timeout,
            )
        else:
            options["input"] = "dtmf"
        gather = verb("Gather", options, "".join(_says(texts)))
        return [gather, _redirect(f"{self.path}?t={how.turn_no}&silence=1")]

    def _connect(self, how: Rendering) -> str:
        """Join the call's conference (an agent's phone is dialled into it), or wait in the
        representatives' queue when a queue name is configured."""
        if how.conference:
            conference: dict[str, str | int | bool] = {
                "beep": False,
                "statusCallback": how.status_url,
                "statusCallbackEvent": "join leave end",
                "statusCallbackMethod": "POST",
            }
            return verb("Dial", None, verb("Conference", conference, escape_text(how.conference)))
        target = self.settings.relay_agent_number if how.relay else self.settings.agent_number
        if target.startswith("+"):
            return verb("Dial", None, verb("Number", None, escape_text(target)))
        return verb("Enqueue", None, escape_text(target))


def _says(texts: list[Spoken]) -> list[str]:
    return [say(spoken.text, *VOICES[spoken.lang]) for spoken in texts]


def _redirect(url: str) -> str:
    return verb("Redirect", {"method": "POST"}, escape_text(url))
