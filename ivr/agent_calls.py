"""Calls that reached representatives, as the agent console lists them.

A call is listed from the moment it is put in its conference (`call-<CallSid>`) until it ends:
its caller number, language, channel, whether the caller passed verification (and as whom), and
whether an agent's leg has joined. Kept beside the call state, in the same store (Redis, or the
embedded one), so every worker sees the same list.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Protocol

WAITING, CONNECTED, CAPTURING = "waiting", "connected", "capturing"


def conference_name(call_sid: str) -> str:
    return f"call-{call_sid}"


def call_of_conference(name: str) -> str | None:
    return name.removeprefix("call-") if name.startswith("call-CA") else None


@dataclass(frozen=True)
class CallInfo:
    call_sid: str
    caller: str  # E.164, or "" when withheld
    language: str  # "en" | "es"
    channel: str  # "voice" | "relay"
    state: str  # WAITING (no agent yet) | CONNECTED | CAPTURING (the caller is keying details)
    verified: bool
    subscriber_id: str | None  # only when verified
    since: str  # ISO time the call reached representatives
    agent_leg: str | None = None  # the CallSid of the agent's leg in the conference

    def as_json(self) -> dict[str, Any]:
        """The API's view (SPEC "Fixed JSON API", GET /calls)."""
        return {
            "call_sid": self.call_sid,
            "from": self.caller,
            "language": self.language,
            "channel": self.channel,
            "state": self.state,
            "verified": self.verified,
            "subscriber_id": self.subscriber_id if self.verified else None,
        }


class DirectoryStore(Protocol):
    """What the directory needs of a store: named JSON records with a lifetime."""

    def put_record(self, kind: str, key: str, value: bytes, ttl: int) -> None: ...
    def get_record(self, kind: str, key: str) -> bytes | None: ...
    def delete_record(self, kind: str, key: str) -> None: ...
    def list_records(self, kind: str) -> list[bytes]: ...


class CallDirectory:
    KIND = "agent-call"
    TTL = 4 * 3600  # a call with representatives rarely lasts that long; ended calls are removed

    def __init__(self, store: DirectoryStore) -> None:
        self._store = store

    def enter(self, info: CallInfo) -> None:
        """The call is in its conference, waiting for (or back with) an agent."""
        known = self.get(info.call_sid)
        if known is not None:  # back from a capture: keep what is known of the agent
            info = replace(
                info,
                agent_leg=known.agent_leg,
                state=_state_of(known.agent_leg),
                since=known.since,  # the console keeps the call in its place
            )
        self._put(info)

    def get(self, call_sid: str) -> CallInfo | None:
        raw = self._store.get_record(self.KIND, call_sid)
        return None if raw is None else CallInfo(**json.loads(raw))

    def list(self) -> list[CallInfo]:
        calls = [CallInfo(**json.loads(raw)) for raw in self._store.list_records(self.KIND)]
        return sorted(calls, key=lambda call: call.since)

    def agent_joined(self, call_sid: str, leg: str) -> None:
        self._update(call_sid, agent_leg=leg, state=CONNECTED)

    def agent_left(self, call_sid: str, leg: str) -> None:
        known = self.get(call_sid)
        if known is not None and known.agent_leg == leg:
            self._update(call_sid, agent_leg=None, state=WAITING)

    def capturing(self, call_sid: str, on: bool) -> None:
        known = self.get(call_sid)
        if known is not None:
            self._update(call_sid, state=CAPTURING if on else _state_of(known.agent_leg))

    def verified(self, call_sid: str, subscriber_id: str) -> None:
        self._update(call_sid, verified=True, subscriber_id=subscriber_id)

    def ended(self, call_sid: str) -> None:
        self._store.delete_record(self.KIND, call_sid)

    def _update(self, call_sid: str, **changes: Any) -> None:
        known = self.get(call_sid)
        if known is not None:
            self._put(replace(known, **changes))

    def _put(self, info: CallInfo) -> None:
        self._store.put_record(
            self.KIND, info.call_sid, json.dumps(asdict(info)).encode(), self.TTL
        )


def _state_of(agent_leg: str | None) -> str:
    return CONNECTED if agent_leg else WAITING


def now_iso(moment: datetime) -> str:
    return moment.isoformat()
