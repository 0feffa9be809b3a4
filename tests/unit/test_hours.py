from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.hours import BusinessHours

HOURS = BusinessHours()  # the representative line: Mon-Fri 8-18 Eastern, MA holidays closed

NY = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture(scope="module")
def hours() -> BusinessHours:
    return BusinessHours()


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (ny(2026, 11, 30, 8, 0), True),  # Monday opening
        (ny(2026, 11, 30, 7, 59, 59), False),
        (ny(2026, 11, 27, 17, 59), True),  # Friday after Thanksgiving is open
        (ny(2026, 11, 27, 18, 0), False),
        (ny(2026, 11, 28, 12, 0), False),  # Saturday
        (ny(2026, 11, 26, 12, 0), False),  # Thanksgiving
        (ny(2026, 4, 20, 12, 0), False),  # Patriots' Day (Massachusetts)
        (ny(2027, 7, 5, 12, 0), False),  # Independence Day on a Sunday: observed Monday
        (ny(2026, 7, 3, 12, 0), True),  # on a Saturday: Massachusetts does not move it to Friday
    ],
)
def test_is_open(hours: BusinessHours, now: datetime, expected: bool) -> None:
    assert hours.is_open(now) is expected


def test_is_open_converts_other_time_zones(hours: BusinessHours) -> None:
    assert hours.is_open(datetime(2026, 11, 30, 13, 0, tzinfo=UTC))  # 08:00 EST
    assert not hours.is_open(datetime(2026, 11, 30, 12, 59, tzinfo=UTC))
    assert hours.is_open(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))  # 08:00 EDT


def test_naive_datetimes_are_refused(hours: BusinessHours) -> None:
    with pytest.raises(ValueError):
        hours.is_open(datetime(2026, 11, 30, 9, 0))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (ny(2026, 11, 25, 19, 0), ny(2026, 11, 27, 8, 0)),  # skips Thanksgiving
        (ny(2026, 11, 27, 18, 0), ny(2026, 11, 30, 8, 0)),  # Friday close → Monday
        (ny(2026, 11, 30, 6, 30), ny(2026, 11, 30, 8, 0)),  # early morning → same day
        (ny(2026, 11, 30, 10, 0), ny(2026, 11, 30, 10, 0)),  # already open → now
        (ny(2027, 7, 2, 18, 0), ny(2027, 7, 6, 8, 0)),  # weekend, then observed holiday
        (ny(2026, 12, 24, 18, 30), ny(2026, 12, 28, 8, 0)),  # Christmas, then weekend
    ],
)
def test_next_opening(hours: BusinessHours, now: datetime, expected: datetime) -> None:
    opening = hours.next_opening(now)
    assert opening == expected
    assert opening.tzinfo == NY


def test_next_opening_is_in_new_york_time(hours: BusinessHours) -> None:
    opening = hours.next_opening(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))  # Wed 22:00 EST
    assert (opening.hour, opening.date(), opening.tzinfo) == (8, date(2026, 11, 27), NY)


def test_injected_calendar_and_hours() -> None:
    closed = {date(2026, 11, 30)}
    hours = BusinessHours("America/Chicago", 9 * 60, 17 * 60, holiday_calendar=closed)
    chicago = ZoneInfo("America/Chicago")
    assert not hours.is_open(datetime(2026, 11, 30, 10, tzinfo=chicago))
    assert hours.next_opening(datetime(2026, 11, 27, 17, tzinfo=chicago)) == datetime(
        2026, 12, 1, 9, tzinfo=chicago
    )
    assert not BusinessHours(holiday_calendar=set()).is_open(ny(2026, 11, 26, 18, 0))
    assert BusinessHours(holiday_calendar=set()).is_open(ny(2026, 11, 26, 17, 0))


def test_a_calendar_that_is_never_open_fails_loudly() -> None:
    class Always:
        def __contains__(self, item: object) -> bool:
            return True

    with pytest.raises(RuntimeError):
        BusinessHours(holiday_calendar=Always()).next_opening(ny(2026, 11, 30, 19, 0))


@pytest.mark.parametrize(("opens", "closes"), [(18, 8), (8, 8), (-1, 5), (8, 25)])
def test_invalid_hours_are_refused(opens: int, closes: int) -> None:
    with pytest.raises(ValueError):
        BusinessHours(opens=opens * 60, closes=closes * 60)


def test_the_default_setting_is_the_default_calendar() -> None:
    parsed = BusinessHours.parse("Mon-Fri 08:00-18:00")
    assert (parsed.days, parsed.opens, parsed.closes) == (HOURS.days, HOURS.opens, HOURS.closes)
    assert not parsed.is_open(ny(2026, 11, 26, 12, 0))  # Thanksgiving: holidays still closed


