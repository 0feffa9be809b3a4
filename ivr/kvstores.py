"""The two call-state stores: Redis (production, any number of workers) and an in-process
dict (development, one process)."""

from __future__ import annotations

import threading
import time
from typing import Any

from ivr.callstate import KEEP, Held, StoreUnavailable, new_token, wait_for

# KEYS: lock, state, secret. ARGV: token, lock ms.
_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2]) or '', redis.call('GET', KEYS[3]) or ''}
end
return {0}
"""
# KEYS: lock, state, secret. ARGV: token, state, ttl, secret mode (keep|set|del), secret, ttl.
_COMMIT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
if ARGV[4] == 'set' then redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[6])
elseif ARGV[4] == 'del' then redis.call('DEL', KEYS[3]) end
redis.call('DEL', KEYS[1])
return 1
"""
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"


def _keys(call_sid: str) -> list[str]:
    return [f"lock:{call_sid}", f"call:{call_sid}", f"secret:{call_sid}"]


class RedisKeyValue:
    def __init__(self, client: Any, ttl: int, secret_ttl: int, lock_seconds: float = 15) -> None:
        self._redis = client
        self._ttl, self._secret_ttl = ttl, secret_ttl
        self._lock_seconds = lock_seconds
        self._acquire = client.register_script(_ACQUIRE)
        self._commit = client.register_script(_COMMIT)
        self._release = client.register_script(_RELEASE)

    def _run(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        import redis

        try:
            return script(keys=keys, args=args)
        except redis.RedisError as error:
            raise StoreUnavailable(f"redis: {type(error).__name__}") from error

    def acquire(self, call_sid: str) -> Held:
        token, keys, ms = new_token(), _keys(call_sid), int(self._lock_seconds * 1000)

        def attempt() -> Held | None:
            reply = self._run(self._acquire, keys, [token, ms])
            if not reply[0]:
                return None
            return Held(token, reply[1] or None, reply[2] or None)

        return wait_for(attempt, self._lock_seconds, f"call {call_sid}")

    def commit(self, call_sid: str, held: Held, state: bytes, secret: Any) -> None:
        mode = "keep" if secret is KEEP else ("del" if secret is None else "set")
        blob = secret if mode == "set" else b""
        args = [held.token, state, self._ttl, mode, blob, self._secret_ttl]
        if not self._run(self._commit, _keys(call_sid), args):
            raise StoreUnavailable(f"call {call_sid}: lock lost before saving")

    def release(self, call_sid: str, held: Held) -> None:
        self._run(self._release, _keys(call_sid)[:1], [held.token])

    def forget(self, call_sid: str) -> None:
        self._run_plain("delete", *_keys(call_sid)[1:])

    def ping(self) -> bool:
        return bool(self._run_plain("ping"))

    def _run_plain(self, method: str, *args: Any) -> Any:
        import redis

        try:
            return getattr(self._redis, method)(*args)
        except redis.RedisError as error:
            raise StoreUnavailable(f"redis: {type(error).__name__}") from error


class MemoryKeyValue:
    """In-process store with expiry; only correct with a single worker process."""

    def __init__(self, ttl: int = 3600, secret_ttl: int = 900) -> None:
        self._ttl, self._secret_ttl = ttl, secret_ttl
        self._data: dict[str, tuple[float, bytes]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._held: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _get(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None or item[0] < time.monotonic():
            self._data.pop(key, None)
            return None
        return item[1]

    def acquire(self, call_sid: str) -> Held:
        with self._guard:
            lock = self._locks.setdefault(call_sid, threading.Lock())
        if not lock.acquire(timeout=15):
            raise StoreUnavailable(f"call {call_sid} is busy")
        with self._guard:
            held = Held(new_token(), self._get(f"call:{call_sid}"), self._get(f"secret:{call_sid}"))
            self._held[held.token] = lock
            return held

    def commit(self, call_sid: str, held: Held, state: bytes, secret: Any) -> None:
        with self._guard:
            self._data[f"call:{call_sid}"] = (time.monotonic() + self._ttl, state)
            if secret is None:
                self._data.pop(f"secret:{call_sid}", None)
            elif secret is not KEEP:
                self._data[f"secret:{call_sid}"] = (time.monotonic() + self._secret_ttl, secret)
        self.release(call_sid, held)

    def release(self, call_sid: str, held: Held) -> None:
        with self._guard:
            lock = self._held.pop(held.token)
        lock.release()

    def forget(self, call_sid: str) -> None:
        with self._guard:
            self._data.pop(f"call:{call_sid}", None)
            self._data.pop(f"secret:{call_sid}", None)
            self._locks.pop(call_sid, None)

    def ping(self) -> bool:
        return True
