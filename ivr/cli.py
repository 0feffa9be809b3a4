"""The `ivr` command: database, accounts, the server and a terminal phone."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ivr.assembly import build_from_settings, settings
from ivr.config import ConfigError, Settings, to_e164

if TYPE_CHECKING:
    from payments.operations.import_source import Feed, Item


@contextmanager
def core() -> Iterator[Any]:
    """The payments core, built as the server builds it (payments.bootstrap)."""
    _, built = build_from_settings()
    try:
        yield built
    finally:
        built.close()


@click.group()
def main() -> None:
    """Premium payment line: operator commands."""


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database or migrate it to the latest schema."""
    from payments.storage.db import upgrade_database

    upgrade_database(settings().database_url)
    click.echo("database is up to date")


def normalize_phones(item: Item) -> list[str]:
    """Phones on file become E.164 so the caller's number can be matched exactly; the problem
    with each one that is not a phone number (and it is left out, so that it is not reported
    twice: the import is refused anyway)."""
    from payments.operations.import_rules import SUBSCRIBER_ID

    member = item.value
    phones = member.get("phones") if isinstance(member, dict) else None
    if not isinstance(phones, list):
        return []
    good, problems = [], []
    for position, phone in enumerate(phones):
        try:
            good.append(to_e164(str(phone)))
        except ConfigError:
            # The error's text quotes the number (personal data): name the field instead,
            # and the subscriber only by a well-formed ID (the field could hold anything).
            who = member.get("subscriber_id")
            named = f" ({who})" if isinstance(who, str) and SUBSCRIBER_ID.fullmatch(who) else ""
            problems.append(
                f"{item.where}{named}.phones[{position}]: "
                "is not a phone number (e.g. +16175550100 or (617) 555-0100)"
            )
    phones[:] = good
    return problems


SHOWN_PREMIUM_CHANGES = 20


def _import(feed: Feed) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from payments.operations.importer import InvalidImport, import_accounts

    configured, payments = build_from_settings()
    try:
        report = import_accounts(
            payments.uow, feed, sealer=payments.sealer, service_phone=configured.service_phone,
            prepare=normalize_phones,
        )  # fmt: skip
    except InvalidImport as error:
        raise click.ClickException(f"nothing was imported: {error}") from error
    except SQLAlchemyError as error:
        # Never the error's own text: it quotes the statement's parameters, i.e. member data.
        # `from None` keeps them out of any traceback or log that shows the chain.
        raise click.ClickException(
            f"nothing was imported: the database refused the data ({type(error).__name__}); "
            "no member data is shown"
        ) from None
    finally:
        payments.close()
    for what, counted in (("members", report.members), ("plans", report.plans)):
        click.echo(
            f"{what}: {counted.created} created, {counted.changed} changed, "
            f"{counted.unchanged} unchanged"
        )
    changes = report.premium_changes
    told = report.notices
    click.echo(f"premium changes: {len(changes)}; AutoPay notices of a new amount: {told}")
    for change in changes[:SHOWN_PREMIUM_CHANGES]:
        click.echo(f"  {change.plan_id} ({change.subscriber_id}): {change.old} -> {change.new}")
    if len(changes) > SHOWN_PREMIUM_CHANGES:
        click.echo(f"  ... and {len(changes) - SHOWN_PREMIUM_CHANGES} more")


@main.command("import-accounts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_accounts_command(file: Path) -> None:
    """Load or update members, plans and invoices from the billing system's feed: the JSON
    document, or JSON Lines (one subscriber a line). Read as it streams, so any size."""
    _import(file)


@main.group()
def demo() -> None:
    """The demo members, for trying the line (dates relative to today)."""


@demo.command("load")
def demo_load() -> None:
    """Load (or update) the demo members."""
    from payments.domain.clock import eastern_date, system_clock
    from payments.operations.demo import demo_accounts

    _import(demo_accounts(eastern_date(system_clock())))


@demo.command("reset")
def demo_reset() -> None:
    """Start the demo over: the demo members' payments and attempts cleared, accounts reloaded.

    Only the demo members are touched; the audit trail is kept.
    """
    from payments.domain.clock import eastern_date, system_clock
    from payments.operations.demo_reset import reset_demo

    configured, payments = build_from_settings()
    try:
        reset_demo(payments.uow, eastern_date(system_clock()), payments.sealer,
                   configured.service_phone)  # fmt: skip
    finally:
        payments.close()
    click.echo("demo members reset: no payments, bills as of today")


@main.group()
def account() -> None:
    """Members' accounts."""


@account.command("show")
@click.argument("subscriber_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the only format for now).")
def account_show(subscriber_id: str, as_json: bool) -> None:
    """Print a member's plans, balances and payments."""
    from payments.operations.admin import account_as_json

    with core() as payments:
        found = account_as_json(payments.uow, subscriber_id)
    if found is None:
        raise click.ClickException(f"no member with Subscriber ID {subscriber_id}")
    click.echo(json.dumps(found, indent=2))


@main.command()
@click.argument("subscriber_id")
@click.option("--by", required=True, help="Who lifts the lockout (recorded in the audit trail).")
def unlock(subscriber_id: str, by: str) -> None:
    """Lift a member's self-service lockout after too many wrong dates of birth."""
    with core() as payments:
        if not payments.service.member_exists(subscriber_id):
            raise click.ClickException(f"no member with Subscriber ID {subscriber_id}")
        try:
            cleared = payments.service.unlock(subscriber_id, by)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"unlocked {subscriber_id}: {cleared} failed attempts no longer count")


