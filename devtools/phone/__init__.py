"""A terminal phone for the IVR: places simulated Twilio calls and records what they did.

Tests use `Phone(...).call(script)` and assert on the returned `CallLog`; people use the
`call` click command (registered as `ivr call`). See `devtools.phone.script` for the script syntax.
`LocalTwilio(phone).start()` (devtools.phone.rest) answers the REST API calls the line makes for
the phone's calls (moving a call on, dialling an agent's leg into a conference), as Twilio would.
"""

from devtools.phone.cli import call
from devtools.phone.device import DEFAULT_FROM, DEFAULT_RELAY_TO, DEFAULT_TO, Phone
from devtools.phone.events import (
    Answered,
    CallLog,
    Conferenced,
    Ended,
    Enqueued,
    Error,
    Event,
    Gathered,
    Ignored,
    Left,
    Paused,
    Peer,
    Played,
    Redirected,
    Said,
    Sent,
    TimedOut,
    Transferred,
)
from devtools.phone.rest import LocalTwilio
from devtools.phone.script import parse_entry, split_script
from devtools.phone.transport import HttpTransport, Transport, TransportError, WsgiTransport

__all__ = [
    "DEFAULT_FROM",
    "DEFAULT_RELAY_TO",
    "DEFAULT_TO",
    "Answered",
    "CallLog",
    "Conferenced",
    "Ended",
    "Enqueued",
    "Error",
    "Event",
    "Gathered",
    "HttpTransport",
    "Ignored",
    "Left",
    "LocalTwilio",
    "Paused",
    "Peer",
    "Phone",
    "Played",
    "Redirected",
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
