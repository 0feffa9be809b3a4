"""Confirmation numbers a caller can hear right and write down: eight digits, spoken one by
one in two groups of four (ivr.speech.words.say_characters). No letters: letters rhyme on a phone
line (B, D, E, P, T, V...), and each needs a word to be sure of ("K as in King"), four times
the listening of a digit. 100 million numbers; one already taken is drawn again.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789"
LENGTH = 8


def new_confirmation() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_confirmation(text: str) -> bool:
    return len(text) == LENGTH and all(char in ALPHABET for char in text)
