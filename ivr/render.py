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
class Rendering:
    lang: str
    relay: bool
    turn_no: int
    silences: int = 0
    today: date | None = None


class Renderer:
    def __init__(self, catalog: Catalog, settings: Settings, path: str = "/webhooks/voice") -> None:
        self.catalog = catalog
        self.settings = settings
        self.path = path

    def words(
        self, lines: tuple[Line, ...], lang: str, relay: bool, today: date | None
    ) -> list[str]:
        return [self.catalog.text(line, lang, relay, today) for line in lines]

    def speak(self, lines: tuple[Line, ...], lang: str, relay: bool, today: date) -> str:
        """The exact words said for `lines`: kept as the record of an authorization."""
        return " ".join(self.words(lines, lang, relay, today))

    def render(self, turn: Turn, how: Rendering) -> str:
        response = VoiceResponse()
        said = self.words(turn.said, how.lang, how.relay, how.today)
        then = turn.then
        if isinstance(then, Ask):
            asked = self.words(then.lines, how.lang, how.relay, how.today)
            self._gather(response, said + asked, then, how)
        elif isinstance(then, Transfer):
            self._say(response, said, how.lang)
            self._connect(response, how.relay)
        elif isinstance(then, Hold):
            self._say(response, said, how.lang)
            response.pause(length=HOLD_PAUSE)
            response.redirect(f"{self.path}?t={how.turn_no}&hold=1", method="POST")
        else:
            assert isinstance(then, Hangup)
            self._say(response, said, how.lang)
            response.hangup()
        return str(response)

    def busy(self, turn_no: int, retry: int) -> str:
        """A moment's quiet, then the same turn asked for again (its answer is stored then)."""
        response = VoiceResponse()
        response.pause(length=BUSY_PAUSE)
        response.redirect(f"{self.path}?t={turn_no}&retry={retry}", method="POST")
        return str(response)

    def timeout(self, how: Rendering) -> int:
        if not how.relay:
            return self.settings.voice_timeout
        extra = RELAY_SILENCE_EXTRA * how.silences
        cap = max(RELAY_TIMEOUT_CAP, self.settings.relay_timeout)
        return min(self.settings.relay_timeout + extra, cap)

    def _gather(self, response: VoiceResponse, texts: list[str], ask: Ask, how: Rendering) -> None:
        voice, language = VOICES[how.lang]
        options: dict[str, object] = {
            "action": f"{self.path}?t={how.turn_no}",
            "method": "POST",
            "timeout": self.timeout(how),
            "finish_on_key": "#",
        }
        if ask.kind is Input.MENU:
            options["num_digits"] = 1
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
        for text in texts:
            gather.say(text, voice=voice, language=language)
        response.redirect(f"{self.path}?t={how.turn_no}&silence=1", method="POST")

    def _say(self, response: VoiceResponse, texts: list[str], lang: str) -> None:
        voice, language = VOICES[lang]
        for text in texts:
            response.say(text, voice=voice, language=language)

    def _connect(self, response: VoiceResponse, relay: bool) -> None:
        """Dial the representatives' number, or wait in their queue when a name is configured."""
        target = self.settings.relay_agent_number if relay else self.settings.agent_number
        if target.startswith("+"):
            dial = Dial()
            dial.number(target)
            response.append(dial)
        else:
            response.enqueue(target)
