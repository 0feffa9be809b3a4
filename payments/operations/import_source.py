"""The billing feed, one subscriber at a time: never the whole file in memory.

A feed is the SPEC's document (`{"subscribers": [...]}`, read incrementally with ijson) or JSON
Lines (one subscriber object a line). Which one is told from the first line: a line that is a
whole JSON object with a subscriber's fields (and no `"subscribers"`) is a subscriber, so the
file is JSON Lines. Tests and
the demo pass the document as a dict.

Each subscriber comes with where it is (`subscribers[4]`, or `line 5` in JSON Lines), which
every problem found in it names. A file that is not JSON is refused by position only: a parser's
own message quotes the text around the fault, and that text is member data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO, Any, cast

import ijson

from payments.operations.import_validation import InvalidImport

Feed = Mapping[str, Any] | Path | IO[bytes]
SUBSCRIBER_KEYS = frozenset({"subscriber_id", "first_name", "last_name", "plans", "phones"})
SNIFF_BYTES = 1 << 20  # a subscriber's line is far shorter; a document's first line may be all


@dataclass(frozen=True)
class Item:
    where: str  # how problems name this subscriber: "subscribers[4]" or "line 5"
    value: Any  # the subscriber as parsed (a dict, unless the feed is wrong)


def items(feed: Feed) -> Iterator[Item]:
    """The feed's subscribers in order; InvalidImport when the file is not a feed at all."""
    if isinstance(feed, Path):
        with feed.open("rb") as stream:
            yield from _from_stream(stream)
    elif isinstance(feed, Mapping) or not hasattr(feed, "read"):
        yield from _from_document(feed)  # not a Mapping: refused as such
    else:
        yield from _from_stream(cast(IO[bytes], feed))


def _from_document(data: Any) -> Iterator[Item]:
    if not isinstance(data, Mapping):
        raise InvalidImport(["(top level): must be an object"])
    if "subscribers" not in data:
        raise InvalidImport(["subscribers: is missing"])
    subscribers = data["subscribers"]
    if not isinstance(subscribers, list):
        raise InvalidImport(["subscribers: must be a list"])
    for index, value in enumerate(subscribers):
        yield Item(f"subscribers[{index}]", value)


def _from_stream(stream: IO[bytes]) -> Iterator[Item]:
    first = stream.readline(SNIFF_BYTES)
    if _is_subscriber_line(first):
        yield from _from_lines(first, stream)
        return
    stream.seek(0)
    count = 0
    try:
        for count, value in enumerate(ijson.items(stream, "subscribers.item"), start=1):
            yield Item(f"subscribers[{count - 1}]", value)
    except ijson.JSONError:
        after = f" after subscribers[{count - 1}]" if count else ""
        raise InvalidImport([f"(file): not valid JSON (or not UTF-8){after}"]) from None
    if count == 0:
        _check_empty(stream)


def _is_subscriber_line(line: bytes) -> bool:
    try:
        value = json.loads(line)
    except ValueError:
        return False
    return (
        isinstance(value, dict)
        and "subscribers" not in value
        and bool(SUBSCRIBER_KEYS & value.keys())
    )


def _from_lines(first: bytes, stream: IO[bytes]) -> Iterator[Item]:
    for number, line in enumerate(chain((first,), stream), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            raise InvalidImport([f"line {number}: not valid JSON (or not UTF-8)"]) from None
        yield Item(f"line {number}", value)


def _check_empty(stream: IO[bytes]) -> None:
    """No subscriber was found: say why, reading the file's events (nothing held in memory)."""
    stream.seek(0)
    events = ijson.parse(stream)
    try:
        _, event, _ = next(events)  # an empty file raises JSONError: not JSON
        if event != "start_map":
            raise InvalidImport(["(top level): must be an object"])
        for prefix, event, value in events:
            if (prefix, event, value) == ("", "map_key", "subscribers"):
                _, kind, _ = next(events)
                if kind != "start_array":
                    raise InvalidImport(["subscribers: must be a list"])
                return
    except ijson.JSONError:
        raise InvalidImport(["(file): not valid JSON (or not UTF-8)"]) from None
    raise InvalidImport(["subscribers: is missing"])
