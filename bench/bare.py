"""The bare floor: one route returning a fixed `<Gather><Say>`, served exactly like the real app.

The TwiML is built once, when the app is created, and every POST to `/` answers those same
bytes: no templating, no signature check, no state. `python -m bench.bare --port N --workers 2`
runs it under `ivr.server.run`, so it gets the real server's gunicorn options (bind, workers,
gthread threads, timeout, access log) and nothing else differs: what is left is the cost of
gunicorn, Flask and a Response per request, the floor the real server's CPU is held against.
"""

from __future__ import annotations

import argparse
from typing import Any

from flask import Flask, Response
from twilio.twiml.voice_response import VoiceResponse

from ivr import server

VOICE, LANGUAGE = "Polly.Joanna", "en-US"
PROMPTS = (
    "Thank you, Ana. Your health plan premium of forty-five dollars is due on the twenty-third.",
    "To make a payment, press 1. To hear your balance, press 2. For recent payments, press 3.",
)


def fixed_twiml() -> str:
    """A Gather of two Says with a Redirect after it, as large as a typical answer of the line."""
    response = VoiceResponse()
    gather = response.gather(
        action="/?t=1", method="POST", timeout=8, finish_on_key="#", num_digits=1, input="dtmf"
    )
    for text in PROMPTS:
        gather.say(text, voice=VOICE, language=LANGUAGE)
    response.redirect("/?t=1&silence=1", method="POST")
    return str(response)


def create_bare_app() -> Flask:
    app = Flask(__name__)
    body = fixed_twiml().encode()  # once, at start-up

    @app.post("/")
    def answer() -> Response:
        return Response(body, status=200, mimetype="text/xml")

    return app


class _BareGunicorn(server._Gunicorn):
    def load(self) -> Any:
        return create_bare_app()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    # run() builds the real server's options and hands them to server._Gunicorn; swapping that
    # class (in this process only) serves the bare app with exactly the same options.
    server._Gunicorn = _BareGunicorn  # type: ignore[misc]
    server.run(args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
