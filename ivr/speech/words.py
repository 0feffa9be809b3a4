"""Words for text-to-speech (Twilio <Say>, Polly en-US / es-US): numbers, money, dates, times.

Everything returned is plain words so the voice never has to guess how to read a symbol.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

LANGUAGES = ("en", "es")
CENTS = Decimal("0.01")

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
}  # fmt: skip
_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
_MONEY_UNITS = {"en": ("dollar", "dollars", "cent", "cents"),
                "es": ("dólar", "dólares", "centavo", "centavos")}  # fmt: skip
_MONEY_JOIN = {"en": " and ", "es": " con "}
# Spanish "uno" shortens before a masculine noun or a multiplier: "veintiún mil dólares".
_APOCOPE = {"uno": "un", "veintiuno": "veintiún"}
_ES_MULTIPLIERS = ("mil", "millón", "millones", "billón", "billones")
_CHARACTER_GROUP = 4
# A month or date of another year less than this many months from today is said without its
# year: in December, "January" can only be the coming one.
_NEAR_MONTHS = 6
_RELATIVE_DAYS = {"en": ("today", "tomorrow"), "es": ("hoy", "mañana")}
# A word for each letter, so a letter heard on a bad line can be written down right.
_LETTER_WORDS = {
    "en": dict(
        zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            (
                "Apple Boston Charlie David Edward Frank George Henry Ida John King Lincoln Mary "
                "Nancy Ocean Peter Queen Robert Sam Thomas Union Victor William X-ray Yellow Zebra"
            ).split(),
            strict=True,
        )
    ),
    "es": dict(
        zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            (
                "Amor Barco Casa Dedo Elefante Foca Gato Honduras Isla Jamón kilo Luna Mamá "
                "Navarra Oso Papá queso Roma Sol Toro Uva Valencia Washington xilófono yate zapato"
            ).split(),
            strict=True,
        )
    ),
}
_LETTER_AS = {"en": "{letter} as in {word}", "es": "{letter} de {word}"}


def check_language(lang: str) -> str:
    """Return `lang` if it is a supported language, else raise ValueError."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language: {lang!r}")
    return lang


def cardinal(number: int, lang: str) -> str:
    """A whole number in words, standalone (en "one thousand two hundred", es "veintiuno")."""
    check_language(lang)
    words = num2words(number, lang=lang)
    if lang == "en":  # num2words writes British "one hundred and one, ..."; say it the US way
        words = words.replace(",", "").replace(" and ", " ")
    return words


def _cardinal_before_noun(number: int, lang: str) -> str:
    """A count of a masculine noun: es "un dólar", "veintiún mil", "un millón de"."""
    words = cardinal(number, lang)
    if lang == "en":
        return words
    tokens = words.split()
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token in _APOCOPE and (following is None or following in _ES_MULTIPLIERS):
            tokens[index] = _APOCOPE[token]
    if tokens[-1] in _ES_MULTIPLIERS[1:]:
        tokens.append("de")
    return " ".join(tokens)


def _count(number: int, singular: str, plural: str, lang: str) -> str:
    return f"{_cardinal_before_noun(number, lang)} {singular if number == 1 else plural}"


def say_money(amount: Decimal, lang: str) -> str:
    """en "forty-five dollars and fifty cents", es "un dólar con un centavo"."""
    check_language(lang)
    if not isinstance(amount, Decimal):
        raise TypeError("money is a Decimal, never a float")
    if not amount.is_finite() or amount < 0:
        raise ValueError("amount must be finite and not negative")
    dollars, cents = divmod(int(amount.quantize(CENTS, ROUND_HALF_UP) * 100), 100)
    dollar, dollars_word, cent, cents_word = _MONEY_UNITS[lang]
    parts = []
    if dollars or not cents:
        parts.append(_count(dollars, dollar, dollars_word, lang))
    if cents:
        parts.append(_count(cents, cent, cents_word, lang))
    return _MONEY_JOIN[lang].join(parts)


def say_year(year: int, lang: str) -> str:
    """en "twenty twenty-six", es "dos mil veintiséis"."""
    if check_language(lang) == "en":
        return num2words(year, lang="en", to="year").replace(" and ", " ")
    return cardinal(year, lang)


def _day_of_month(day: int, lang: str) -> str:
    if lang == "en":
        return num2words(day, lang="en", to="ordinal")
    return "primero" if day == 1 else cardinal(day, lang)


