"""Operator commands of AutoPay and the bank side: the AutoPay run and its notices, NACHA files
out and returns in, settlement, the print queue, the message outbox, the job worker and the
schedule. Each reads the same settings as the server (ivr.assembly.settings)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click

from ivr.assembly import build_from_settings

DateType = click.DateTime(formats=["%Y-%m-%d"])


@contextmanager
def _engine(in_process: bool = False) -> Iterator[tuple[Any, Any, Any]]:
    """(settings, payments core, job engine): RQ when REDIS_URL is set, unless `in_process`."""
    from ivr.jobs import InProcessJobs, RqJobs, redis_at

    settings, core = build_from_settings()
    jobs = (
        InProcessJobs(core, settings)
        if in_process or not settings.redis_url
        else RqJobs(redis_at(settings.redis_url))
    )
    try:
        yield settings, core, jobs
    finally:
        if isinstance(jobs, InProcessJobs):
            jobs.close()
        core.close()


def _banking_day(day: date) -> date:
    from payments.domain.banking import is_banking_day, on_or_after

    if not is_banking_day(day):
        raise click.ClickException(
            f"{day} is not a banking day (weekend or Federal Reserve holiday); "
            f"the next one is {on_or_after(day)}"
        )
    return day


@click.group()
def autopay() -> None:
    """AutoPay: the run of a banking day, and its advance notices."""


@autopay.command("run")
@click.option("--date", "when", type=DateType, required=True, help="The banking day of the debits.")
@click.option("--chunk-size", default=1000, show_default=True, type=click.IntRange(1, 2000))
@click.option("--in-process", is_flag=True, help="Run the chunks here, not on the job engine.")
def autopay_run(when: Any, chunk_size: int, in_process: bool) -> None:
    """Debit every active enrolment whose debit falls on DATE (idempotent: run it again and
    nothing is debited twice). Returns once every debit of the day is recorded."""
    from payments.operations.autopay_run import RunReport, plan_run, totals

    day = _banking_day(when.date())
    with _engine(in_process) as (_, core, jobs):
        chunks = plan_run(core.uow, day, chunk_size)
        results = jobs.run_all("autopay_chunk", [(day.isoformat(), chunk) for chunk in chunks])
    report = totals([RunReport.from_json(result) for result in results])
    skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(report.skipped.items()))
    click.echo(
        f"AutoPay run for {day}: {report.debited} debited (${report.total:.2f}), "
        f"{report.capped} capped at the amount last told, {report.already} made before; "
        f"not debited: {skipped or 'none'}"
    )


@autopay.command("notices")
@click.option("--date", "when", type=DateType, help="Today, by default.")
@click.option("--in-process", is_flag=True, help="Run the chunks here, not on the job engine.")
def autopay_notices(when: Any, in_process: bool) -> None:
    """Tell members of a new AutoPay amount 10 to 24 days before its debit (Regulation E)."""
    from payments.domain.clock import eastern_date, system_clock
    from payments.operations.autopay_notices import plan_notices

    today = when.date() if when else eastern_date(system_clock())
    with _engine(in_process) as (_, core, jobs):
        chunks = plan_notices(core.uow)
        results = jobs.run_all("notice_chunk", [(today.isoformat(), chunk) for chunk in chunks])
        jobs.enqueue("send_messages")
    told = sum(result["told"] for result in results)
    click.echo(f"AutoPay notices for {today}: {told} members told of a new amount")


@click.group()
def ach() -> None:
    """NACHA files: debits out, returns in, settlement."""


@ach.command("export")
@click.option("--date", "when", type=DateType, required=True, help="The day the file is sent.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def ach_export(when: Any, out: Path) -> None:
    """Write every bank debit accepted and not yet exported into one NACHA file."""
    from payments.bank.export import InvalidFile, NothingToExport, export

    settings, core = build_from_settings()
    try:
        report = export(
            core.uow, core.sealer, settings.ach_originator, when.date(), out, core.clock
        )
    except NothingToExport:
        click.echo("no bank debit is waiting to be sent: no file written")
        return
    except InvalidFile as error:
        raise click.ClickException(
            f"the file did not validate and was not written: {error}"
        ) from None
    finally:
        core.close()
    resumed = " (taking up an interrupted export)" if report.resumed else ""
    click.echo(
        f"wrote {out}: {report.entries} debits, ${report.total_cents / 100:,.2f}, "
        f"{report.batches} batches, file {report.modifier} of {report.file_date}{resumed}; "
        f"sha256 {report.sha256}"
    )


@ach.command("sandbox-bank")
@click.argument("debit_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def ach_sandbox_bank(debit_file: Path, out: Path) -> None:
    """The sandbox bank's answer to DEBIT_FILE: the returns file a real bank would send for
    the test accounts (only for files sent with the sandbox's ACH settings)."""
    from ivr.config import SANDBOX_ODFI
    from payments.bank.sandbox_bank import returns_for
    from payments.domain.clock import system_clock

    settings, core = build_from_settings()
    core.close()
    if settings.ach_odfi_routing != SANDBOX_ODFI:
        raise click.ClickException("the sandbox bank answers only the sandbox's files")
    text, count = returns_for(debit_file.read_text("ascii").splitlines(keepends=True),
                              settings.ach_originator, system_clock())  # fmt: skip
    out.write_text(text, "ascii")
    click.echo(f"sandbox bank: {count} returned entries written to {out}")


@ach.command("returns")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def ach_returns(file: Path) -> None:
    """Read a returns file from the bank (reading it again changes nothing)."""
    from payments.bank.nacha import NachaError
    from payments.bank.returns import read_returns_file

    with _engine() as (settings, core, jobs):
        try:
            report = read_returns_file(
                core.uow, file.read_bytes(), settings.service_phone, core.clock
            )
        except (NachaError, UnicodeDecodeError) as error:
            raise click.ClickException(
                f"{file} is not a returns file this line can read: {error}"
            ) from None
        if not report.already_read:
            jobs.enqueue("send_messages")  # the members told of their returned debits
    if report.already_read:
        click.echo(f"{file} was read before: nothing changed")
        return
    codes = ", ".join(f"{code} {count}" for code, count in sorted(report.by_code.items()))
    click.echo(
        f"returns: {report.returned} returned ({codes or 'none'}), {report.retries} presented "
        f"again later, {report.already_returned} returned before, "
        f"{len(report.unmatched)} not ours"
    )


@ach.command("settle")
@click.option("--date", "when", type=DateType, required=True, help="Today, as a banking day.")
def ach_settle(when: Any) -> None:
    """Debits with no return two banking days after their effective date are settled."""
    from payments.bank.settlement import settle

    _, core = build_from_settings()
    try:
        report = settle(core.uow, when.date(), core.clock)
    finally:
        core.close()
    click.echo(f"settled {report.settled} debits; {report.still_waiting} still within their days")


@click.group()
def letters() -> None:
    """The print queue: letters to members."""


@letters.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def letters_export(out: Path) -> None:
    """Write the letters waiting to be printed and mailed, as CSV for the print vendor."""
    from payments.messages.letters import export_letters

    _, core = build_from_settings()
    try:
        report = export_letters(core.uow, out, core.clock)
    finally:
        core.close()
    if not report.exported:
        click.echo(f"no letter to print ({report.held} held: no mailing address on file)")
        return
    click.echo(f"wrote {out}: {report.exported} letters ({report.held} held: no mailing address)")


@click.group()
def messages() -> None:
    """The message outbox."""


@messages.command("send")
def messages_send() -> None:
    """Send the queued SMS now, here (the worker does it by itself)."""
    from ivr.jobs import send_messages

    settings, core = build_from_settings()
    try:
        report = send_messages(core, settings)
    finally:
        core.close()
    click.echo(", ".join(f"{name} {count}" for name, count in report.items()))


@click.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker(burst: bool) -> None:
    """One job worker for every queue the product uses (start as many as you like)."""
    from ivr.jobs import redis_at, run_worker

    settings, core = build_from_settings()
    core.close()  # the work horses build their own, after the fork
    if not settings.redis_url:
        raise click.ClickException("ivr worker needs REDIS_URL: without it jobs run in process")
    run_worker(redis_at(settings.redis_url), burst=burst)


@click.command()
def scheduler() -> None:
    """The schedule (run one): each weekday at 3 p.m. Eastern the banking day's AutoPay
    notices, run for the next banking day and settlement; the message outbox every minute."""
    from ivr.jobs import redis_at, run_scheduler

    settings, core = build_from_settings()
    core.close()
    if not settings.redis_url:
        raise click.ClickException("ivr scheduler needs REDIS_URL (the job engine's Redis)")
    run_scheduler(redis_at(settings.redis_url))


def commands() -> list[click.Command]:
    return [autopay, ach, letters, messages, worker, scheduler]
