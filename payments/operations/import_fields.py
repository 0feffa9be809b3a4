"""Reading one JSON object's fields, collecting path-named problems instead of stopping.

A message names the field and the rule. It quotes the value only for fields that are not
personal (`personal`), and then with unprintable characters escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from payments.domain.clock import eastern_date
from payments.domain.money import ZERO, MoneyFormatError, parse_amount
from payments.operations.import_rules import MOMENT, text_problem

Day = date  # the type, inside Reader whose method is named `date`

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
T = TypeVar("T")


class Reader:
    """Field access on `value` (a JSON object) at `path`; problems go to the shared list."""

    def __init__(
        self, value: Any, path: str, problems: list[str], *, personal: frozenset[str]
    ) -> None:
        self.value = value
        self.path = path
        self.problems = problems
        self.personal = personal  # field names whose values are never quoted
        self.failed = False
        if not isinstance(value, dict):
            self.fail("", "must be an object")
            self.value = {}

    def fail(self, field: str, message: str) -> None:
        where = ".".join(part for part in (self.path, field) if part) or "(top level)"
        self.problems.append(f"{where}: {message}")
        self.failed = True

    def refuse(self, field: str, value: Any, rule: str) -> None:
        """Fail with `rule`, quoting `value` first unless the field (or its list) is personal."""
        personal = field.partition("[")[0] in self.personal
        self.fail(field, rule if personal else f"{_show(value)} {rule}")

    def _get(self, field: str) -> Any:
        if field not in self.value:
            self.fail(field, "is missing")
        return self.value.get(field)

    def text(
        self,
        field: str,
        max_length: int,
        pattern: re.Pattern[str] | None = None,
        rule: str = "",
        optional: bool = False,
    ) -> str | None:
        """Printable text without its surrounding spaces, at most `max_length` characters;
        `optional`: None when absent, null or blank."""
        value = self.value.get(field) if optional else self._get(field)
        if optional and (value is None or isinstance(value, str) and not value.strip()):
            return None
        if field not in self.value:
            return None
        problem = text_problem(value, max_length)
        if problem is None and pattern is not None and not pattern.fullmatch(value.strip()):
            problem = rule
        if problem is not None:
            self.refuse(field, value, problem)
            return None
        stripped: str = value.strip()
        return stripped

    def choice(self, field: str, choices: tuple[str, ...]) -> str | None:
        value = self._get(field)
        if field in self.value and value not in choices:
            self.refuse(field, value, f"must be one of {', '.join(choices)}")
            return None
        chosen: str | None = value
        return chosen

    def number_choice(self, field: str, choices: tuple[int, ...]) -> int | None:
        """A JSON integer among `choices` (not 23.0, not true)."""
        value = self._get(field)
        if field not in self.value:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value not in choices:
            self.refuse(field, value, f"must be one of {', '.join(map(str, choices))}")
            return None
        return value

    def money(self, field: str) -> Decimal:
        value = self._get(field)
        try:
            return _amount(value)
        except MoneyFormatError:
            if field in self.value:
                self.refuse(field, value, "is not a decimal amount")
            return ZERO

    def boolean(self, field: str) -> bool:
        value = self._get(field)
        if field in self.value and not isinstance(value, bool):
            self.refuse(field, value, "must be true or false")
        return value is True

    def date(self, field: str, window: tuple[date, date], optional: bool = False) -> date | None:
        """An ISO date from window[0] to window[1] (both included)."""
        value = self.value.get(field) if optional else self._get(field)
        if value is None:
            return None
        parsed = _iso(value, ISO_DATE)
        if parsed is None:
            self.refuse(field, value, "is not a date (YYYY-MM-DD)")
        elif not window[0] <= parsed <= window[1]:
            self.refuse(field, value, f"must be between {window[0]} and {window[1]}")
            return None
        return parsed

    def moment(
        self, field: str, window: tuple[Day, Day], optional: bool = False
    ) -> datetime | None:
        """An ISO 8601 time with its UTC offset, on a day (in Massachusetts) inside `window`."""
        value = self.value.get(field) if optional else self._get(field)
        if value is None:
            return None
        parsed = _moment(value)
        if parsed is None:
            rule = "is not a time with its UTC offset (like 2026-10-02T14:03:00-04:00)"
            self.refuse(field, value, rule)
        elif not window[0] <= eastern_date(parsed) <= window[1]:
            self.refuse(field, value, f"must be between {window[0]} and {window[1]}")
            return None
        return parsed

    def month(self, field: str, window: tuple[Day, Day]) -> Day:
        """The first day of an ISO month (YYYY-MM) inside `window`."""
        value = self._get(field)
        parsed = _iso(f"{value}-01", ISO_DATE) if isinstance(value, str) else None
        if parsed is None or not ISO_MONTH.fullmatch(str(value)):
            if field in self.value:
                self.refuse(field, value, "is not a month (YYYY-MM)")
            return date.min
        if not window[0] <= parsed <= window[1]:
            first, last = (f"{day:%Y-%m}" for day in window)
            self.refuse(field, value, f"must be between {first} and {last}")
        return parsed

    def strings(self, field: str, pattern: re.Pattern[str], rule: str) -> list[str]:
        values = self._get(field)
        if field in self.value and not isinstance(values, list):
            self.fail(field, "must be a list")
        good = []
        for index, value in enumerate(values if isinstance(values, list) else []):
            if not isinstance(value, str) or not pattern.fullmatch(value):
                self.refuse(f"{field}[{index}]", value, rule)
            elif value not in good:
                good.append(value)
        return good

    def nested(self, field: str, parse: Callable[[Reader], T]) -> T | None:
        """`parse` applied to the object `field`, or None when it is absent or null; failures
        inside mark this reader failed."""
        value = self.value.get(field)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(field, "must be an object")
            return None
        path = ".".join(p for p in (self.path, field) if p)
        child = Reader(value, path, self.problems, personal=self.personal)
        parsed = parse(child)
        self.failed = self.failed or child.failed
        return parsed

    def items(self, field: str) -> Iterator[Reader]:
        """A reader for each object in the list `field`; failures inside mark this one failed."""
        values = self._get(field)
        if field in self.value and not isinstance(values, list):
            self.fail(field, "must be a list")
        for index, value in enumerate(values if isinstance(values, list) else []):
            path = ".".join(p for p in (self.path, f"{field}[{index}]") if p)
            child = Reader(value, path, self.problems, personal=self.personal)
            yield child
            self.failed = self.failed or child.failed


def _amount(value: Any) -> Decimal:
    # parse_amount's pattern uses \d, which also matches non-ASCII digits such as "٤".
    if isinstance(value, str) and not value.isascii():
        raise MoneyFormatError("not ASCII")
    return parse_amount(value)


def _iso(value: Any, pattern: re.Pattern[str]) -> Day | None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not MOMENT.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _show(value: Any) -> str:
    """A value as quoted in a message: JSON-like, shortened, unprintable characters escaped."""
    if isinstance(value, str):
        text = '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in value) + '"'
    else:
        text = "null" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
