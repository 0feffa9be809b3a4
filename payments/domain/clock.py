"""Time: aware UTC instants in, Massachusetts (America/New_York) calendar dates out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the clock must return timezone-aware datetimes")
    return moment


def eastern_date(moment: datetime) -> date:
    """The calendar date in Massachusetts at `moment`."""
    return require_aware(moment).astimezone(EASTERN).date()


def eastern_iso(moment: datetime) -> str:
    return require_aware(moment).astimezone(EASTERN).isoformat()
