"""A terminal phone for the IVR: places simulated Twilio calls and records what they did.

Tests use `Phone(...).call(script)` and assert on the returned `CallLog`; people use the
`call` click command (registered as `ivr call`). See `devtools.phone.script` for the script syntax.
"""

from devtools.phone.cli import call
from devtools.phone.device import DEFAULT_FROM, DEFAULT_RELAY_TO, DEFAULT_TO, Phone
from devtools.phone.events import (
    Answered,
    CallLog,
    Ended,
    Error,
    Event,
    Gathered,
    Ignored,
    Paused,
    Played,
    Said,
    Sent,
    TimedOut,
    Transferred,
)
from devtools.phone.script import parse_entry, split_script
from devtools.phone.transport import HttpTransport, Transport, TransportError, WsgiTransport

__all__ = [
    "DEFAULT_FROM",
    "DEFAULT_RELAY_TO",
    "DEFAULT_TO",
    "Answered",
    "CallLog",
    "Ended",
    "Error",
    "Event",
    "Gathered",
    "HttpTransport",
    "Ignored",
    "Paused",
    "Phone",
    "Played",
    "Said",
    "Sent",
    "TimedOut",
    "Transferred",
    "Transport",
    "TransportError",
    "WsgiTransport",
    "call",
    "parse_entry",
    "split_script",
]
