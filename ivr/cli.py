"""The `ivr` command: database, accounts, the server and a terminal phone."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ivr.config import DEFAULT_DATABASE_URL, ConfigError, Settings, to_e164


def database_url() -> str:
    """DATABASE_URL, or the embedded SQLite file (its folder created on first use)."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


def _uow_factory() -> Any:
    from payments.storage.db import make_engine, make_session_factory
    from payments.storage.unit_of_work import uow_factory_for

    return uow_factory_for(make_session_factory(make_engine(database_url())))


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

    upgrade_database(database_url())
    click.echo("database is up to date")


def normalize_phones(data: dict[str, Any]) -> None:
    """Phones on file become E.164 so the caller's number can be matched exactly."""
    for index, member in enumerate(data.get("subscribers") or []):
        if not isinstance(member, dict):
            continue
        phones = member.get("phones") or []
        if not isinstance(phones, list):
            continue
        for position, phone in enumerate(phones):
            try:
                phones[position] = to_e164(str(phone))
            except ConfigError as error:
                who = member.get("subscriber_id", "?")
                raise click.ClickException(
                    f"subscribers[{index}] ({who}).phones[{position}]: {error}"
                ) from error


def _import(data: dict[str, Any]) -> None:
    from payments.operations.importer import InvalidImport, import_accounts

    normalize_phones(data)
    try:
        report = import_accounts(_uow_factory(), data)
    except InvalidImport as error:
        raise click.ClickException(f"nothing was imported: {error}") from error
    click.echo(f"imported: {report.created} created, {report.updated} updated")


@main.command("import-accounts")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_accounts_command(file: Any) -> None:
    """Load or update members, plans and invoices from the billing system's JSON export."""
    try:
        data = json.load(file)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"{file.name} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise click.ClickException(f'{file.name}: expected an object with "subscribers"')
    _import(data)


@main.command("load-demo")
def load_demo() -> None:
    """Load the demo members (dates relative to today) for trying the line."""
    from payments.domain.clock import eastern_date, system_clock
    from payments.operations.demo import demo_accounts

    _import(demo_accounts(eastern_date(system_clock())))


@main.group()
def account() -> None:
    """Members' accounts."""


@account.command("show")
@click.argument("subscriber_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the only format for now).")
def account_show(subscriber_id: str, as_json: bool) -> None:
    """Print a member's plans, balances and payments."""
    from payments.operations.admin import account_as_json

    found = account_as_json(_uow_factory(), subscriber_id)
    if found is None:
        raise click.ClickException(f"no member with Subscriber ID {subscriber_id}")
    click.echo(json.dumps(found, indent=2))


@main.command()
def reconcile() -> None:
    """Settle payments a gateway outage left open; run every few minutes (cron or a timer).

    Payments still pending after 15 minutes get the gateway's final answer; a charge that
    landed after the caller was told "not charged" is reversed, so what they heard stays true.
    """
    from payments.gateways.sandbox import SandboxGateway
    from payments.operations.reconcile import reconcile_payments

    report = reconcile_payments(_uow_factory(), SandboxGateway())
    click.echo(
        f"resolved {report.resolved}, reversed {report.reversed}, "
        f"confirmed not charged {report.confirmed}, still unknown {report.still_unknown}"
    )
    if report.still_unknown:
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the webhooks with gunicorn."""
    from ivr.server import run

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    if workers > 1 and not settings.redis_url:
        raise click.ClickException(
            "--workers above 1 needs REDIS_URL: the embedded call-state store is per process"
        )
    run(host, port, workers)


def _register_phone() -> None:
    from devtools.phone import call

    main.add_command(call)


_register_phone()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
