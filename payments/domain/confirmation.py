"""Confirmation numbers a caller can hear right and write down.

Letters that rhyme on a phone line (B, C, D, E, G, P, T, V, Z; A, J, K; F, S, X; I, Y; M, N;
Q, U, W) are all left out but one of each kind, and so are letters that look like digits (O, I,
L, B, S, Z) and the digits 0 and 1. Each letter is spoken with a word ("K as in King"), in groups
of four (ivr.speech.say_characters).
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789HKRWXY"
LENGTH = 8


def new_confirmation() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_confirmation(text: str) -> bool:
    return len(text) == LENGTH and all(char in ALPHABET for char in text)