def say_day_of_month(day: int, lang: str) -> str:
    """A day of each month: en "twenty-third" (after "the"), es "veintitrés" (after "el día")."""
    return _day_of_month(day, check_language(lang))


def say_date(d: date, lang: str, today: date | None = None) -> str:
    """en "Monday, November twenty-third", es "lunes veintitrés de noviembre".

    The year is added only when `today` is given and the date needs it (`_needs_year`).
    """
    check_language(lang)
    weekday = _WEEKDAYS[lang][d.weekday()]
    separator = ", " if lang == "en" else " "
    return f"{weekday}{separator}{_month_day(d, lang, today)}"


def _needs_year(d: date, today: date | None) -> bool:
    """Whether `d` is said with its year: only when it falls in another year than `today` and
    is not one of the months just before or after it (then the nearest such month is meant)."""
    if today is None or today.year == d.year:
        return False
    months_apart = abs((d.year - today.year) * 12 + d.month - today.month)
    return months_apart >= _NEAR_MONTHS


def say_month_day(d: date, lang: str, today: date | None = None) -> str:
    """en "December thirty-first", es "treinta y uno de diciembre" (the year if not today's)."""
    check_language(lang)
    return _month_day(d, lang, today)


def _month_day(d: date, lang: str, today: date | None) -> str:
    """en "November twenty-third", es "veintitrés de noviembre" (with the year if it is needed)."""
    month, day = _MONTHS[lang][d.month - 1], _day_of_month(d.day, lang)
    show_year = _needs_year(d, today)
    if lang == "en":
        return f"{month} {day}" + (f", {say_year(d.year, lang)}" if show_year else "")
    return f"{day} de {month}" + (f" de {say_year(d.year, lang)}" if show_year else "")


def say_when(d: date, lang: str, today: date | None) -> str:
    """A day something happens, ready to follow a verb: en "today, November twenty-third",
    "tomorrow, ...", "on Monday, November thirtieth", and a week or more away "on December
    twenty-third" (the weekday helps only within the week); es "hoy, veintitrés de noviembre",
    "mañana, ...", "el lunes treinta de noviembre", "el veintitrés de diciembre"."""
    check_language(lang)
    ahead = (d - today).days if today is not None else None
    if ahead in (0, 1):
        return f"{_RELATIVE_DAYS[lang][ahead]}, {_month_day(d, lang, today)}"
    on = "on " if lang == "en" else "el "
    if ahead is not None and abs(ahead) >= _WEEK:
        return on + _month_day(d, lang, today)
    return on + say_date(d, lang, today)


_WEEK = 7  # days: a date this far from today is said without its weekday


def say_moment(moment: datetime, lang: str, today: date) -> str:
    """A day and time, in the moment's own time zone: en "tomorrow at three fifteen p.m.",
    "on Monday, November thirtieth, at eight a.m."; es "mañana a las tres y cuarto de la
    tarde", "el lunes treinta de noviembre, a las ocho de la mañana"."""
    check_language(lang)
    at_time, day = say_time(moment, lang), moment.date()
    ahead = (day - today).days
    at = "at" if lang == "en" else "a"
    if ahead in (0, 1):
        return f"{_RELATIVE_DAYS[lang][ahead]} {at} {at_time}"
    on_day = ("on " if lang == "en" else "el ") + say_date(day, lang, today)
    return f"{on_day}, {at} {at_time}"


def say_month(d: date, lang: str, today: date | None = None) -> str:
    """A coverage month: en "December twenty twenty-six", es "diciembre de dos mil veintiséis";
    only the month's name when the year goes without saying (`_needs_year`)."""
    check_language(lang)
    if today is not None and not _needs_year(d, today):
        return _MONTHS[lang][d.month - 1]
    joiner = " " if lang == "en" else " de "
    return f"{_MONTHS[lang][d.month - 1]}{joiner}{say_year(d.year, lang)}"


def _say_key(char: str, lang: str) -> str:
    if char.isdigit():
        return cardinal(int(char), lang)
    letter = char.upper()
    return _LETTER_AS[lang].format(letter=letter, word=_LETTER_WORDS[lang][letter])


