import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.speech.digits import DIGIT_HINTS, speech_to_keys

EN_DIGITS = "zero one two three four five six seven eight nine".split()
ES_DIGITS = "cero uno dos tres cuatro cinco seis siete ocho nueve".split()
digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=20)


@pytest.mark.parametrize(
    ("said", "keys"),
    [
        ("one two three", "123"),
        ("1 2 3", "123"),
        ("123", "123"),
        ("One, two, three.", "123"),
        ("oh five", "05"),
        ("zero", "0"),
        ("double five", "55"),
        ("triple 3", "333"),
        ("four double two", "422"),
        ("star", "*"),
        ("pound", "#"),
        ("hash", "#"),
        ("number sign", "#"),
        ("pound sign", "#"),
        ("star key", "*"),
        ("1 2 3 #", "123#"),
        ("Um, the number is 4 2, uh, 4 2.", "4242"),
        ("it's one-two-three", "123"),
        ("555-1234", "5551234"),
    ],
)
def test_english(said: str, keys: str) -> None:
    assert speech_to_keys(said, "en") == keys


@pytest.mark.parametrize(
    ("said", "keys"),
    [
        ("uno dos tres", "123"),
        ("cero", "0"),
        ("asterisco", "*"),
        ("numeral", "#"),
        ("almohadilla", "#"),
        ("gato", "#"),
        ("signo de número", "#"),
        ("doble cinco", "55"),
        ("Triple seis", "666"),
        ("Este, el número es cinco cinco.", "55"),
        ("4 2 4 2", "4242"),
    ],
)
def test_spanish(said: str, keys: str) -> None:
    assert speech_to_keys(said, "es") == keys


@pytest.mark.parametrize(
    ("said", "lang"),
    [
        ("twenty three", "en"),  # a number word, not digits: ambiguous
        ("one thousand", "en"),
        ("45.50", "en"),  # a decimal point changes the meaning of the digits
        ("8:30", "en"),
        ("double", "en"),
        ("double double five", "en"),
        ("double 55", "en"),
        ("five double", "en"),
        ("", "en"),
        ("um, uh", "en"),
        ("$45", "en"),
        ("one two three", "es"),  # English words on a Spanish call
        ("tres o cuatro", "es"),  # "or": the operator was unsure
        ("veintitrés", "es"),
        ("five four for", "en"),
    ],
)
def test_not_understood_is_none(said: str, lang: str) -> None:
    assert speech_to_keys(said, lang) is None


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError):
        speech_to_keys("one", "fr")


@given(digit_strings)
def test_english_digit_words_round_trip(digits: str) -> None:
    assert speech_to_keys(" ".join(EN_DIGITS[int(d)] for d in digits), "en") == digits


@given(digit_strings)
def test_spanish_digit_words_round_trip(digits: str) -> None:
    assert speech_to_keys(" ".join(ES_DIGITS[int(d)] for d in digits), "es") == digits


@given(digit_strings, st.sampled_from(["en", "es"]), st.sampled_from([" ", ", ", "-"]))
def test_numerals_round_trip(digits: str, lang: str, separator: str) -> None:
    assert speech_to_keys(separator.join(digits), lang) == digits
    assert speech_to_keys(digits, lang) == digits


@given(st.text(max_size=30), st.sampled_from(["en", "es"]))
def test_any_text_gives_keys_or_none(text: str, lang: str) -> None:
    keys = speech_to_keys(text, lang)
    assert keys is None or (keys and set(keys) <= set("0123456789*#"))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_hint_is_understood(lang: str) -> None:
    hints = DIGIT_HINTS[lang].split(", ")
    assert len(hints) == len(set(hints)) >= 13
    for hint in hints:
        said = f"{hint} {hints[0]}" if hint in {"double", "triple", "doble"} else hint
        assert speech_to_keys(said, lang) is not None, hint
