"""Confirmation numbers that are easy to say and hear over the phone."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L, 8/B, 5/S, 2/Z, nor G/Q/U/V that sound or look alike on a bad line.
ALPHABET = "34679ACDEFHJKMNPRTWXY"
LENGTH = 8


def new_confirmation() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_confirmation(text: str) -> bool:
    return len(text) == LENGTH and all(char in ALPHABET for char in text)
