"""The two call-state stores: Redis (production, any number of workers) and an in-process
dict (development, one process)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from typing import Any

from ivr.engine.callstate import ENDED, KEEP, CallBusy, Held, StoreUnavailable, new_token, wait_for

# KEYS: lock, state, secret. ARGV: token, lock ms.
_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2]) or '', redis.call('GET', KEYS[3]) or ''}
end
return {0}
"""
# KEYS: lock, state, secret. ARGV: token, state, ttl, secret mode (keep|set|del), secret, ttl,
# tombstone. Returns 1 when written, 2 when the call has ended (nothing written), 0 when the lock
# was lost.
_COMMIT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[2]) == ARGV[7] then redis.call('DEL', KEYS[1]) return 2 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
if ARGV[4] == 'set' then redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[6])
elseif ARGV[4] == 'del' then redis.call('DEL', KEYS[3]) end
redis.call('DEL', KEYS[1])
return 1
"""
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"
# KEYS: state, secret. ARGV: tombstone, ttl.
_FORGET = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
"""


def _keys(call_sid: str) -> list[str]:
    return [f"lock:{call_sid}", f"call:{call_sid}", f"secret:{call_sid}"]


# A webhook holding a call's lock longer than this has lost it: a turn takes well under a
# second, and a lock a failed save could not release frees itself within a store blip's retries.
LOCK_SECONDS = 8.0
WAIT_SECONDS = 2.0  # how long a webhook waits for another of the same call to finish


class Scripts:
    """The call-state scripts, run on connections of their own.

    Each turn runs two scripts; through redis-py's client every command also passes its
    connection pool and retry layers, which cost the webhook as much CPU as the round trip
    itself. Connections kept on a stack of this process's own (a forked worker starts an empty
    one) are used directly instead: a command takes the newest idle one and gives it back when
    the reply is read. A reply that fails half-way closes its connection, so no command reads
    another's reply; a server that lost its scripts (a restart) is given them again. `close`
    closes the idle connections (one per thread that was ever busy at once)."""

    def __init__(self, client: Any) -> None:
        pool = client.connection_pool
        self._connect = lambda: pool.connection_class(**pool.connection_kwargs)
        self._sources: dict[str, str] = {}
        self._pid, self._idle = os.getpid(), list[Any]()

    def add(self, source: str) -> str:
        """The script's SHA1, by which `run` calls it."""
        sha = hashlib.sha1(source.encode()).hexdigest()
        self._sources[sha] = source
        return sha

    def run(self, sha: str, keys: list[str], args: list[Any]) -> Any:
        import redis

        connection = self._take()
        try:
            try:
                reply = self._command(connection, "EVALSHA", sha, len(keys), *keys, *args)
            except redis.exceptions.NoScriptError:
                self._command(connection, "SCRIPT", "LOAD", self._sources[sha])
                reply = self._command(connection, "EVALSHA", sha, len(keys), *keys, *args)
        except redis.exceptions.ResponseError:
            self._idle.append(connection)  # the server answered: the connection is in step
            raise
        except BaseException:
            connection.disconnect()
            raise
        self._idle.append(connection)
        return reply

    def close(self) -> None:
        while self._idle:
            self._idle.pop().disconnect()

    @staticmethod
    def _command(connection: Any, *parts: Any) -> Any:
        connection.send_command(*parts)
        return connection.read_response()

    def _take(self) -> Any:
        if self._pid != os.getpid():  # a forked worker: the parent's sockets are not ours
            self._pid, self._idle = os.getpid(), []
        try:
            return self._idle.pop()  # list.pop and append are atomic: no lock needed
        except IndexError:
            return self._connect()


