"""How the phone reaches the server: over HTTP, or straight into a WSGI app's test client."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol

USER_AGENT = "TwilioProxy/1.1"


class TransportError(Exception):
    """The request never got an HTTP answer (connection refused, timeout, ...)."""


class Transport(Protocol):
    """Sends one request to `base_url + path` and returns (status, body text)."""

    base_url: str

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> tuple[int, str]: ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would be re-sent unsigned for a new URL; report it as the status it is.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpTransport:
    """Real HTTP with urllib: `HttpTransport("http://127.0.0.1:5000")`."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> tuple[int, str]:
        data = urllib.parse.urlencode(params).encode() if params is not None else None
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"User-Agent": USER_AGENT, **headers},
        )
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, _text(response.read(), response.headers)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, _text(error.read(), error.headers)
        except urllib.error.URLError as error:
            raise TransportError(f"no HTTP answer ({error.reason})") from error
        except OSError as error:  # timeouts and resets after connecting
            raise TransportError(f"no HTTP answer ({error})") from error


class WsgiTransport:
    """Posts through a Flask/werkzeug test client: `WsgiTransport(app.test_client())`."""

    def __init__(self, client: Any, base_url: str = "http://localhost") -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> tuple[int, str]:
        response = self.client.open(
            path,
            method=method,
            data=dict(params) if params is not None else None,
            headers={"User-Agent": USER_AGENT, **headers},
            base_url=self.base_url,
        )
        try:
            return response.status_code, response.get_data(as_text=True)
        finally:
            response.close()


def _text(body: bytes, headers: Any) -> str:
    return body.decode(headers.get_content_charset() or "utf-8", errors="replace")
