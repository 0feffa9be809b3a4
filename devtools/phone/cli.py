"""`ivr call`: dial the IVR from a terminal, by keyboard or with a comma-separated script."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import click
from click.core import ParameterSource

from devtools.phone.device import DEFAULT_FROM, DEFAULT_RELAY_TO, DEFAULT_TO, Phone
from devtools.phone.events import (
    Answered,
    Conferenced,
    Ended,
    Enqueued,
    Error,
    Event,
    Gathered,
    Ignored,
    Left,
    Paused,
    Peer,
    Played,
    Redirected,
    Said,
    Sent,
    TimedOut,
    Transferred,
)
from devtools.phone.rest import LocalTwilio
from devtools.phone.script import parse_entry, split_script
from devtools.phone.transport import HttpTransport

# The account the local stand-in is, unless TWILIO_ACCOUNT_SID says otherwise: fixed, so that
# `make run` and `make call` agree without configuration.
LOCAL_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_REST_PORT = 5099

_BASE_PARAMS = frozenset(
    {"CallSid", "AccountSid", "From", "Caller", "To", "Called", "Direction", "ApiVersion"}
)


@click.command("call")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="Server to call.")
@click.option("--public-url", help="Base URL the server signs against. [default: --url]")
@click.option("--from", "from_number", default=DEFAULT_FROM, show_default=True)
@click.option("--to", "to_number", default=DEFAULT_TO, show_default=True)
@click.option("--auth-token", envvar="TWILIO_AUTH_TOKEN", required=True, show_envvar=True)
@click.option(
    "--account-sid",
    envvar="TWILIO_ACCOUNT_SID",
    default=LOCAL_ACCOUNT_SID,
    show_default=True,
    show_envvar=True,
    help="Signs webhooks, and is the only account the REST API stand-in accepts.",
)
@click.option(
    "--rest-port",
    type=click.IntRange(min=0, max=65535),
    default=DEFAULT_REST_PORT,
    show_default=True,
    help="Port of the local Twilio REST API stand-in, on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--conference-wait",
    type=click.FloatRange(min=0),
    help="Seconds a call may wait in a conference or queue, then ends there. [default: none]",
)
@click.option(
    "--answer-delay",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds each answer takes (relay callers are slow); longer than a timeout is silence.",
)
@click.option(
    "--stir-verstat",
    default="TN-Validation-Passed-A",
    show_default=True,
    help="The caller ID's attestation Twilio reports ('' for none: a withheld or spoofable ID).",
)
@click.option("--script", help="Comma-separated entries, e.g. '1,,100000000001#,say: yes,h'.")
@click.option("--relay", is_flag=True, help="Call the relay number (first of RELAY_NUMBERS).")
@click.option("-v", "--verbose", is_flag=True, help="Show every webhook request.")
def call(
    url: str,
    public_url: str | None,
    from_number: str,
    to_number: str,
    auth_token: str,
    account_sid: str,
    rest_port: int,
    conference_wait: float | None,
    answer_delay: float,
    stir_verstat: str,
    script: str | None,
    relay: bool,
    verbose: bool,
) -> None:
    """Place a simulated Twilio call to the IVR and talk to it from the terminal.

    Answer each prompt with keys (a trailing '#' is the finish key), Enter alone for silence,
    'say: …' to speak, or 'h' to hang up. End of input hangs up. The phone also answers the
    REST API calls the line makes (moving the call, dialling an agent's phone into its
    conference) on 127.0.0.1:--rest-port; a call in a conference waits there until then, or
    until you hang up.
    """
    phone = Phone(
        HttpTransport(url),
        auth_token,
        from_number=from_number,
        to_number=_relay_number() if relay else to_number,
        public_base_url=public_url,
        answer_delay=answer_delay,
        account_sid=account_sid,
        conference_wait=conference_wait,
        stir_verstat=stir_verstat or None,
    )
    printer = _Printer(echo_answers=script is not None, verbose=verbose, delay=answer_delay)
    entries = _checked(split_script(script)) if script is not None else _Keyboard(printer)
    api = LocalTwilio(phone, on_message=click.echo)
    _start_rest_api(api, rest_port, click.get_current_context())
    try:
        click.echo(f"Calling {phone.to_number} from {phone.from_number} at {phone.voice_url}")
        log = phone.call(entries, on_event=printer)
    finally:
        api.stop()
    if log.errors:
        raise click.exceptions.Exit(1)


def _start_rest_api(api: LocalTwilio, port: int, ctx: click.Context) -> None:
    try:
        base = api.start(port)
    except OSError as error:
        click.echo(
            f"  !  no Twilio REST API stand-in on 127.0.0.1:{port} ({error}): the line cannot "
            "move this call or dial an agent (--rest-port 0 takes any free port)",
            err=True,
        )
        return
    source = ctx.get_parameter_source("account_sid")
    if source == ParameterSource.ENVIRONMENT:
        whose = "read from TWILIO_ACCOUNT_SID"
    elif source == ParameterSource.DEFAULT:
        whose = "the fixed local account; TWILIO_ACCOUNT_SID sets another"
    else:
        whose = "from --account-sid"
    click.echo(
        f"Twilio REST API stand-in on {base}: run the line with TWILIO_API_BASE_URL={base} "
        f"TWILIO_ACCOUNT_SID={api.phone.account_sid} ({whose}) and this TWILIO_AUTH_TOKEN"
    )


def _relay_number() -> str:
    numbers = [n.strip() for n in os.environ.get("RELAY_NUMBERS", "").split(",") if n.strip()]
    return numbers[0] if numbers else DEFAULT_RELAY_TO


def _checked(entries: list[str]) -> list[str]:
    for entry in entries:
        try:
            parse_entry(entry)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--script") from error
    return entries


class _Keyboard:
    """Keyboard answers, one line per Gather (or 'h' while waiting); end of input hangs up.

    The phone reads it on a thread of its own (Ctrl-C reaches the call, which hangs up), and
    calls `reprompt` when it needs the line it asked for before a redirect cut the Gather short.
    """

    def __init__(self, printer: _Printer) -> None:
        self.printer = printer

    def __iter__(self) -> Iterator[str]:
        while True:
            self.printer.prompt()
            line = sys.stdin.readline()
            self.printer.prompt_open = False
            if not line:
                click.echo()
                return
            entry = line.rstrip("\r\n")
            if not sys.stdin.isatty():
                click.echo(entry)  # a terminal echoes typing itself; piped input does not
            try:
                parse_entry(entry)
            except ValueError as error:
                click.echo(f"  !  {error}")
                continue
            yield entry

    def reprompt(self) -> None:
        self.printer.prompt()


class _Printer:
    """Shows each event as it happens."""

    def __init__(self, echo_answers: bool, verbose: bool, delay: float) -> None:
        self.echo_answers = echo_answers
        self.verbose = verbose
        self.delay = delay
        self.gather: Gathered | None = None
        self.waiting = False  # in a conference or queue: only 'h' means something
        self.prompt_open = False  # "  ⌨  " is on screen, the line not yet typed
        self.width = max(40, shutil.get_terminal_size().columns - 1)
        self._formats: dict[type, Callable[[Any], str | None]] = {
            Said: self._said,
            Played: lambda e: "  ☎  [audio]",
            Paused: lambda e: f"  …  (pause {e.seconds}s)",
            Gathered: self._gathered,
            Answered: self._answered,
            TimedOut: lambda e: f"  ⏱  {e}",
            Ignored: lambda e: f"  ·  ignored {e.what}: {e.reason}",
            Sent: self._sent,
            Transferred: lambda e: f"  ⇢  transferred to {e.kind} {e.target}",
            Conferenced: lambda e: self._waiting(f"in conference {e.name}"),
            Enqueued: lambda e: self._waiting(f"in queue {e.name}"),
            Peer: lambda e: f"  ☺  {e.call_sid} {'joined' if e.joined else 'left'} {e.conference}",
            Left: self._left,
            Redirected: lambda e: f"  ↪  moved by the REST API to {e.method} {e.url}",
            Ended: lambda e: f"Call ended ({e.reason})",
        }

    def __call__(self, event: Event) -> None:
        if isinstance(event, Error):
            self._line_break()
            click.echo(f"  ✖  {event.message}", err=True)
            return
        text = self._formats[type(event)](event)
        if text is not None:
            self._line_break()
            click.echo(text)

    def prompt(self) -> None:
        if self.prompt_open:
            return  # still on screen
        hint = self.hint()
        if hint is not None:
            click.echo(hint)
        click.echo("  ⌨  ", nl=False)
        self.prompt_open = True

    def _line_break(self) -> None:
        if self.prompt_open:  # an event while the keyboard waits: not on the prompt's line
            self.prompt_open = False
            click.echo()

    def _waiting(self, where: str) -> str:
        self.gather, self.waiting = None, True
        return f"  ⧗  {where}: waiting for a representative (h to hang up)"

    def _left(self, left: Left) -> str:
        self.waiting = False
        return f"  ⧗  left {left.name}: {left.why}"

    def hint(self) -> str | None:
        if self.waiting:
            return None  # the "⧗" line said it
        gather = self.gather
        if gather is None:
            return "  [Enter to continue; 'h' to hang up]"
        parts = ["Enter alone = silence", "'h' to hang up"]
        if gather.accepts_speech:
            parts.insert(0, "'say: …' to speak")
        if gather.accepts_dtmf:
            parts.insert(0, _keys_hint(gather))
        timing = f"timeout {gather.timeout}s"
        if self.delay:
            timing += f", you take {self.delay:g}s"
        return f"  [{'; '.join(parts)}] ({timing})"

    def _said(self, said: Said) -> str:
        text = said.text if said.language.startswith("en") else f"({said.language}) {said.text}"
        text += " —(interrupted)" if said.interrupted else ""
        return textwrap.fill(text, self.width, initial_indent="  ☎  ", subsequent_indent="     ")

    def _gathered(self, gather: Gathered) -> None:
        self.gather, self.waiting = gather, False
        return None

    def _answered(self, answer: Answered) -> str | None:
        if not self.echo_answers:
            return None
        return {"keys": "  ⌨  ", "speech": "  🗣  "}.get(answer.kind, "  ⌨  ") + (
            answer.value or f"({answer.kind})"
        )

    def _sent(self, sent: Sent) -> str | None:
        if not self.verbose:
            return None
        extra = " ".join(f"{k}={v}" for k, v in sent.params.items() if k not in _BASE_PARAMS)
        return f"  →  {sent.method} {sent.url} {extra} [{sent.status or 'no answer'}]"


def _keys_hint(gather: Gathered) -> str:
    if gather.num_digits:
        return f"{gather.num_digits} key(s), then Enter"
    if gather.finish_on_key:
        return f"keys, then Enter — '{gather.finish_on_key}' optional"
    return "keys, then Enter"
