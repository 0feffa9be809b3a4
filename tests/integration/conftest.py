"""Fixtures of the integration tests that run servers of their own."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from devtools.phone.events import Paused, Said


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def own_redis() -> Iterator[tuple[str, subprocess.Popen]]:
    """A Redis server of this test's own, keeping nothing on disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)
    client.close()
    try:
        yield url, server
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.terminate()
        server.wait(10)


class Caller:
    """A caller in real time (pauses last, speech takes a moment) who answers a question asked
    again after "Sorry for the wait." (its first answer was lost with the stall) once more."""

    def __init__(self, script: list[str]) -> None:
        self._entries, self._next, self._last, self._again = script, 0, "", False

    def on_event(self, event: object) -> None:
        if isinstance(event, Paused):
            time.sleep(event.seconds)
        elif isinstance(event, Said):
            self._again = self._again or event.text == "Sorry for the wait."
            time.sleep(0.03)

    def __iter__(self) -> Caller:
        return self

    def __next__(self) -> str:
        if self._again:
            self._again = False
            return self._last
        if self._next >= len(self._entries):
            raise StopIteration
        self._last, self._next = self._entries[self._next], self._next + 1
        return self._last
