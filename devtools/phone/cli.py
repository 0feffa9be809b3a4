"""`ivr call`: dial the IVR from a terminal, by keyboard or with a comma-separated script."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import click

from devtools.phone.device import DEFAULT_FROM, DEFAULT_RELAY_TO, DEFAULT_TO, Phone
from devtools.phone.events import (
    Answered,
    Ended,
    Error,
    Event,
    Gathered,
    Ignored,
    Paused,
    Played,
    Said,
    Sent,
    TimedOut,
    Transferred,
)
from devtools.phone.script import parse_entry, split_script
from devtools.phone.transport import HttpTransport

_BASE_PARAMS = frozenset(
    {"CallSid", "AccountSid", "From", "Caller", "To", "Called", "Direction", "ApiVersion"}
)


@click.command("call")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="Server to call.")
@click.option("--public-url", help="Base URL the server signs against. [default: --url]")
@click.option("--from", "from_number", default=DEFAULT_FROM, show_default=True)
@click.option("--to", "to_number", default=DEFAULT_TO, show_default=True)
@click.option("--auth-token", envvar="TWILIO_AUTH_TOKEN", required=True, show_envvar=True)
@click.option("--account-sid", envvar="TWILIO_ACCOUNT_SID", help="[default: random]")
@click.option(
    "--answer-delay",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds each answer takes (relay callers are slow); longer than a timeout is silence.",
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
    account_sid: str | None,
    answer_delay: float,
    script: str | None,
    relay: bool,
    verbose: bool,
) -> None:
    """Place a simulated Twilio call to the IVR and talk to it from the terminal.

    Answer each prompt with keys (a trailing '#' is the finish key), Enter alone for silence,
    'say: …' to speak, or 'h' to hang up. End of input hangs up.
    """
    phone = Phone(
        HttpTransport(url),
        auth_token,
        from_number=from_number,
        to_number=_relay_number() if relay else to_number,
        public_base_url=public_url,
        answer_delay=answer_delay,
        account_sid=account_sid,
    )
    printer = _Printer(echo_answers=script is not None, verbose=verbose, delay=answer_delay)
    entries = _checked(split_script(script)) if script is not None else _keyboard(printer)
    click.echo(f"Calling {phone.to_number} from {phone.from_number} at {phone.voice_url}")
    log = phone.call(entries, on_event=printer)
    if log.errors:
        raise click.exceptions.Exit(1)


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


def _keyboard(printer: _Printer) -> Iterator[str]:
    """Keyboard answers, one line per Gather; end of input hangs up."""
    while True:
        click.echo(printer.hint())
        click.echo("  ⌨  ", nl=False)
        try:
            line = sys.stdin.readline()
        except KeyboardInterrupt:  # Ctrl-C hangs up like the red button: status callback still goes
            line = ""
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


class _Printer:
    """Shows each event as it happens."""

    def __init__(self, echo_answers: bool, verbose: bool, delay: float) -> None:
        self.echo_answers = echo_answers
        self.verbose = verbose
        self.delay = delay
        self.gather: Gathered | None = None
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
            Ended: lambda e: f"Call ended ({e.reason})",
        }

    def __call__(self, event: Event) -> None:
        if isinstance(event, Error):
            click.echo(f"  ✖  {event.message}", err=True)
            return
        text = self._formats[type(event)](event)
        if text is not None:
            click.echo(text)

    def hint(self) -> str:
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
        self.gather = gather
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
