"""Reading one JSON object's fields, collecting path-named problems instead of stopping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from payments.domain.money import ZERO, MoneyFormatError, parse_amount

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MONTH = re.compile(r"\d{4}-\d{2}")


class Reader:
    """Field access on `value` (a JSON object) at `path`; problems go to the shared list."""

    def __init__(self, value: Any, path: str, problems: list[str]) -> None:
        self.value = value
        self.path = path
        self.problems = problems
        self.failed = False
        if not isinstance(value, dict):
            self.fail("", "must be an object")
            self.value = {}

    def fail(self, field: str, message: str) -> None:
        where = ".".join(part for part in (self.path, field) if part) or "(top level)"
        self.problems.append(f"{where}: {message}")
        self.failed = True

    def _get(self, field: str) -> Any:
        if field not in self.value:
            self.fail(field, "is missing")
        return self.value.get(field)

    def text(
        self, field: str, pattern: re.Pattern[str] | None = None, rule: str = ""
    ) -> str | None:
        value = self._get(field)
        if field in self.value and (not isinstance(value, str) or not value.strip()):
            self.fail(field, f"{_show(value)} must be a non-empty string")
        elif isinstance(value, str) and pattern is not None and not pattern.fullmatch(value):
            self.fail(field, f"{_show(value)} {rule}")
        else:
            return value if isinstance(value, str) else None
        return None

    def choice(self, field: str, choices: tuple[str, ...]) -> str | None:
        value = self._get(field)
        if field in self.value and value not in choices:
            self.fail(field, f"{_show(value)} must be one of {', '.join(choices)}")
            return None
        return value

    def money(self, field: str) -> Decimal:
        value = self._get(field)
        try:
            return parse_amount(value)
        except MoneyFormatError:
            if field in self.value:
                self.fail(field, f"{_show(value)} is not a decimal amount")
            return ZERO

    def boolean(self, field: str) -> bool:
        value = self._get(field)
        if field in self.value and not isinstance(value, bool):
            self.fail(field, f"{_show(value)} must be true or false")
        return value is True

    def date(self, field: str, optional: bool = False) -> date | None:
        value = self.value.get(field) if optional else self._get(field)
        if value is None:
            return None
        parsed = _iso(value, ISO_DATE)
        if parsed is None:
            self.fail(field, f"{_show(value)} is not a date (YYYY-MM-DD)")
        return parsed

    def month(self, field: str) -> date:
        value = self._get(field)
        parsed = _iso(f"{value}-01", ISO_DATE) if isinstance(value, str) else None
        if parsed is None or not ISO_MONTH.fullmatch(str(value)):
            if field in self.value:
                self.fail(field, f"{_show(value)} is not a month (YYYY-MM)")
            return date.min
        return parsed

    def strings(self, field: str, pattern: re.Pattern[str], rule: str) -> list[str]:
        values = self._get(field)
        if field in self.value and not isinstance(values, list):
            self.fail(field, "must be a list")
        good = []
        for index, value in enumerate(values if isinstance(values, list) else []):
            if not isinstance(value, str) or not pattern.fullmatch(value):
                self.fail(f"{field}[{index}]", f"{_show(value)} {rule}")
            elif value not in good:
                good.append(value)
        return good

    def items(self, field: str) -> Iterator[Reader]:
        """A reader for each object in the list `field`; failures inside mark this one failed."""
        values = self._get(field)
        if field in self.value and not isinstance(values, list):
            self.fail(field, "must be a list")
        for index, value in enumerate(values if isinstance(values, list) else []):
            child = Reader(
                value, ".".join(p for p in (self.path, f"{field}[{index}]") if p), self.problems
            )
            yield child
            self.failed = self.failed or child.failed


def _iso(value: Any, pattern: re.Pattern[str]) -> date | None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _show(value: Any) -> str:
    """A value as quoted in a message (JSON-like, shortened)."""
    text = f'"{value}"' if isinstance(value, str) else "null" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