def say_characters(code: str, lang: str) -> str:
    """Spell a code, a word for each letter and a pause every four characters:
    en "K as in King, seven, M as in Mary, three. ...", es "K de kilo, siete, ...".

    Hyphens and spaces in the code are skipped; other non-alphanumerics raise ValueError.
    """
    check_language(lang)
    chars = [c for c in code if c not in "- "]
    if not chars or not all(c.isascii() and c.isalnum() for c in chars):
        raise ValueError("a code is ASCII letters and digits")
    words = [_say_key(c, lang) for c in chars]
    groups = [words[i : i + _CHARACTER_GROUP] for i in range(0, len(words), _CHARACTER_GROUP)]
    return ". ".join(", ".join(group) for group in groups)


def say_digits(digits: str, lang: str) -> str:
    """Digits one by one: "4242" → en "four, two, four, two"."""
    check_language(lang)
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError("expected digits only")
    return ", ".join(cardinal(int(c), lang) for c in digits)


def _say_time_en(hour: int, minute: int) -> str:
    if minute == 0 and hour in (0, 12):
        return "noon" if hour == 12 else "midnight"
    clock = cardinal(hour % 12 or 12, "en")
    if minute:
        minutes = cardinal(minute, "en")
        clock += f" oh {minutes}" if minute < 10 else f" {minutes}"
    return f"{clock} {'a.m.' if hour < 12 else 'p.m.'}"


def _es_part_of_day(hour: int) -> str:
    if hour == 12:
        return "del mediodía"
    if 1 <= hour <= 5:
        return "de la madrugada"
    if 6 <= hour <= 11:
        return "de la mañana"
    if 13 <= hour <= 19:
        return "de la tarde"
    return "de la noche"  # 20:00 to midnight


def _say_time_es(hour: int, minute: int) -> str:
    hour12 = hour % 12 or 12
    clock = "la una" if hour12 == 1 else f"las {cardinal(hour12, 'es')}"
    if minute:
        clock += {15: " y cuarto", 30: " y media"}.get(minute, f" y {cardinal(minute, 'es')}")
    return f"{clock} {_es_part_of_day(hour)}"


def say_time(t: datetime | time, lang: str) -> str:
    """Clock time in its own zone: en "eight a.m.", es "las ocho de la mañana"."""
    if check_language(lang) == "en":
        return _say_time_en(t.hour, t.minute)
    return _say_time_es(t.hour, t.minute)


def say_hours(opens: int, closes: int, lang: str) -> str:
    """A daily span (minutes after midnight), in figures as printed on a notice: en "8 a.m. to
    6 p.m.", "8:30 a.m. to midnight"; es "de 8 de la mañana a 6 de la tarde"."""
    if check_language(lang) == "en":
        return f"{_clock_en(opens)} to {_clock_en(closes)}"
    return f"de {_clock_es(opens)} a {_clock_es(closes)}"


def _clock_en(minutes: int) -> str:
    hour, minute = divmod(minutes, 60)
    if minute == 0 and hour % 12 == 0:
        return "noon" if hour == 12 else "midnight"
    figures = f"{hour % 12 or 12}:{minute:02d}" if minute else f"{hour % 12 or 12}"
    return f"{figures} {'a.m.' if hour < 12 else 'p.m.'}"


def _clock_es(minutes: int) -> str:
    hour, minute = divmod(minutes, 60)
    if minute == 0 and hour % 24 == 0:
        return "medianoche"
    figures = f"{hour % 12 or 12}:{minute:02d}" if minute else f"{hour % 12 or 12}"
    return f"{figures} {_es_part_of_day(hour % 24)}"


_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}


def say_days(days: list[int], lang: str) -> str:
    """Weekdays (0 = Monday, in order): en "Monday through Friday", "Monday, Wednesday and
    Friday", "every day"; es "de lunes a viernes", "lunes, miércoles y viernes", "todos los
    días"."""
    names = _DAYS[check_language(lang)]
    if len(days) == 7:
        return "every day" if lang == "en" else "todos los días"
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        first, last = names[days[0]], names[days[-1]]
        return f"{first} through {last}" if lang == "en" else f"de {first} a {last}"
    said = [names[day] for day in days]
    if len(said) == 1:
        return said[0]
    joined = ", ".join(said[:-1])
    return f"{joined} and {said[-1]}" if lang == "en" else f"{joined} y {said[-1]}"


def word_count(text: str) -> int:
    """Spoken words in `text` (tokens holding a letter or digit), for listening-time estimates."""
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))
