"""Webhook times as the server itself measured them: gunicorn's access log (`%(M)sms`, whole
milliseconds from the moment a worker thread took the parsed request until its answer was
written). Beside the times the callers measured, it tells time spent in the app from time spent
before it (connecting, waiting in the worker's queue for a thread) and in the callers' process."""

from __future__ import annotations

import re
from pathlib import Path

from devtools.phone.device import STATUS_PATH

_LINE = re.compile(
    r'"POST (?P<path>/webhooks/voice[^ "?]*)\S* HTTP/[\d.]+" \d{3} \S+ (?P<ms>\d+)ms'
)


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def webhook_ms(path: Path, since: int = 0) -> list[float]:
    """Milliseconds of each voice webhook logged after byte `since`, status callbacks apart."""
    with path.open("rb") as log:
        log.seek(since)
        text = log.read().decode(errors="replace")
    return [float(match["ms"]) for match in _LINE.finditer(text) if match["path"] != STATUS_PATH]
