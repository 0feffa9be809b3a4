"""When representatives answer, and how to tell a caller when they next do.

The hours are the `AGENT_HOURS` setting (SPEC): days and a daily span, in Eastern time, closed on
Massachusetts holidays, as `Mon-Fri 08:00-18:00` (the default), `Mon-Sat 08:00-20:00` or
`Mon,Wed,Fri 09:00-17:00`; `24:00` closes at midnight; or `always`, for a line staffed around
the clock (holidays included).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from ivr.speech.words import check_language, say_days, say_hours, say_moment

# Long enough for any real calendar; stops a misconfigured one from looping forever.
_MAX_DAYS_AHEAD = 366
WEEKDAYS = frozenset(range(5))  # Monday to Friday (date.weekday())
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIDNIGHT = 24 * 60  # a closing time of 24:00, in minutes
_SPAN = re.compile(
    r"(?P<days>[A-Za-z][A-Za-z,\- ]*?)\s+(?P<opens>\d{1,2}:\d\d)-(?P<closes>\d{1,2}:\d\d)"
)


class BusinessHours:
    """`days` (0 = Monday) from `opens` until `closes` (minutes after midnight, 24:00 at most)
    in one time zone, closed on the holidays of `holiday_calendar`; or, with `always`, open at
    every moment.

    The default calendar is Massachusetts (`holidays.US(subdiv="MA")`) with the library's
    observed days: a Sunday holiday closes the Monday after; a Saturday one moves nowhere.
    """

    def __init__(
        self,
        tz: str = "America/New_York",
        opens: int = 8 * 60,
        closes: int = 18 * 60,
        holiday_calendar: Container[date] | None = None,
        days: Iterable[int] = WEEKDAYS,
        always: bool = False,
    ) -> None:
        if not 0 <= opens < closes <= MIDNIGHT:
            raise ValueError("need 00:00 <= opening < closing <= 24:00")
        self.days = frozenset(days)
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("need at least one day, each 0 (Monday) to 6 (Sunday)")
        self.tz = ZoneInfo(tz)
        self.opens = opens
        self.closes = closes
        self.always = always
        self.holiday_calendar = (
            holidays.US(subdiv="MA") if holiday_calendar is None else holiday_calendar
        )

    @classmethod
    def parse(cls, text: str, tz: str = "America/New_York") -> BusinessHours:
        """Hours as the AGENT_HOURS setting writes them (see the module's docstring); ValueError
        saying what is wrong otherwise."""
        if text.strip().lower() == "always":
            return cls(tz, 0, MIDNIGHT, holiday_calendar=set(), days=range(7), always=True)
        span = _SPAN.fullmatch(text.strip())
        if span is None:
            raise ValueError("write the days and hours like Mon-Fri 08:00-18:00, or always")
        opens, closes = _minutes(span["opens"]), _minutes(span["closes"])
        if opens >= closes:
            raise ValueError(f"{span['opens']} is not before {span['closes']}")
        return cls(tz, opens, closes, days=_days(span["days"]))

    def is_business_day(self, day: date) -> bool:
        if self.always:
            return True
        return day.weekday() in self.days and day not in self.holiday_calendar

    def local(self, now: datetime) -> datetime:
        """`now` in this calendar's time zone; naive datetimes are refused."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        return now.astimezone(self.tz)

    def is_open(self, now: datetime) -> bool:
        local = self.local(now)
        minute = local.hour * 60 + local.minute
        return self.is_business_day(local.date()) and self.opens <= minute < self.closes

    def next_opening(self, now: datetime) -> datetime:
        """`now` itself (in this time zone) while open, else the start of the next open day."""
        local = self.local(now)
        if self.is_open(local):
            return local
        day = local.date()
        if local.hour * 60 + local.minute >= self.opens or not self.is_business_day(day):
            day = self._next_business_day(day)
        opening = time(self.opens // 60, self.opens % 60)
        return datetime.combine(day, opening, tzinfo=self.tz)

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

    def say(self, lang: str) -> str:
        """The hours as a caller hears them: en "Monday through Friday, 8 a.m. to 6 p.m., except
        holidays", es "de lunes a viernes, de 8 de la mañana a 6 de la tarde, excepto días
        feriados"; `always`: "24 hours a day, every day"."""
        check_language(lang)
        if self.always:
            return "24 hours a day, every day" if lang == "en" else "las 24 horas, todos los días"
        days = say_days(sorted(self.days), lang)
        span = say_hours(self.opens, self.closes, lang)
        holidays_off = "except holidays" if lang == "en" else "excepto días feriados"
        return f"{days}, {span}, {holidays_off}"


def _minutes(clock: str) -> int:
    hours, minutes = (int(part) for part in clock.split(":"))
    if minutes >= 60 or hours * 60 + minutes > MIDNIGHT:
        raise ValueError(f"{clock} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def _days(text: str) -> set[int]:
    """ "Mon-Fri", "Mon,Wed,Fri", "Sat-Sun", "Fri-Mon" (wrapping the weekend) as weekday numbers."""
    chosen: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",")):
        first, _, last = (name.strip() for name in part.partition("-"))
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"{part!r} is not a day or a range of days (Mon to Sun)")
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        chosen.update((start + step) % 7 for step in range((end - start) % 7 + 1))
    return chosen
