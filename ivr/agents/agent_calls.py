"""Calls that reached representatives, as the agent console lists them.

A call is listed from the moment it is put in its conference (`call-<CallSid>`) until it ends:
its caller number, language, channel, whether the caller passed verification (and as whom), and
whether the caller and an agent's leg are both in the conference. Kept beside the call state, in
the same store (Redis, or the embedded one), so every worker sees the same list.
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
    state: str  # WAITING (agent or caller not in yet) | CONNECTED (both) | CAPTURING (keying)
    verified: bool
    subscriber_id: str | None  # only when verified
    since: str  # ISO time the call reached representatives
    agent_leg: str | None = None  # the CallSid of the agent's leg in the conference
    # Whether the caller's own leg is in the conference. The caller is told to join it by the
    # answer to a turn, and an agent's leg may join first: a capture needs both there.
    caller_in: bool = False
    # The base URL Twilio reaches this call's webhooks on, for moving the caller's leg when
    # PUBLIC_BASE_URL is not set: the console may be reached on another host than Twilio uses.
    webhook_base: str = ""
    # The representative who took the call (the first to verify it or take a payment on it):
    # only they may verify it or take its payments.
    agent: str | None = None

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
        """The caller is being put in the call's conference, to wait for (or be back with) an
        agent; the caller's leg is in once its own join is reported (`caller_present`)."""
        known = self.get(info.call_sid)
        if known is not None:  # back from a capture: keep what is known of the agent
            info = replace(
                info,
                agent_leg=known.agent_leg,
                agent=known.agent,
                since=known.since,  # the console keeps the call in its place
            )
        self._put(_settled(replace(info, caller_in=False)))

    def get(self, call_sid: str) -> CallInfo | None:
        raw = self._store.get_record(self.KIND, call_sid)
        return None if raw is None else CallInfo(**json.loads(raw))

    def list(self) -> list[CallInfo]:
        calls = [CallInfo(**json.loads(raw)) for raw in self._store.list_records(self.KIND)]
        return sorted(calls, key=lambda call: call.since)

    def agent_joined(self, call_sid: str, leg: str) -> None:
        self._update(call_sid, agent_leg=leg)

    def agent_left(self, call_sid: str, leg: str) -> None:
        known = self.get(call_sid)
        if known is not None and known.agent_leg == leg:
            self._update(call_sid, agent_leg=None)

    def caller_present(self, call_sid: str, present: bool) -> None:
        self._update(call_sid, caller_in=present)

    def capturing(self, call_sid: str) -> None:
        """The caller's leg is moved to a capture; `enter` brings the call back."""
        self._update(call_sid, state=CAPTURING)

    def claim(self, call_sid: str, agent: str) -> bool:
        """`agent` takes the call unless another representative has: whether it is theirs."""
        known = self.get(call_sid)
        if known is None or known.agent not in (None, agent):
            return False
        if known.agent is None:
            self._update(call_sid, agent=agent)
        return True

    def verified(self, call_sid: str, subscriber_id: str) -> None:
        self._update(call_sid, verified=True, subscriber_id=subscriber_id)

    def ended(self, call_sid: str) -> None:
        self._store.delete_record(self.KIND, call_sid)

    def _update(self, call_sid: str, **changes: Any) -> None:
        known = self.get(call_sid)
        if known is not None:
            self._put(_settled(replace(known, **changes)))

    def _put(self, info: CallInfo) -> None:
        self._store.put_record(
            self.KIND, info.call_sid, json.dumps(asdict(info)).encode(), self.TTL
        )


def _settled(info: CallInfo) -> CallInfo:
    """`info` with the state its legs make: connected once the agent and the caller are both in
    the conference, waiting before; a capture stays capturing until it hands the caller back."""
    if info.state == CAPTURING:
        return info
    both_in = info.agent_leg is not None and info.caller_in
    return replace(info, state=CONNECTED if both_in else WAITING)


def now_iso(moment: datetime) -> str:
    return moment.isoformat()
