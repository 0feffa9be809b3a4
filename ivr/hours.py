"""When the representative line is open, and how to tell a caller when it next opens."""

from __future__ import annotations

from collections.abc import Container
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from ivr.speech import check_language, say_moment

# Long enough for any real calendar; stops a misconfigured one from looping forever.
_MAX_DAYS_AHEAD = 366


class BusinessHours:
    """Weekday hours in one time zone, closed on the holidays of `holiday_calendar`.

    The default calendar is Massachusetts (`holidays.US(subdiv="MA")`) with the library's
    observed days: a Sunday holiday closes the Monday after; a Saturday one moves nowhere.
    """

    def __init__(
        self,
        tz: str = "America/New_York",
        open_hour: int = 8,
        close_hour: int = 18,
        holiday_calendar: Container[date] | None = None,
    ) -> None:
        if not 0 <= open_hour < close_hour <= 24:
            raise ValueError("need 0 <= open_hour < close_hour <= 24")
        self.tz = ZoneInfo(tz)
        self.open_hour = open_hour
        self.close_hour = close_hour
        self.holiday_calendar = (
            holidays.US(subdiv="MA") if holiday_calendar is None else holiday_calendar
        )

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holiday_calendar

    def local(self, now: datetime) -> datetime:
        """`now` in this calendar's time zone; naive datetimes are refused."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        return now.astimezone(self.tz)

    def is_open(self, now: datetime) -> bool:
        local = self.local(now)
        return self.is_business_day(local.date()) and self.open_hour <= local.hour < self.close_hour

    def next_opening(self, now: datetime) -> datetime:
        """`now` itself (in this time zone) while open, else the start of the next open day."""
        local = self.local(now)
        if self.is_open(local):
            return local
        day = local.date()
        if local.hour >= self.open_hour or not self.is_business_day(day):
            day = self._next_business_day(day)
        return datetime.combine(day, time(self.open_hour), tzinfo=self.tz)

    def _next_business_day(self, day: date) -> date:
        for offset in range(1, _MAX_DAYS_AHEAD + 1):
            candidate = day + timedelta(days=offset)
            if self.is_business_day(candidate):
                return candidate
        raise RuntimeError("no business day within a year: check the holiday calendar")

    def say_next_opening(self, now: datetime, lang: str) -> str:
        """en "Monday, November thirtieth, at eight a.m." or "tomorrow at eight a.m."."""
        check_language(lang)
        return say_moment(self.next_opening(now), lang, self.local(now).date())
