"""Commands a relay operator may say at any prompt, in both languages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.speech.commands import BACK, HELP, REPEAT, REPRESENTATIVE, spoken_command


@pytest.mark.parametrize(
    ("text", "lang", "command"),
    [
        ("repeat", "en", REPEAT),
        ("Could you say that again, please?", "en", REPEAT),
        ("I want to talk to a representative", "en", REPRESENTATIVE),
        ("agent", "en", REPRESENTATIVE),
        ("help", "en", HELP),
        ("go back", "en", BACK),
        ("Repita, por favor", "es", REPEAT),
        ("quiero hablar con un representante", "es", REPRESENTATIVE),
        ("agente", "es", REPRESENTATIVE),
        ("ayuda", "es", HELP),
        ("volver", "es", BACK),
        ("atrás", "es", BACK),
    ],
)
def test_commands_are_understood(text: str, lang: str, command: str) -> None:
    assert spoken_command(text, lang) == command


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("four two four two", "en"),
        ("repeat one two", "en"),  # a command with digits is not a command
        ("help representative", "en"),  # two commands at once: ask again
        ("please", "en"),
        ("", "es"),
        ("representative", "es"),  # an English word in a Spanish call is not a command
    ],
)
def test_anything_else_is_not_a_command(text: str, lang: str) -> None:
    assert spoken_command(text, lang) is None


@given(st.lists(st.sampled_from("zero one two three four five six seven eight nine".split())))
def test_digits_are_never_mistaken_for_a_command(words: list[str]) -> None:
    assert spoken_command(" ".join(words), "en") is None
