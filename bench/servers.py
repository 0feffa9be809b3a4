"""Start the real server and the bare one as subprocesses, wait for them, stop them cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import HOST, WORKERS, BenchError

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def ivr_command() -> list[str]:
    """`ivr` from this venv (or `python -m ivr.cli` when the script is missing)."""
    script = Path(sys.executable).parent / "ivr"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ivr.cli"]


def real_command(port: int, workers: int = WORKERS) -> list[str]:
    return [*ivr_command(), "serve", *_bind_options(port, workers)]


def bare_command(port: int, workers: int = WORKERS) -> list[str]:
    return [sys.executable, "-m", "bench.bare", *_bind_options(port, workers)]


def _bind_options(port: int, workers: int) -> list[str]:
    return ["--host", HOST, "--port", str(port), "--workers", str(workers)]


def start(name: str, command: list[str], port: int, env: dict[str, str], logs: Path) -> Server:
    """Its own session: a Ctrl-C reaches the benchmark, which then stops the server itself."""
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, process, f"http://{HOST}:{port}", log_path)


@contextmanager
def serving(
    name: str,
    command: list[str],
    port: int,
    env: dict[str, str],
    logs: Path,
    health: str,
    need_ok: bool = True,
) -> Iterator[Server]:
    """A server started and answering GET `health` (with 200 if `need_ok`); stopped on the way
    out, whatever happened."""
    server = start(name, command, port, env, logs)
    try:
        wait_until_answering(server, health, need_ok)
        yield server
    finally:
        stop(server)


def wait_until_answering(server: Server, path: str, need_ok: bool) -> None:
    """Poll GET `path` until it answers (200 if `need_ok`); BenchError after START_TIMEOUT."""
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(_startup_failure(server, f"exited with {server.process.returncode}"))
        status = _get_status(server.base_url + path)
        if status is not None and (status == 200 or not need_ok):
            return
        last = f"HTTP {status}" if status is not None else last
        time.sleep(0.2)
    raise BenchError(_startup_failure(server, f"not answering GET {path} ({last})"))


def _get_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _startup_failure(server: Server, what: str) -> str:
    return f"the {server.name} server {what} after starting; its log ends:\n{server.log_tail()}"


def stop(server: Server) -> None:
    """SIGTERM (gunicorn's graceful stop), then SIGKILL to the whole group if it lingers."""
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(STOP_TIMEOUT)
