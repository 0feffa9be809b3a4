"""Turn a flow's decision into TwiML for the voice caller or the relay operator.

Voice and relay differ here only: relay Gathers wait at least RELAY_GATHER_TIMEOUT seconds
(longer after each silence), accept speech beside keys with digit hints, and use the shorter
wordings; transfers go to the relay-capable queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from twilio.twiml.voice_response import Dial, VoiceResponse

from ivr.config import Settings
from ivr.engine import Turn
from ivr.flows.base import Ask, Hangup, Hold, Input, Line, Transfer
from ivr.prompts import Catalog
from ivr.spoken_digits import DIGIT_HINTS

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
        response = VoiceResponse()
        said = self.words(turn.said, how.lang, how.relay, how.today)
        then = turn.then
        if isinstance(then, Ask):
            first = self.words(then.heard_first, how.lang, how.relay, how.today)
            asked = self.words(then.lines, how.lang, how.relay, how.today)
            if first:  # heard to the end: no key counts until the question itself
                self._say(response, said + first)
                said = []
            self._gather(response, said + asked, then, how)
        elif isinstance(then, Transfer):
            self._say(response, said)
            self._connect(response, how)
        elif isinstance(then, Hold):
            self._say(response, said)
            response.pause(length=HOLD_PAUSE)
            response.redirect(f"{self.path}?t={how.turn_no}&hold=1", method="POST")
        else:
            assert isinstance(then, Hangup)
            self._say(response, said)
            response.hangup()
        return str(response)

    def busy(self, turn_no: int | None, retry: int) -> str:
        """A moment's quiet, then the same turn asked for again (its answer is stored then);
        the call's first webhook (no turn yet) is asked for again as the first."""
        response = VoiceResponse()
        response.pause(length=BUSY_PAUSE)
        turn = f"t={turn_no}&" if turn_no is not None else ""
        response.redirect(f"{self.path}?{turn}retry={retry}", method="POST")
        return str(response)

    def timeout(self, how: Rendering) -> int:
        if not how.relay:
            return self.settings.voice_timeout
        extra = RELAY_SILENCE_EXTRA * how.silences
        cap = max(RELAY_TIMEOUT_CAP, self.settings.relay_timeout)
        return min(self.settings.relay_timeout + extra, cap)

    def _gather(
        self, response: VoiceResponse, texts: list[Spoken], ask: Ask, how: Rendering
    ) -> None:
        _, language = VOICES[how.lang]
        options: dict[str, object] = {
            "action": f"{self.path}?t={how.turn_no}",
            "method": "POST",
            "timeout": self.timeout(how),
            "finish_on_key": "#",
            # Post even with nothing keyed: a lone '#' (FinishedOnKey) is an answer, not silence.
            "action_on_empty_result": True,
        }
        if ask.kind is Input.MENU and not ask.lenient:
            options["num_digits"] = 1
        elif ask.fixed_length:
            options["num_digits"] = ask.fixed_length  # no wait after the last key
        if how.relay:
            options.update(
                input="dtmf speech",
                language=language,
                hints=DIGIT_HINTS[how.lang],
                speech_timeout=self.settings.relay_speech_timeout,
            )
        else:
            options["input"] = "dtmf"
        gather = response.gather(**options)
        for spoken in texts:
            voice, spoken_language = VOICES[spoken.lang]
            gather.say(spoken.text, voice=voice, language=spoken_language)
        response.redirect(f"{self.path}?t={how.turn_no}&silence=1", method="POST")

    def _say(self, response: VoiceResponse, texts: list[Spoken]) -> None:
        for spoken in texts:
            voice, language = VOICES[spoken.lang]
            response.say(spoken.text, voice=voice, language=language)

    def _connect(self, response: VoiceResponse, how: Rendering) -> None:
        """Join the call's conference (an agent's phone is dialled into it), or wait in the
        representatives' queue when a queue name is configured."""
        if how.conference:
            dial = Dial()
            dial.conference(
                how.conference,
                status_callback=how.status_url,
                status_callback_event="join leave end",
                status_callback_method="POST",
                beep=False,
            )
            response.append(dial)
            return
        target = self.settings.relay_agent_number if how.relay else self.settings.agent_number
        if target.startswith("+"):
            dial = Dial()
            dial.number(target)
            response.append(dial)
        else:
            response.enqueue(target)
