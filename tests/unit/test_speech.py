from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.speech.words import (
    say_characters,
    say_date,
    say_days,
    say_digits,
    say_hours,
    say_money,
    say_month,
    say_month_day,
    say_time,
    say_when,
    word_count,
)

LANGS = ("en", "es")
amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@pytest.mark.parametrize(
    ("amount", "en", "es"),
    [
        ("45", "forty-five dollars", "cuarenta y cinco dólares"),
        ("45.00", "forty-five dollars", "cuarenta y cinco dólares"),
        (
            "45.50",
            "forty-five dollars and fifty cents",
            "cuarenta y cinco dólares con cincuenta centavos",
        ),
        ("0.50", "fifty cents", "cincuenta centavos"),
        ("0.01", "one cent", "un centavo"),
        ("1.01", "one dollar and one cent", "un dólar con un centavo"),
        ("1200", "one thousand two hundred dollars", "mil doscientos dólares"),
        ("101", "one hundred one dollars", "ciento un dólares"),
        ("100", "one hundred dollars", "cien dólares"),
        ("0", "zero dollars", "cero dólares"),
        (
            "21.21",
            "twenty-one dollars and twenty-one cents",
            "veintiún dólares con veintiún centavos",
        ),
        ("31", "thirty-one dollars", "treinta y un dólares"),
        ("21000", "twenty-one thousand dollars", "veintiún mil dólares"),
        ("1000000", "one million dollars", "un millón de dólares"),
        ("21000000", "twenty-one million dollars", "veintiún millones de dólares"),
    ],
)
def test_say_money(amount: str, en: str, es: str) -> None:
    assert say_money(Decimal(amount), "en") == en
    assert say_money(Decimal(amount), "es") == es


def test_say_money_rounds_to_cents() -> None:
    assert say_money(Decimal("2.005"), "en") == "two dollars and one cent"


@pytest.mark.parametrize("bad", [Decimal("-1"), Decimal("NaN"), Decimal("Infinity")])
def test_say_money_refuses_negative_and_non_finite(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        say_money(bad, "en")


@pytest.mark.parametrize("bad", [4.5, 4])
def test_say_money_refuses_anything_but_decimal(bad: object) -> None:
    with pytest.raises(TypeError):
        say_money(bad, "en")  # type: ignore[arg-type]


@given(amounts, st.sampled_from(LANGS))
def test_say_money_is_only_words(amount: Decimal, lang: str) -> None:
    spoken = say_money(amount, lang)
    assert not any(c.isdigit() for c in spoken)
    assert "$" not in spoken and "," not in spoken


@given(amounts)
def test_say_money_plural_matches_count(amount: Decimal) -> None:
    dollars, cents = divmod(int(amount * 100), 100)
    spoken = say_money(amount, "en").split()
    assert ("dollar" in spoken) == (dollars == 1)
    assert ("dollars" in spoken) == (dollars != 1 and (dollars > 0 or cents == 0))
    assert ("cent" in spoken) == (cents == 1)
    assert ("cents" in spoken) == (cents > 1)


@given(amounts)
def test_spanish_never_says_uno_before_a_noun(amount: Decimal) -> None:
    spoken = say_money(amount, "es")
    assert "uno " not in spoken + " " and "veintiuno" not in spoken


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError):
        say_money(Decimal("1"), "fr")
    with pytest.raises(ValueError):
        say_date(date(2026, 1, 1), "EN")


@pytest.mark.parametrize(
    ("d", "en", "es"),
    [
        (date(2026, 11, 23), "Monday, November twenty-third", "lunes veintitrés de noviembre"),
        (date(2026, 12, 1), "Tuesday, December first", "martes primero de diciembre"),
        (date(2026, 5, 21), "Thursday, May twenty-first", "jueves veintiuno de mayo"),
        (date(2026, 12, 2), "Wednesday, December second", "miércoles dos de diciembre"),
    ],
)
def test_say_date_without_year(d: date, en: str, es: str) -> None:
    assert say_date(d, "en") == en
    assert say_date(d, "es") == es
    assert say_date(d, "en", today=date(2026, 1, 1)) == en
    assert say_date(d, "es", today=date(2026, 6, 30)) == es


def test_say_date_adds_the_year_when_it_differs_and_is_not_near() -> None:
    d, today = date(2027, 7, 1), date(2026, 12, 28)
    assert say_date(d, "en", today) == "Thursday, July first, twenty twenty-seven"
    assert say_date(d, "es", today) == "jueves primero de julio de dos mil veintisiete"
    past = date(2025, 6, 30)
    assert say_date(past, "en", today) == "Monday, June thirtieth, twenty twenty-five"


def test_a_date_in_the_months_around_today_goes_without_its_year() -> None:
    """In December, January can only be the coming one; in January, December the last one."""
    d, today = date(2027, 1, 1), date(2026, 12, 28)
    assert say_date(d, "en", today) == "Friday, January first"
    assert say_date(d, "es", today) == "viernes primero de enero"
    assert say_month_day(date(2027, 5, 31), "en", today) == "May thirty-first"
    assert say_month_day(date(2027, 6, 1), "en", today) == "June first, twenty twenty-seven"
    assert say_month_day(date(2026, 12, 31), "en", date(2027, 1, 4)) == "December thirty-first"


