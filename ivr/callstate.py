"""Call state between webhooks: one JSON value per CallSid, plus a short-lived sealed secret.

The state holds no card or bank numbers. Numbers being collected live in a separate key,
encrypted (Fernet) with a TTL of minutes, and are erased as soon as the gateway answers.
A webhook holds the call's lock from load to save, so a redelivered webhook waits and then
sees the turn already answered. With Redis that is two round trips per webhook: one script
takes the lock and reads both keys, one writes them and releases the lock.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEEP = object()  # commit: leave the secret as it is


class StoreUnavailable(Exception):
    """The call-state store cannot be reached; the caller must be told and helped."""


@dataclass(frozen=True)
class Held:
    """A call's lock, with what was stored when it was taken."""

    token: str
    state: bytes | None
    secret: bytes | None


class KeyValue(Protocol):
    def acquire(self, call_sid: str) -> Held: ...
    def commit(self, call_sid: str, held: Held, state: bytes, secret: Any) -> None: ...
    def release(self, call_sid: str, held: Held) -> None: ...
    def forget(self, call_sid: str) -> None: ...
    def ping(self) -> bool: ...


def fernet_from(secret: str, explicit_key: str | None) -> Fernet:
    """The sealing key: CALL_STATE_KEY if given, else derived from the Twilio auth token."""
    if explicit_key:
        return Fernet(explicit_key.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ivr-call-secrets")
    return Fernet(base64.urlsafe_b64encode(derived.derive(secret.encode())))


@dataclass
class OpenCall:
    """One webhook's view of a call while its lock is held."""

    state: dict[str, Any] | None
    _sealed: bytes | None
    _fernet: Fernet
    _secret_ttl: int
    secrets: dict[str, str] = field(default_factory=dict)
    _unsealed: bool = False
    _as_read: dict[str, str] = field(default_factory=dict)
    _saved: tuple[dict[str, Any], Any] | None = None

    def unseal(self) -> dict[str, str]:
        """The call's card or bank numbers, decrypted only when a step needs them."""
        if not self._unsealed and self._sealed:
            try:
                self.secrets = json.loads(self._fernet.decrypt(self._sealed, ttl=self._secret_ttl))
            except InvalidToken:
                self.secrets = {}  # expired: the flow asks for the details again
            self._as_read = dict(self.secrets)
        self._unsealed = True
        return self.secrets

    def save(self, state: dict[str, Any], secrets: dict[str, str]) -> None:
        """Seal the secrets again only when the webhook changed them."""
        secret: Any = KEEP
        if secrets != self._as_read:
            secret = self._fernet.encrypt(json.dumps(secrets).encode()) if secrets else None
        state["sealed"] = bool(secrets) if secret is not KEEP else bool(self._sealed)
        self._saved = (state, secret)


class CallStore:
    """Opens a call under its lock, and saves it back when the webhook has answered."""

    def __init__(self, kv: KeyValue, fernet: Fernet, secret_ttl: int) -> None:
        self.kv = kv
        self._fernet = fernet
        self._secret_ttl = secret_ttl

    @contextmanager
    def open(self, call_sid: str) -> Iterator[OpenCall]:
        held = self.kv.acquire(call_sid)
        state = json.loads(held.state) if held.state else None
        call = OpenCall(state, held.secret, self._fernet, self._secret_ttl)
        try:
            yield call
        except BaseException:
            self.kv.release(call_sid, held)
            raise
        if call._saved is None:
            self.kv.release(call_sid, held)
            return
        state, secret = call._saved
        self.kv.commit(call_sid, held, json.dumps(state, separators=(",", ":")).encode(), secret)

    def load(self, call_sid: str) -> dict[str, Any] | None:
        """Read a call's state (for tests and tools); takes and releases the lock."""
        with self.open(call_sid) as call:
            return call.state

    def forget(self, call_sid: str) -> None:
        self.kv.forget(call_sid)


def new_token() -> str:
    return uuid.uuid4().hex


def wait_for(attempt: Any, timeout: float, what: str) -> Any:
    """Retry `attempt` until it returns something, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while (result := attempt()) is None:
        if time.monotonic() > deadline:
            raise StoreUnavailable(f"{what} is busy")
        time.sleep(0.01)
    return result
