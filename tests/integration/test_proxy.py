"""The shipped proxy configuration (deploy/nginx.conf) in front of the real server: clients that
send slowly hold no gunicorn thread (a signed webhook still answers at once beside 40 of them),
they are cut off after the configured timeout, and an oversized body never reaches the service."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from bench.servers import free_port, real_command, start, stop, wait_until_answering
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.storage.db import make_engine, make_uow_factory, upgrade_database

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
TOKEN = "proxy-test-token"
SLOW_CLIENTS = 40
CALL = {"CallSid": "CA" + "7" * 32, "From": "+16175559999", "To": "+18776236765"}


@pytest.fixture()
def proxied(tmp_path: Path) -> Iterator[str]:
    """`ivr serve` (one worker, 8 threads) behind nginx run from deploy/nginx.conf; the URL."""
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if nginx is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("nginx is not installed (Debian: nginx-light)")
        pytest.skip("nginx is not installed")
    database = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    upgrade_database(database)
    engine = make_engine(database)
    import_accounts(make_uow_factory(engine), demo_accounts(date.today()))
    engine.dispose()
    server_port, proxy_port = free_port(), free_port()
    public = f"http://127.0.0.1:{proxy_port}"
    env = {
        "DATABASE_URL": database,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": public,
        "TRUSTED_PROXIES": "1",
        "LOG_LEVEL": "WARNING",
    }
    command = [*real_command(server_port)]
    command[command.index("--workers") + 1] = "1"
    server = start("ivr", command, server_port, env, tmp_path)
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    config = CONFIG.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{server_port}")
    (prefix / "nginx.conf").write_text(config.replace("listen 8080;", f"listen {proxy_port};"))
    command = [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
    with (prefix / "stderr.log").open("wb") as errors:
        proxy = subprocess.Popen([*command, "-g", "daemon off; user root;"], stderr=errors)
    try:
        wait_until_answering(server, "/healthz", need_ok=True)
        deadline = time.monotonic() + 10
        while _status(public + "/healthz") != 200:
            assert proxy.poll() is None, (prefix / "stderr.log").read_text()
            assert time.monotonic() < deadline, "nginx did not come up"
            time.sleep(0.1)
        yield public
    finally:
        proxy.terminate()
        proxy.wait(10)
        stop(server)


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except OSError:
        return None


def _signed_webhook(public: str) -> tuple[int, float]:
    url = public + "/webhooks/voice"
    signature = RequestValidator(TOKEN).compute_signature(url, CALL)
    request = urllib.request.Request(
        url, data=urlencode(CALL).encode(), headers={"X-Twilio-Signature": signature}
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, time.monotonic() - started


def _slow_client(port: int) -> socket.socket:
    """A client that announces a body and sends a few bytes of it, then nothing."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"POST /webhooks/voice HTTP/1.1\r\nHost: x\r\nContent-Type: "
        b"application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\nCallSid=CA"
    )
    return sock


def test_slow_clients_hold_no_server_thread_and_are_cut_off(proxied: str) -> None:
    port = int(proxied.rsplit(":", 1)[1])
    slow = [_slow_client(port) for _ in range(SLOW_CLIENTS)]  # 5x the server's threads
    try:
        time.sleep(0.5)
        status, seconds = _signed_webhook(proxied)
        assert status == 200 and seconds < 2.0  # answered beside them, not after them
        started = time.monotonic()
        slow[0].settimeout(15)
        answer = slow[0].recv(200)  # nginx gives up on the body (client_body_timeout 5 s)
        assert answer.startswith(b"HTTP/1.1 408") or answer == b""
        assert time.monotonic() - started < 8
    finally:
        for sock in slow:
            sock.close()


def test_an_oversized_body_is_refused_at_the_proxy(proxied: str) -> None:
    url = proxied + "/webhooks/voice"
    request = urllib.request.Request(url, data=b"Digits=" + b"1" * 20_000)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()
    assert refused.value.code == 413
