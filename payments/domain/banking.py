"""Banking days: the days the Federal Reserve settles ACH entries.

Weekends and Federal Reserve holidays are not banking days. The Federal Reserve observes a
holiday that falls on a Sunday on the Monday after, and one that falls on a Saturday not at all
(it is open the Friday before): the `holidays` package's "XFED" calendar has exactly that.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

SATURDAY = 5
ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _fed_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XFED", years=year))


def is_banking_day(day: date) -> bool:
    return day.weekday() < SATURDAY and day not in _fed_holidays(day.year)


def on_or_after(day: date) -> date:
    """`day` if it is a banking day, else the next banking day (a debit due on a weekend or
    holiday moves forward, never back)."""
    while not is_banking_day(day):
        day += ONE_DAY
    return day


def next_banking_day(day: date) -> date:
    """The first banking day after `day`."""
    return on_or_after(day + ONE_DAY)


def add_banking_days(day: date, count: int) -> date:
    """The banking day `count` banking days after `day` (which need not be one itself)."""
    for _ in range(count):
        day = next_banking_day(day)
    return day


def banking_days_between(start: date, end: date) -> int:
    """How many banking days come after `start`, up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        count += is_banking_day(day)
    return count
