"""Prompts as data: one TOML file per language, keyed by step and error.

An entry is a string, or a table with a `voice` wording and a shorter `relay` wording.
`Catalog.text` words a `Line`'s typed values (money, dates, digits) in the call's language.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Any

from ivr.flows.base import (
    Chars,
    Day,
    DayOfMonth,
    Digits,
    Line,
    Moment,
    Money,
    Month,
    MonthDay,
    Opening,
    PhoneNumber,
    Term,
    When,
)
from ivr.hours import BusinessHours
from ivr.speech import words as speech

LANGUAGES = ("en", "es")
Entry = str | Mapping[str, str]


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for key, value in table.items():
        if isinstance(value, Mapping) and not set(value) <= {"voice", "relay"}:
            entries.update(_flatten(value, f"{prefix}{key}."))
        else:
            entries[prefix + key] = value
    return entries


_ONE_STOP = re.compile(r"\b([ap]\.m\.)\.")


class Catalog:
    def __init__(self, entries: Mapping[str, Mapping[str, Entry]], hours: BusinessHours) -> None:
        self._entries = entries
        self._hours = hours

    @classmethod
    def load(cls, hours: BusinessHours) -> Catalog:
        folder = resources.files("ivr.prompts")
        entries = {
            lang: _flatten(tomllib.loads(folder.joinpath(f"{lang}.toml").read_text("utf-8")))
            for lang in LANGUAGES
        }
        return cls(entries, hours)

    def keys(self, lang: str) -> set[str]:
        return set(self._entries[lang])

    def raw(self, key: str, lang: str, relay: bool) -> str:
        entry = self._entries[lang][key]
        if isinstance(entry, str):
            return entry
        return entry["relay"] if relay and "relay" in entry else entry["voice"]

    def text(self, line: Line, lang: str, relay: bool, today: date | None = None) -> str:
        template = self.raw(line.key, lang, relay)
        values = {
            name: self._word(value, lang, relay, today) for name, value in line.params.items()
        }
        if "{hours}" in template:  # in any prompt: when representatives answer (AGENT_HOURS)
            values = {"hours": self._hours.say(lang), **values}
        said = template.format(**values)
        said = said[:1].upper() + said[1:]  # a line that opens with a value: "Forty-five dollars"
        return _ONE_STOP.sub(r"\1", said)  # "at eight a.m." ends the sentence: one full stop

    def _word(self, value: Any, lang: str, relay: bool, today: date | None) -> str:
        match value:
            case Money(amount):
                return speech.say_money(amount, lang)
            case Day(day):
                return speech.say_date(day, lang, today)
            case When(day):
                return speech.say_when(day, lang, today)
            case MonthDay(day):
                return speech.say_month_day(day, lang, today)
            case DayOfMonth(day):
                return speech.say_day_of_month(day, lang)
            case Moment(moment):
                local = self._hours.local(moment)
                return speech.say_moment(local, lang, today or local.date())
            case Month(month):
                return speech.say_month(month, lang, today)
            case Chars(code):
                return speech.say_characters(code, lang)
            case Digits(digits):
                return self._keys(digits, lang, relay)
            case PhoneNumber(number):
                groups = [group for group in number.split("-") if group.isdigit()]
                return ", ".join(speech.say_digits(g, lang).replace(",", "") for g in groups)
            case Opening(now):
                return self._hours.say_next_opening(now, lang)
            case Term(key):
                return self.raw(key, lang, relay)
        return speakable(str(value))

    def _keys(self, keys: str, lang: str, relay: bool) -> str:
        words = [
            speech.say_digits(k, lang) if k.isdigit() else self.raw(_KEY_NAMES[k], lang, relay)
            for k in keys
            if k.isdigit() or k in _KEY_NAMES
        ]
        return ", ".join(words)


_KEY_NAMES = {"*": "key.star", "#": "key.pound"}
# Control, format, surrogate, private-use and unassigned characters: nothing a voice can say,
# and some are not allowed in XML at all (a name holding one would break every TwiML it is in).
_UNSPEAKABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def speakable(text: str) -> str:
    """`text` without characters that cannot be spoken or written in TwiML."""
    return "".join(c for c in text if unicodedata.category(c) not in _UNSPEAKABLE)
