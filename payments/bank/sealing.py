"""Bank account numbers at rest (NACHA's account data rule): sealed with Fernet under
`BANK_DATA_KEY`, never stored in clear.

`BANK_DATA_KEY` holds one or more Fernet keys, comma-separated: the first seals, all of them
open, so a key is rotated by putting the new one first and keeping the old ones for as long as
anything sealed under them is kept.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SealedDataError(ValueError):
    """A sealed account number that no configured key opens (a lost or rotated-out key)."""


class Sealer:
    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise ValueError("BANK_DATA_KEY needs at least one Fernet key")
        self._fernet = MultiFernet([Fernet(part.encode()) for part in parts])

    @classmethod
    def ephemeral(cls) -> Sealer:
        """A key that lives as long as this process: for tests only."""
        return cls(Fernet.generate_key().decode())

    def seal(self, account_number: str) -> str:
        return self._fernet.encrypt(account_number.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SealedDataError("a sealed account number could not be opened") from None

    def reseal(self, token: str) -> str:
        """`token` sealed again under the first key (key rotation)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SealedDataError("a sealed account number could not be opened") from None


def new_key() -> str:
    return Fernet.generate_key().decode()
