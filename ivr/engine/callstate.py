"""Call state between webhooks: one JSON value per CallSid, plus a short-lived sealed secret.

The state holds no card or bank numbers. Numbers being collected live in a separate key,
encrypted (Fernet) with a TTL of minutes, and are erased as soon as the gateway answers.
A webhook holds the call's lock from load to save, so a redelivered webhook waits and then
sees the turn already answered. With Redis that is two round trips per webhook: one script
takes the lock and reads both keys, one writes them and releases the lock.

When a call ends its state becomes a tombstone (ENDED) and its secret is deleted: a webhook
still running for it cannot write either back, and a late one is answered with a hang-up.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEEP = object()  # commit: leave the secret as it is
ENDED = b'{"ended":true}'  # the state of a call that has ended
# Nobody asks again when the erase at hang-up fails (Twilio does not retry a status callback),
# so a store blip is waited out for this long, well within Twilio's 15 s for a callback.
FORGET_SECONDS = 8.0


class StoreUnavailable(Exception):
    """The call-state store cannot be reached; the caller must be told and helped."""


class TurnNotSaved(StoreUnavailable):
    """A turn ran but its state could not be written. Asking for the same turn again replays
    it on the state saved before, which is safe: a payment is started under the idempotency key
    drawn by an earlier turn (a replay starts nothing new), and the rest only reads or is
    written again the same way."""


class CallBusy(StoreUnavailable):
    """Another webhook of the same call holds its lock (a slow turn, or a redelivery)."""


@dataclass(frozen=True)
class Held:
    """A call's lock, with what was stored when it was taken."""

    token: str
    state: bytes | None
    secret: bytes | None


class KeyValue(Protocol):
    def acquire(self, call_sid: str) -> Held: ...
    def commit(self, call_sid: str, held: Held, state: bytes, secret: Any) -> bool: ...
    def release(self, call_sid: str, held: Held) -> None: ...
    def forget(self, call_sid: str) -> None: ...
    def ping(self) -> bool: ...
    def put_record(self, kind: str, key: str, value: bytes, ttl: int) -> None: ...
    def get_record(self, kind: str, key: str) -> bytes | None: ...
    def delete_record(self, kind: str, key: str) -> None: ...
    def list_records(self, kind: str) -> list[bytes]: ...


def fernet_from(secret: str, explicit_key: str | None) -> Fernet:
    """The sealing key: CALL_STATE_KEY if given, else derived from the Twilio auth token."""
    if explicit_key:
        return Fernet(explicit_key.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ivr-call-secrets")
    return Fernet(base64.urlsafe_b64encode(derived.derive(secret.encode())))


@dataclass
class OpenCall:
    """One webhook's view of a call while its lock is held."""

    call_sid: str
    state: dict[str, Any] | None
    _held: Held
    _store: CallStore
    secrets: dict[str, str] = field(default_factory=dict)
    _unsealed: bool = False
    _as_read: dict[str, str] = field(default_factory=dict)
    committed: bool = False

    @property
    def ended(self) -> bool:
        return self.state == {"ended": True}

    def unseal(self) -> dict[str, str]:
        """The call's card or bank numbers, decrypted only when a step needs them."""
        if not self._unsealed and self._held.secret:
            self.secrets = self._store.unseal(self._held.secret)
            self._as_read = dict(self.secrets)
        self._unsealed = True
        return self.secrets

    def save(self, state: dict[str, Any], secrets: dict[str, str]) -> bool:
        """Write the state (and the secrets, sealed again only if changed) and release the
        lock; False when the call ended meanwhile and nothing was written. Raises
        StoreUnavailable when the store fails."""
        secret: Any = KEEP
        if secrets != self._as_read:
            secret = self._store.seal(secrets) if secrets else None
        state["sealed"] = bool(secrets) if secret is not KEEP else bool(self._held.secret)
        blob = json.dumps(state, separators=(",", ":")).encode()
        written = self._store.kv.commit(self.call_sid, self._held, blob, secret)
        self.committed = True
        return written


class CallStore:
    """Opens a call under its lock; the webhook saves it when it has answered."""

    def __init__(self, kv: KeyValue, fernet: Fernet, secret_ttl: int) -> None:
        self.kv = kv
        self._fernet = fernet
        self._secret_ttl = secret_ttl

    @contextmanager
    def open(self, call_sid: str) -> Iterator[OpenCall]:
        held = self.kv.acquire(call_sid)
        state = json.loads(held.state) if held.state else None
        call = OpenCall(call_sid, state, held, self)
        try:
            yield call
        finally:
            if not call.committed:
                self._release(call_sid, held)

    def _release(self, call_sid: str, held: Held) -> None:
        try:
            self.kv.release(call_sid, held)
        except StoreUnavailable:
            pass  # the lock expires by itself; the webhook's own answer matters more

    def seal(self, secrets: dict[str, str]) -> bytes:
        return self._fernet.encrypt(json.dumps(secrets).encode())

    def unseal(self, sealed: bytes) -> dict[str, str]:
        try:
            return json.loads(self._fernet.decrypt(sealed, ttl=self._secret_ttl))
        except InvalidToken:
            return {}  # expired: the flow asks for the details again

    def load(self, call_sid: str) -> dict[str, Any] | None:
        """Read a call's state (for tests and tools); takes and releases the lock."""
        with self.open(call_sid) as call:
            return call.state

    def forget(self, call_sid: str) -> None:
        """The call ended: leave a tombstone and erase its secrets, waiting out a store that
        is out of reach for up to FORGET_SECONDS."""
        deadline = time.monotonic() + FORGET_SECONDS
        while True:
            try:
                return self.kv.forget(call_sid)
            except StoreUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)


def new_token() -> str:
    """A lock holder's token: 128 random bits, in hex."""
    return secrets.token_hex(16)


def wait_for(attempt: Any, timeout: float, what: str) -> Any:
    """Retry `attempt` until it returns something, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while (result := attempt()) is None:
        if time.monotonic() > deadline:
            raise CallBusy(f"{what} is busy")
        time.sleep(0.01)
    return result
