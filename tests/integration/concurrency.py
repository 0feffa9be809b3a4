"""Running attempts truly at once, for the tests of what the database serialises."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def all_at_once(count: int, attempt: Callable[[int], T]) -> list[T]:
    """Run `attempt(0..count-1)` on `count` threads released together."""
    start = threading.Barrier(count)

    def released(i: int) -> T:
        start.wait()
        return attempt(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(released, range(count)))
