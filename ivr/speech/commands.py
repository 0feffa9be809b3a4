"""Commands a relay operator may say at any prompt, in English or Spanish: repeat, a
representative, help, go back. An answer made only of a command's words (and filler such as
"please" or "I want to talk to") is that command; anything else is left to the digit reader.
"""

from __future__ import annotations

import re
import unicodedata

from ivr.speech.words import check_language

REPEAT, REPRESENTATIVE, HELP, BACK = "repeat", "representative", "help", "back"

_COMMANDS: dict[str, dict[str, str]] = {
    "en": {
        **dict.fromkeys(("repeat", "again"), REPEAT),
        **dict.fromkeys(("representative", "agent", "operator", "person", "human"), REPRESENTATIVE),
        "help": HELP,
        **dict.fromkeys(("back", "previous"), BACK),
    },
    "es": {
        **dict.fromkeys(("repetir", "repita", "repite", "otra"), REPEAT),
        **dict.fromkeys(("representante", "agente", "operador", "persona"), REPRESENTATIVE),
        "ayuda": HELP,
        **dict.fromkeys(("volver", "atras", "regresar", "anterior"), BACK),
    },
}
_FILLER = {
    "en": frozenset(
        "please i want would could like to talk speak with a an the go say that me can you "
        "um uh".split()
    ),
    "es": frozenset(
        "por favor quiero quisiera hablar con un una el la al vez puede me diga eh este".split()
    ),
}
_SEPARATORS = re.compile(r"[\s.,;:!?¿¡()\"“”'’\-]+")


def spoken_command(text: str, lang: str) -> str | None:
    """The command said in `text` (REPEAT, REPRESENTATIVE, HELP, BACK), or None."""
    check_language(lang)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = [word for word in _SEPARATORS.split(plain) if word and word not in _FILLER[lang]]
    found = {_COMMANDS[lang].get(word) for word in words}
    return found.pop() if len(found) == 1 and None not in found else None
