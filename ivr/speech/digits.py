"""Digits said aloud by a relay (TTY) operator, as Twilio's SpeechResult text, turned into keys.

Only digit words ("one", "oh", "cero"), the numerals themselves ("1 2 3", "123"), '*' and '#'
words, "double"/"triple" before one key, and filler are understood. Number words such as
"twenty three" are refused: "twenty three" may mean "23" or "203" or "2003", and a payment line
must re-ask rather than guess. Anything not understood makes the whole answer None.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from ivr.speech.words import check_language

KEYS = frozenset("0123456789*#")

DIGIT_HINTS: dict[str, str] = {
    "en": "zero, oh, one, two, three, four, five, six, seven, eight, nine, star, pound, "
    "double, triple",
    "es": "cero, uno, dos, tres, cuatro, cinco, seis, siete, ocho, nueve, asterisco, numeral, "
    "doble, triple",
}

_DIGIT_WORDS = {
    "en": "zero one two three four five six seven eight nine".split(),
    "es": "cero uno dos tres cuatro cinco seis siete ocho nueve".split(),
}
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        **{word: str(digit) for digit, word in enumerate(_DIGIT_WORDS["en"])},
        **dict.fromkeys(("oh", "o"), "0"),
        **dict.fromkeys(("star", "asterisk"), "*"),
        **dict.fromkeys(("pound", "hash", "hashtag"), "#"),
    },
    "es": {
        **{word: str(digit) for digit, word in enumerate(_DIGIT_WORDS["es"])},
        **dict.fromkeys(("asterisco", "estrella"), "*"),
        **dict.fromkeys(("numeral", "almohadilla", "gato"), "#"),
    },
}
# Phrases whose words would otherwise be read as filler ("number" alone is filler).
_PHRASES: dict[str, dict[tuple[str, ...], str]] = {
    "en": {("number", "sign"): "#"},
    "es": {("signo", "de", "numero"): "#", ("signo", "numero"): "#"},
}
_REPEATS = {"en": {"double": 2, "triple": 3}, "es": {"doble": 2, "triple": 3}}
_FILLER = {
    "en": frozenset(
        "um umm uh uhh uhm er erm ah hmm mm the number numbers is are it its my that thats "
        "digits digit and then okay ok so well sign key please".split()
    ),
    "es": frozenset(
        "eh em ehm mm este pues bueno el la los las numero numeros es son mi y luego ok okay "
        "digitos signo tecla de por favor".split()
    ),
}
_SEPARATORS = re.compile(r"[\s.,;:!?¿¡()\"“”/\-–—]+")
# "45.50" or "8:30" means something other than the digits in it: re-ask.
_INNER_POINT = re.compile(r"\d[.:]\d")


def _tokens(text: str) -> list[str]:
    """Lower-cased, accent-free words; apostrophes dropped so "it's" is "its"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("'", "").replace("’", "")
    return [token for token in _SEPARATORS.split(plain) if token]


def _match_phrase(tokens: list[str], start: int, lang: str) -> tuple[str, int] | None:
    for phrase, key in _PHRASES[lang].items():
        if tuple(tokens[start : start + len(phrase)]) == phrase:
            return key, len(phrase)
    return None


def _as_keys(token: str, lang: str) -> str | None:
    if token in _WORDS[lang]:
        return _WORDS[lang][token]
    if set(token) <= KEYS:
        return token
    return None


def _items(tokens: list[str], lang: str) -> Iterator[str | int | None]:
    """Keys (str), repeat counts (int) or None (not understood); filler yields nothing."""
    index = 0
    while index < len(tokens):
        phrase = _match_phrase(tokens, index, lang)
        if phrase:
            yield phrase[0]
            index += phrase[1]
            continue
        token = tokens[index]
        index += 1
        if token in _REPEATS[lang]:
            yield _REPEATS[lang][token]
        elif token not in _FILLER[lang]:
            yield _as_keys(token, lang)


def speech_to_keys(text: str, lang: str) -> str | None:
    """The keys said in `text` ("double five, star" → "55*"), or None if anything is unclear."""
    check_language(lang)
    if _INNER_POINT.search(text):
        return None
    keys: list[str] = []
    repeat = 1
    for item in _items(_tokens(text), lang):
        if item is None or (isinstance(item, int) and repeat > 1):
            return None
        if isinstance(item, int):
            repeat = item
        elif repeat > 1 and len(item) != 1:
            return None
        else:
            keys.append(item * repeat)
            repeat = 1
    return "".join(keys) if keys and repeat == 1 else None