@main.group()
def agents() -> None:
    """Customer-service agents' console logins."""


@agents.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="The agent's full name.")
def agents_add(username: str, full_name: str) -> None:
    """Add an agent. The password is read from standard input (its first line), or asked for
    twice, unechoed, at a terminal; at least 12 characters."""
    password = _new_password()
    with core() as payments:
        try:
            added = payments.agents.add_agent(username, full_name, password)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"agent {added} added")


@agents.command("disable")
@click.argument("username")
def agents_disable(username: str) -> None:
    """Disable an agent's login and end their sessions."""
    with core() as payments:
        try:
            ended = payments.agents.disable_agent(username)
        except LookupError as error:
            raise click.ClickException(str(error.args[0])) from error
    click.echo(f"agent {username.strip().lower()} disabled; {ended} session(s) ended")


@agents.command("enable")
@click.argument("username")
def agents_enable(username: str) -> None:
    """Let a disabled agent log in again, with a new password (read as for `add`)."""
    password = _new_password()
    with core() as payments:
        try:
            payments.agents.enable_agent(username, password)
        except LookupError as error:
            raise click.ClickException(str(error.args[0])) from error
        except ValueError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"agent {username.strip().lower()} enabled, with the new password")


def _new_password() -> str:
    from payments.services.agents import MIN_PASSWORD_LENGTH

    if _at_a_terminal():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    return password


def _at_a_terminal() -> bool:
    return sys.stdin.isatty()


@main.command()
@click.option("--every", type=click.FloatRange(min=5), help="Run every N seconds until stopped.")
@click.option(
    "--stale-after",
    type=click.FloatRange(min=0),
    default=300,
    show_default=True,
    help="Seconds a payment must sit untouched before it is settled here.",
)
def reconcile(every: float | None, stale_after: float) -> None:
    """Settle payments a crash or an outage left open; run on a schedule (see README).

    Payments still pending get the processor's final answer; a charge that landed after the
    caller was told "not charged" is reversed, so what they heard stays true. Exits 1 when the
    processor could not be asked about some payment (run again later).
    """
    from datetime import timedelta

    from payments.operations.reconcile import reconcile_every, reconcile_payments

    with core() as payments:

        def run_once() -> int:
            report = reconcile_payments(
                payments.uow, payments.processor, stale_after=timedelta(seconds=stale_after)
            )
            click.echo(
                f"resolved {report.resolved}, reversed {report.reversed}, "
                f"confirmed not charged {report.confirmed}, still unknown {report.still_unknown}"
            )
            return report.still_unknown

        if every is None:
            sys.exit(1 if run_once() else 0)
        reconcile_every(every, run_once)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the webhooks with gunicorn."""
    from ivr.server import run

    try:
        server_settings = Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    if workers > 1 and not server_settings.redis_url:
        raise click.ClickException(
            "--workers above 1 needs REDIS_URL: the embedded call-state store is per process"
        )
    run(host, port, workers)


@main.group()
def flows() -> None:
    """The call flow."""


@flows.command("diagram")
@click.option("--out", type=click.Path(file_okay=False), default="docs", show_default=True)
def flows_diagram(out: str) -> None:
    """Draw the call flow from its declaration: call-flow.dot, and call-flow.svg with Graphviz's
    `dot` (Debian: graphviz)."""
    import shutil
    import subprocess
    from pathlib import Path

    from ivr.flow_diagram import dot

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "call-flow.dot"
    source.write_text(dot(), encoding="utf-8")
    renderer = shutil.which("dot")
    if renderer is None:
        raise click.ClickException(f"wrote {source}; the SVG needs Graphviz's dot (graphviz)")
    svg = folder / "call-flow.svg"
    subprocess.run([renderer, "-Tsvg", str(source), "-o", str(svg)], check=True)
    click.echo(f"wrote {source} and {svg}")


def _register_plugins() -> None:
    """Commands installed beside the line's own under the entry-point group `ivr.commands`:
    the terminal phone (`ivr call`, devtools) registers itself there, so the line never
    imports its development tools, and runs without them."""
    from importlib.metadata import entry_points

    for plugin in entry_points(group="ivr.commands"):
        main.add_command(plugin.load(), plugin.name)


def _register_bank() -> None:
    from ivr.cli_bank import commands

    for command in commands():
        main.add_command(command)


_register_bank()
_register_plugins()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
