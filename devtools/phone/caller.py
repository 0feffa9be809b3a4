"""Who is on the line: what answers each Gather, and what the call does while it waits in a
conference or queue, with the REST API able to move it on at any moment.

- `Scripted`: a list of entries, answered at once; a wait ends when the next entry is a hang-up
  or the script has run out, otherwise the entries are kept for the Gathers after the wait.
- `Live`: entries read lazily (a person at the keyboard) on a thread of their own, so that a
  REST redirect can cut a Gather or a wait short while the person is still typing; a line typed
  after that goes to the next Gather. Keys typed while waiting are ignored; 'h', end of input
  or Ctrl-C hang up.
- `Nobody`: an agent's leg placed through the REST API: Gathers hear silence, waits last until
  the REST API or the conference ends them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from devtools.phone.events import Event, Ignored
from devtools.phone.script import Answer, HangUp, Silence, describe
from devtools.phone.switchboard import CallerInput, Complete, Inbox, Message, Redirect, is_steering

Steering = Redirect | Complete
Accept = Callable[[Message], bool]
Note = Callable[[Event], None]


class Caller(Protocol):
    scripted: bool  # answers come from a fixed script: nothing but the REST API ends a wait

    def steered(self) -> Steering | None:
        """A REST message that has arrived, without waiting."""

    def answer(self) -> Answer | Steering:
        """The answer to a Gather, or the REST message that interrupted it."""

    def wait(self, deadline: float | None, accept: Accept, note: Note) -> Answer | Message | None:
        """Wait until the caller hangs up (a HangUp), a REST message or a message `accept`s
        arrives, or `deadline` (time.monotonic()) passes (None)."""


def caller_for(
    entries: Sequence[Answer] | Iterator[Answer],
    inbox: Inbox,
    reprompt: Callable[[], None] | None = None,
) -> Caller:
    if isinstance(entries, Sequence):
        return Scripted(entries, inbox)
    return Live(entries, inbox, reprompt)


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _steering_or(accept: Accept) -> Accept:
    return lambda message: is_steering(message) or accept(message)


class Scripted:
    scripted = True

    def __init__(self, entries: Sequence[Answer], inbox: Inbox) -> None:
        self._entries = list(entries)
        self._next = 0
        self._inbox = inbox

    def steered(self) -> Steering | None:
        return self._inbox.take(is_steering, 0)  # type: ignore[return-value]

    def answer(self) -> Answer | Steering:
        steered = self.steered()
        if steered is not None:
            return steered
        answer = self._take()
        return HangUp(why="script ended") if answer is None else answer

    def wait(self, deadline: float | None, accept: Accept, note: Note) -> Answer | Message | None:
        upcoming = self._entries[self._next] if self._next < len(self._entries) else None
        if upcoming is None:
            return HangUp(why="script ended")
        if isinstance(upcoming, HangUp):
            return self._take()
        try:
            return self._inbox.take(_steering_or(accept), _remaining(deadline))
        except KeyboardInterrupt:  # `ivr call --script`: Ctrl-C while waiting hangs up
            return HangUp()

    def _take(self) -> Answer | None:
        if self._next >= len(self._entries):
            return None
        self._next += 1
        return self._entries[self._next - 1]


class Live:
    scripted = False

    def __init__(
        self, entries: Iterator[Answer], inbox: Inbox, reprompt: Callable[[], None] | None
    ) -> None:
        self._entries = entries
        self._inbox = inbox
        self._reprompt = reprompt
        self._asked = False  # a line has been asked for and not yet taken
        self._over = False  # the input has ended
        self._wanted = threading.Semaphore(0)
        self._reader: threading.Thread | None = None

    def steered(self) -> Steering | None:
        return self._inbox.take(is_steering, 0)  # type: ignore[return-value]

    def answer(self) -> Answer | Steering:
        if self._over:
            return HangUp(why="script ended")
        self._ask()
        try:
            got = self._inbox.take(_steering_or(_is_input), None)
        except KeyboardInterrupt:  # Ctrl-C hangs up like the red button: status callback still goes
            return HangUp()
        if isinstance(got, CallerInput):
            return self._received(got)
        return got  # type: ignore[return-value]

    def wait(self, deadline: float | None, accept: Accept, note: Note) -> Answer | Message | None:
        wanted = _steering_or(lambda message: _is_input(message) or accept(message))
        while not self._over:
            self._ask()
            try:
                got = self._inbox.take(wanted, _remaining(deadline))
            except KeyboardInterrupt:
                return HangUp()
            if not isinstance(got, CallerInput):
                return got
            answer = self._received(got)
            if isinstance(answer, HangUp):
                return answer
            if not isinstance(answer, Silence):
                kind, value = describe(answer)
                note(Ignored(f"{kind} {value}", "nobody takes input while the call waits"))
        return HangUp(why="script ended")

    def _ask(self) -> None:
        if self._asked:  # still waiting for the line asked for before a redirect
            if self._reprompt is not None:
                self._reprompt()
            return
        self._asked = True
        if self._reader is None:
            self._reader = threading.Thread(target=self._read, name="phone-keypad", daemon=True)
            self._reader.start()
        self._wanted.release()

    def _read(self) -> None:
        while True:
            self._wanted.acquire()
            try:
                answer = next(self._entries, None)
            except Exception as error:  # e.g. a bad entry: raised again on the call's thread
                self._inbox.put(CallerInput(None, error))
                return
            self._inbox.put(CallerInput(answer))
            if answer is None:
                return

    def _received(self, message: CallerInput) -> Answer:
        self._asked = False
        if message.error is not None:
            self._over = True
            raise message.error
        if message.answer is None:
            self._over = True
            return HangUp(why="script ended")
        return message.answer


def _is_input(message: Message) -> bool:
    return isinstance(message, CallerInput)


class Nobody:
    """An agent's leg: nobody at a keypad the phone simulates."""

    scripted = False

    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    def steered(self) -> Steering | None:
        return self._inbox.take(is_steering, 0)  # type: ignore[return-value]

    def answer(self) -> Answer | Steering:
        return self.steered() or Silence()

    def wait(self, deadline: float | None, accept: Accept, note: Note) -> Answer | Message | None:
        return self._inbox.take(_steering_or(accept), _remaining(deadline))
