"""The vocabulary flows use to decide; renderers turn it into TwiML.

A step says what it asks (`Ask`), and how it answers an input (an `Outcome`). Values that must be
spoken in the caller's language are typed (`Money`, `Day`, ...) and worded by the renderer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Money:
    amount: Decimal


@dataclass(frozen=True)
class Day:
    value: date


@dataclass(frozen=True)
class MonthDay:
    """A date without its weekday: "December thirty-first"."""

    value: date


@dataclass(frozen=True)
class When:
    """A day something happens, ready to follow a verb: "today, ...", "on Monday, ..."."""

    value: date


@dataclass(frozen=True)
class DayOfMonth:
    """A day of each month: "the twenty-third" (AutoPay's day)."""

    value: int


@dataclass(frozen=True)
class Moment:
    """A day and a time: "tomorrow at three fifteen p.m." (in Massachusetts time)."""

    value: datetime


@dataclass(frozen=True)
class Month:
    value: date


@dataclass(frozen=True)
class Chars:
    """Spelled one character at a time (confirmation numbers)."""

    value: str


@dataclass(frozen=True)
class Digits:
    """Read digit by digit (last four of a card)."""

    value: str


@dataclass(frozen=True)
class PhoneNumber:
    """Read in its groups, as written: "1-877-623-6765" is one, eight seven seven, ..."""

    value: str


@dataclass(frozen=True)
class Opening:
    """When representatives are next available, worded relative to now."""

    now: datetime


@dataclass(frozen=True)
class Line:
    """One prompt from the catalog, by key, with its values; `lang` speaks it in another
    language than the call's (the Spanish choice at the greeting)."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    lang: str | None = None


def line(key: str, **params: Any) -> Line:
    return Line(key, params)


def menu(key: str, *, lenient: bool = False) -> Callable[[Any], Ask]:
    """A step's `ask` for a one-key menu worded by one catalog entry."""
    return lambda ctx: Ask((line(key),), Input.MENU, lenient=lenient)


def value(
    key: str, length: tuple[int, int], *, sensitive: bool = False, costly: bool = False
) -> Callable[[Any], Ask]:
    """A step's `ask` for a keyed value of `length` (fewest, most) keys, finished with '#'."""
    return lambda ctx: Ask(
        (line(key),), Input.VALUE, sensitive=sensitive, costly=costly, length=length
    )


class Input(StrEnum):
    MENU = "menu"  # one key
    VALUE = "value"  # several keys finished with '#'


@dataclass(frozen=True)
class Ask:
    lines: tuple[Line, ...]
    kind: Input = Input.VALUE
    sensitive: bool = False  # never log the keys; keep them sealed
    costly: bool = False  # spoken input is read back before use
    length: tuple[int, int] | None = None  # a value's fewest and most keys
    heard_first: tuple[Line, ...] = ()  # said in full before any key counts (no barge-in)
    lenient: bool = False  # a menu that may get a value keyed ahead: no one-key cut-off

    @property
    def fixed_length(self) -> int | None:
        """The number of keys a value always has (Twilio's numDigits), if it has one."""
        if self.kind is Input.VALUE and self.length and self.length[0] == self.length[1]:
            return self.length[0]
        return None

    def zero_is_representative(self) -> bool:
        """'0' alone reaches a representative where it cannot be the whole answer."""
        return self.kind is Input.MENU or (self.length is not None and self.length[0] > 1)


@dataclass(frozen=True)
class Go:
    """Move to `step`, saying `said` first."""

    step: str
    said: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Retry:
    """The input was not usable: say why and ask again (counts toward the failure limit)."""

    said: tuple[Line, ...]


@dataclass(frozen=True)
class Transfer:
    """Connect to a representative (the renderer picks the voice or relay queue)."""

    said: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Hangup:
    said: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Hold:
    """Say `said`, wait a moment with no question asked, then come back to `step`'s `poll`
    (a payment the processor has not answered yet)."""

    step: str
    said: tuple[Line, ...] = ()


Outcome = Go | Retry | Transfer | Hangup | Hold


@dataclass(frozen=True)
class Step:
    """A named point in the call: what it asks, and what each answer leads to.

    `enter` may move on at once (skip a question that has one possible answer, or say a
    summary); `handle` gets the caller's keys, already converted from speech for relay; `poll`
    is called when a `Hold` on this step comes back.
    """

    name: str
    ask: Callable[[Any], Ask] | None = None
    handle: Callable[[Any, str], Outcome] | None = None
    enter: Callable[[Any], Outcome | None] | None = None
    poll: Callable[[Any], Outcome] | None = None


@dataclass(frozen=True)
class Term:
    """Another catalog entry spoken in place (plan kinds, account types)."""

    key: str


def only_choice(ctx: Any, plans: Sequence[Any], key: str, next_step: str, none: Line) -> Go | None:
    """A plan menu's entry: back to the main menu saying `none` when there is no plan to
    choose, straight on to `next_step` with the one plan kept under `key` when there is one,
    else None (the menu is asked)."""
    if not plans:
        return Go("main_menu", (none,))
    if len(plans) == 1:
        ctx.state[key] = plans[0].plan_id
        return Go(next_step)
    return None
