"""Call state between webhooks: one JSON value per CallSid, plus a short-lived sealed secret.

The state holds no card or bank numbers. Numbers being collected live in a separate key,
encrypted (Fernet) with a TTL of minutes, and are erased as soon as the gateway answers.
Two stores: Redis for production, an in-process dict for single-process development.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class StoreUnavailable(Exception):
    """The call-state store cannot be reached; the caller must be told and helped."""


class KeyValue(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl: int) -> None: ...
    def delete(self, *keys: str) -> None: ...
    def lock(self, key: str) -> Any: ...  # a context manager held while one webhook runs
    def ping(self) -> bool: ...


class MemoryKeyValue:
    """In-process store with expiry; only correct with a single worker process."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, bytes]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._guard:
            item = self._data.get(key)
            if item is None or item[0] < time.monotonic():
                self._data.pop(key, None)
                return None
            return item[1]

    def set(self, key: str, value: bytes, ttl: int) -> None:
        with self._guard:
            self._data[key] = (time.monotonic() + ttl, value)

    def delete(self, *keys: str) -> None:
        with self._guard:
            for key in keys:
                self._data.pop(key, None)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=10):
            raise StoreUnavailable(f"call {key} is busy")
        try:
            yield
        finally:
            lock.release()

    def ping(self) -> bool:
        return True


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class RedisKeyValue:
    """Redis-backed store; safe across worker processes."""

    def __init__(self, client: Any, lock_timeout: float = 15.0) -> None:
        self._redis = client
        self._lock_timeout = lock_timeout

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return getattr(self._redis, method)(*args, **kwargs)
        except redis.RedisError as error:
            raise StoreUnavailable(f"redis: {type(error).__name__}") from error

    def get(self, key: str) -> bytes | None:
        return self._call("get", key)

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self._call("set", key, value, ex=ttl)

    def delete(self, *keys: str) -> None:
        self._call("delete", *keys)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        token, name = uuid.uuid4().hex, f"lock:{key}"
        deadline = time.monotonic() + self._lock_timeout
        while not self._call("set", name, token, nx=True, px=int(self._lock_timeout * 1000)):
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"call {key} is busy")
            time.sleep(0.01)
        try:
            yield
        finally:
            self._call("eval", _RELEASE, 1, name, token)

    def ping(self) -> bool:
        return bool(self._call("ping"))


def fernet_from(secret: str, explicit_key: str | None) -> Fernet:
    """The sealing key: CALL_STATE_KEY if given, else derived from the Twilio auth token."""
    if explicit_key:
        return Fernet(explicit_key.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ivr-call-secrets")
    return Fernet(base64.urlsafe_b64encode(derived.derive(secret.encode())))


class CallStore:
    """Loads and saves a call's state and its sealed secrets."""

    def __init__(self, kv: KeyValue, fernet: Fernet, ttl: int, secret_ttl: int) -> None:
        self.kv = kv
        self._fernet = fernet
        self._ttl = ttl
        self._secret_ttl = secret_ttl

    def load(self, call_sid: str) -> dict[str, Any] | None:
        raw = self.kv.get(f"call:{call_sid}")
        return None if raw is None else json.loads(raw)

    def save(self, call_sid: str, state: dict[str, Any]) -> None:
        self.kv.set(
            f"call:{call_sid}", json.dumps(state, separators=(",", ":")).encode(), self._ttl
        )

    def load_secrets(self, call_sid: str) -> dict[str, str]:
        raw = self.kv.get(f"secret:{call_sid}")
        if raw is None:
            return {}
        try:
            return json.loads(self._fernet.decrypt(raw, ttl=self._secret_ttl))
        except InvalidToken:
            return {}

    def save_secrets(self, call_sid: str, secrets: dict[str, str]) -> None:
        if not secrets:
            self.kv.delete(f"secret:{call_sid}")
            return
        sealed = self._fernet.encrypt(json.dumps(secrets).encode())
        self.kv.set(f"secret:{call_sid}", sealed, self._secret_ttl)

    def forget(self, call_sid: str) -> None:
        self.kv.delete(f"call:{call_sid}", f"secret:{call_sid}")

    def lock(self, call_sid: str) -> Any:
        return self.kv.lock(call_sid)
