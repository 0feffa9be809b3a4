"""The one place a gateway adapter is chosen by name (the `GATEWAY` setting).

The server, every worker and every `ivr` command build their gateway here, so they all charge
through the same processor and see the same charges. A real adapter (for example Stripe) is
added as one more entry.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from payments.gateways.base import Gateway
from payments.gateways.sandbox import SandboxGateway

GATEWAYS: dict[str, Callable[[Engine], Gateway]] = {
    "sandbox": SandboxGateway,
}


class UnknownGateway(ValueError):
    """GATEWAY names no adapter."""


def make_gateway(name: str, engine: Engine) -> Gateway:
    """The adapter called `name`; the sandbox keeps its ledger in `engine`'s database."""
    try:
        build = GATEWAYS[name]
    except KeyError:
        choices = ", ".join(sorted(GATEWAYS))
        raise UnknownGateway(f"GATEWAY must be one of: {choices} (not {name!r})") from None
    return build(engine)