def test_say_month() -> None:
    assert say_month(date(2026, 12, 1), "en") == "December twenty twenty-six"
    assert say_month(date(2027, 1, 1), "en", date(2026, 12, 3)) == "January"
    assert say_month(date(2027, 1, 1), "es", date(2026, 12, 3)) == "enero"
    assert say_month(date(2027, 6, 1), "en", date(2026, 12, 3)) == "June twenty twenty-seven"
    assert say_month(date(2026, 1, 1), "en", date(2026, 12, 3)) == "January"
    assert say_month(date(2026, 12, 1), "es") == "diciembre de dos mil veintiséis"
    assert say_month(date(2021, 1, 15), "es") == "enero de dos mil veintiuno"
    assert say_month(date(2005, 3, 1), "en") == "March two thousand five"


def test_say_characters_groups_by_four() -> None:
    assert say_characters("K7M3AF9X", "en") == (
        "K as in King, seven, M as in Mary, three. A as in Apple, F as in Frank, nine, "
        "X as in X-ray"
    )
    assert say_characters("k7m3-af9x0", "es") == (
        "K de kilo, siete, M de Mamá, tres. A de Amor, F de Foca, nueve, X de xilófono. cero"
    )


@pytest.mark.parametrize("bad", ["", "AB$1", "-", "Ñ12"])
def test_say_characters_refuses_other_characters(bad: str) -> None:
    with pytest.raises(ValueError):
        say_characters(bad, "en")


@given(st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=16))
def test_say_characters_says_each_character_once(code: str) -> None:
    spoken = say_characters(code, "en")
    assert spoken.count(". ") == (len(code) - 1) // 4
    assert len(spoken.replace(". ", ", ").split(", ")) == len(code)


def test_say_digits() -> None:
    assert say_digits("4242", "en") == "four, two, four, two"
    assert say_digits("4242", "es") == "cuatro, dos, cuatro, dos"
    assert say_digits("0", "es") == "cero"
    with pytest.raises(ValueError):
        say_digits("42a2", "en")


@pytest.mark.parametrize(
    ("hour", "minute", "en", "es"),
    [
        (8, 0, "eight a.m.", "las ocho de la mañana"),
        (13, 5, "one oh five p.m.", "la una y cinco de la tarde"),
        (18, 30, "six thirty p.m.", "las seis y media de la tarde"),
        (9, 15, "nine fifteen a.m.", "las nueve y cuarto de la mañana"),
        (12, 0, "noon", "las doce del mediodía"),
        (0, 0, "midnight", "las doce de la noche"),
        (2, 45, "two forty-five a.m.", "las dos y cuarenta y cinco de la madrugada"),
        (21, 0, "nine p.m.", "las nueve de la noche"),
    ],
)
def test_say_time(hour: int, minute: int, en: str, es: str) -> None:
    assert say_time(time(hour, minute), "en") == en
    assert say_time(time(hour, minute), "es") == es


@pytest.mark.parametrize(
    ("hours", "en", "es"),
    [
        ((8, 18), "8 a.m. to 6 p.m.", "de 8 de la mañana a 6 de la tarde"),
        ((7, 20), "7 a.m. to 8 p.m.", "de 7 de la mañana a 8 de la noche"),
        ((12, 24), "noon to midnight", "de 12 del mediodía a medianoche"),
        ((0, 13), "midnight to 1 p.m.", "de medianoche a 1 de la tarde"),
        ((8.5, 17.25), "8:30 a.m. to 5:15 p.m.", "de 8:30 de la mañana a 5:15 de la tarde"),
    ],
)
def test_say_hours(hours: tuple[float, float], en: str, es: str) -> None:
    opens, closes = (int(hour * 60) for hour in hours)
    assert say_hours(opens, closes, "en") == en
    assert say_hours(opens, closes, "es") == es


@pytest.mark.parametrize(
    ("days", "en", "es"),
    [
        ([0, 1, 2, 3, 4], "Monday through Friday", "de lunes a viernes"),
        ([5, 6], "Saturday and Sunday", "sábado y domingo"),
        ([2], "Wednesday", "miércoles"),
        ([0, 2, 4], "Monday, Wednesday and Friday", "lunes, miércoles y viernes"),
        (list(range(7)), "every day", "todos los días"),
    ],
)
def test_say_days(days: list[int], en: str, es: str) -> None:
    assert (say_days(days, "en"), say_days(days, "es")) == (en, es)


def test_say_time_reads_an_aware_datetime_in_its_own_zone() -> None:
    t = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    assert say_time(t, "en") == "eight a.m."


def test_word_count() -> None:
    assert word_count("Monday, November thirtieth, at eight a.m.") == 6
    assert word_count("K, seven, M, three. A") == 5
    assert word_count("  — ,  ") == 0


@pytest.mark.parametrize(
    ("day", "en", "es"),
    [
        (date(2026, 11, 23), "today, November twenty-third", "hoy, veintitrés de noviembre"),
        (
            date(2026, 11, 24),
            "tomorrow, November twenty-fourth",
            "mañana, veinticuatro de noviembre",
        ),
        (
            date(2026, 11, 29),
            "on Sunday, November twenty-ninth",
            "el domingo veintinueve de noviembre",
        ),
        # A week or more away, or ago: the weekday no longer helps.
        (date(2026, 11, 30), "on November thirtieth", "el treinta de noviembre"),
        (date(2026, 11, 16), "on November sixteenth", "el dieciséis de noviembre"),
        (
            date(2026, 11, 17),
            "on Tuesday, November seventeenth",
            "el martes diecisiete de noviembre",
        ),
        (date(2027, 1, 4), "on January fourth", "el cuatro de enero"),
        (
            date(2027, 6, 7),
            "on June seventh, twenty twenty-seven",
            "el siete de junio de dos mil veintisiete",
        ),
    ],
)
def test_say_when_is_relative_to_today(day: date, en: str, es: str) -> None:
    assert say_when(day, "en", date(2026, 11, 23)) == en
    assert say_when(day, "es", date(2026, 11, 23)) == es