@pytest.mark.parametrize(
    ("setting", "open_at", "closed_at"),
    [
        ("Mon-Sat 08:00-20:00", ny(2026, 11, 28, 19, 59), ny(2026, 11, 29, 12, 0)),  # Sat / Sun
        ("Mon,Wed,Fri 09:30-17:00", ny(2026, 12, 2, 9, 30), ny(2026, 12, 1, 12, 0)),  # Wed / Tue
        ("sat-sun 00:00-24:00", ny(2026, 11, 29, 23, 59), ny(2026, 11, 30, 0, 0)),  # Sun / Mon
        ("Fri-Mon 12:00-13:00", ny(2026, 11, 30, 12, 0), ny(2026, 12, 1, 12, 0)),  # wraps
        ("always", ny(2026, 11, 26, 3, 0), None),  # Thanksgiving night too
    ],
)
def test_agent_hours_settings(setting: str, open_at: datetime, closed_at: datetime | None) -> None:
    hours = BusinessHours.parse(setting)
    assert hours.is_open(open_at)
    assert hours.next_opening(open_at) == open_at
    if closed_at is not None:
        assert not hours.is_open(closed_at)
        assert hours.is_open(hours.next_opening(closed_at))


@pytest.mark.parametrize(
    "setting",
    [
        "",
        "weekdays",
        "Mon-Fri",
        "Mon-Fri 8-18",
        "Mon-Fri 18:00-08:00",
        "Mon-Fri 08:00-24:30",
        "Mon-Fry 08:00-18:00",
        "Mon-Fri 08:75-18:00",
        "Mon-Fri 08:00-08:00",
    ],
)
def test_bad_agent_hours_are_refused(setting: str) -> None:
    with pytest.raises(ValueError):
        BusinessHours.parse(setting)


@pytest.mark.parametrize(
    ("setting", "en", "es"),
    [
        (
            "Mon-Fri 08:00-18:00",
            "Monday through Friday, 8 a.m. to 6 p.m., except holidays",
            "de lunes a viernes, de 8 de la mañana a 6 de la tarde, excepto días feriados",
        ),
        (
            "Mon,Wed,Sat 08:30-24:00",
            "Monday, Wednesday and Saturday, 8:30 a.m. to midnight, except holidays",
            "lunes, miércoles y sábado, de 8:30 de la mañana a medianoche, excepto días feriados",
        ),
        ("always", "24 hours a day, every day", "las 24 horas, todos los días"),
    ],
)
def test_the_hours_as_callers_hear_them(setting: str, en: str, es: str) -> None:
    hours = BusinessHours.parse(setting)
    assert (hours.say("en"), hours.say("es")) == (en, es)


@pytest.mark.parametrize(
    ("now", "en", "es"),
    [
        (
            ny(2026, 11, 27, 18, 0),
            "on Monday, November thirtieth, at eight a.m.",
            "el lunes treinta de noviembre, a las ocho de la mañana",
        ),
        (ny(2026, 11, 30, 7, 0), "today at eight a.m.", "hoy a las ocho de la mañana"),
        (ny(2026, 11, 30, 18, 5), "tomorrow at eight a.m.", "mañana a las ocho de la mañana"),
        (
            ny(2026, 12, 31, 19, 0),
            "on Monday, January fourth, at eight a.m.",  # the coming January: no year
            "el lunes cuatro de enero, a las ocho de la mañana",
        ),
    ],
)
def test_say_next_opening(now: datetime, en: str, es: str) -> None:
    assert HOURS.say_next_opening(now, "en") == en
    assert HOURS.say_next_opening(now, "es") == es


def test_say_next_opening_counts_days_in_new_york() -> None:
    # 01:00 UTC Tuesday is still Monday evening in New York: Tuesday's opening is "tomorrow".
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert HOURS.say_next_opening(now, "en") == "tomorrow at eight a.m."
    with pytest.raises(ValueError):
        HOURS.say_next_opening(now, "fr")


aware_datetimes = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 12, 31)
).flatmap(
    lambda naive: st.sampled_from(
        [NY, UTC, ZoneInfo("America/Los_Angeles"), timezone(timedelta(hours=5, minutes=30))]
    ).map(lambda tz: naive.replace(tzinfo=tz))
)


@given(aware_datetimes)
def test_next_opening_is_open_and_not_in_the_past(now: datetime) -> None:
    hours = HOURS
    opening = hours.next_opening(now)
    assert opening >= now
    assert hours.is_open(opening)
    assert opening.tzinfo == NY
    assert hours.is_open(now) == (opening == now)


@given(aware_datetimes)
def test_closed_until_the_next_opening(now: datetime) -> None:
    hours = HOURS
    opening = hours.next_opening(now)
    if opening != now:
        assert opening.hour == 8 and opening.minute == 0
        assert not hours.is_open(opening - timedelta(minutes=1))