class RedisKeyValue:
    def __init__(
        self,
        client: Any,
        ttl: int,
        secret_ttl: int,
        lock_seconds: float = LOCK_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self._redis = client
        self._ttl, self._secret_ttl = ttl, secret_ttl
        self._lock_seconds, self._wait_seconds = lock_seconds, min(wait_seconds, lock_seconds)
        self._scripts = Scripts(client)
        self._acquire = self._scripts.add(_ACQUIRE)
        self._commit = self._scripts.add(_COMMIT)
        self._release = self._scripts.add(_RELEASE)
        self._forget = self._scripts.add(_FORGET)

    def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        import redis

        try:
            return self._scripts.run(script, keys, args)
        except redis.RedisError as error:
            raise StoreUnavailable(f"redis: {type(error).__name__}") from error

    def acquire(self, call_sid: str) -> Held:
        token, keys, ms = new_token(), _keys(call_sid), int(self._lock_seconds * 1000)

        def attempt() -> Held | None:
            reply = self._run(self._acquire, keys, [token, ms])
            if not reply[0]:
                return None
            return Held(token, reply[1] or None, reply[2] or None)

        return wait_for(attempt, self._wait_seconds, f"call {call_sid}")

    def commit(self, call_sid: str, held: Held, state: bytes, secret: Any) -> bool:
        mode = "keep" if secret is KEEP else ("del" if secret is None else "set")
        blob = secret if mode == "set" else b""
        args = [held.token, state, self._ttl, mode, blob, self._secret_ttl, ENDED]
        written = self._run(self._commit, _keys(call_sid), args)
        if not written:
            raise StoreUnavailable(f"call {call_sid}: lock lost before saving")
        return written == 1

    def release(self, call_sid: str, held: Held) -> None:
        self._run(self._release, _keys(call_sid)[:1], [held.token])

    def forget(self, call_sid: str) -> None:
        self._run(self._forget, _keys(call_sid)[1:], [ENDED, self._ttl])

    def ping(self) -> bool:
        return bool(self._run_plain("ping"))

    def close(self) -> None:
        self._scripts.close()
        self._redis.close()

    # Named records (the agent console's call list, captures): `kind:key`, with an index set.
    def put_record(self, kind: str, key: str, value: bytes, ttl: int) -> None:
        self._run_plain("set", f"{kind}:{key}", value, ttl)
        self._run_plain("sadd", f"{kind}:index", key)

    def get_record(self, kind: str, key: str) -> bytes | None:
        return self._run_plain("get", f"{kind}:{key}")

    def delete_record(self, kind: str, key: str) -> None:
        self._run_plain("delete", f"{kind}:{key}")
        self._run_plain("srem", f"{kind}:index", key)

    def list_records(self, kind: str) -> list[bytes]:
        keys = sorted(
            k.decode() if isinstance(k, bytes) else k
            for k in self._run_plain("smembers", f"{kind}:index")
        )
        values = self._run_plain("mget", [f"{kind}:{key}" for key in keys]) if keys else []
        gone = [key for key, value in zip(keys, values, strict=True) if value is None]
        if gone:  # expired records leave the index too
            self._run_plain("srem", f"{kind}:index", *gone)
        return [value for value in values if value is not None]

    def _run_plain(self, method: str, *args: Any) -> Any:
        import redis

        try:
            if method == "set" and len(args) == 3:
                return self._redis.set(args[0], args[1], ex=args[2])
            return getattr(self._redis, method)(*args)
        except redis.RedisError as error:
            raise StoreUnavailable(f"redis: {type(error).__name__}") from error


class MemoryKeyValue:
    """In-process store with expiry; only correct with a single worker process."""

    def __init__(
        self, ttl: int = 3600, secret_ttl: int = 900, wait_seconds: float = WAIT_SECONDS
    ) -> None:
        self._ttl, self._secret_ttl, self._wait_seconds = ttl, secret_ttl, wait_seconds
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
        if not lock.acquire(timeout=self._wait_seconds):
            raise CallBusy(f"call {call_sid} is busy")
        with self._guard:
            held = Held(new_token(), self._get(f"call:{call_sid}"), self._get(f"secret:{call_sid}"))
            self._held[held.token] = lock
            return held

    def commit(self, call_sid: str, held: Held, state: bytes, secret: Any) -> bool:
        with self._guard:
            ended = self._get(f"call:{call_sid}") == ENDED
            if not ended:
                self._data[f"call:{call_sid}"] = (time.monotonic() + self._ttl, state)
                if secret is None:
                    self._data.pop(f"secret:{call_sid}", None)
                elif secret is not KEEP:
                    expires = time.monotonic() + self._secret_ttl
                    self._data[f"secret:{call_sid}"] = (expires, secret)
        self.release(call_sid, held)
        return not ended

    def release(self, call_sid: str, held: Held) -> None:
        with self._guard:
            lock = self._held.pop(held.token)
        lock.release()

    def forget(self, call_sid: str) -> None:
        with self._guard:
            self._data[f"call:{call_sid}"] = (time.monotonic() + self._ttl, ENDED)
            self._data.pop(f"secret:{call_sid}", None)
            lock = self._locks.get(call_sid)
            if lock is not None and not lock.locked():
                del self._locks[call_sid]  # the tombstone keeps any later webhook out
            now = time.monotonic()
            for key in [key for key, (expires, _) in self._data.items() if expires < now]:
                del self._data[key]

    def ping(self) -> bool:
        return True

    def put_record(self, kind: str, key: str, value: bytes, ttl: int) -> None:
        with self._guard:
            self._data[f"{kind}:{key}"] = (time.monotonic() + ttl, value)

    def get_record(self, kind: str, key: str) -> bytes | None:
        with self._guard:
            return self._get(f"{kind}:{key}")

    def delete_record(self, kind: str, key: str) -> None:
        with self._guard:
            self._data.pop(f"{kind}:{key}", None)

    def list_records(self, kind: str) -> list[bytes]:
        with self._guard:
            names = sorted(name for name in self._data if name.startswith(f"{kind}:"))
            values = [self._get(name) for name in names]
        return [value for value in values if value is not None]
