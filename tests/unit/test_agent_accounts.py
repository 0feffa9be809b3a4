"""Agent accounts on a migrated SQLite file: hashing, sessions, login limits, audit, the CLI."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select

from ivr.cli import main
from payments.bootstrap import build_core
from payments.domain.values import VerifyResult
from payments.gateways.sandbox import SandboxGateway
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.services import agent_logins
from payments.services.agents import (
    AgentService,
    InvalidLogin,
    LoginLimited,
    NotVerified,
    agent_view,
)
from payments.services.service import PaymentService
from payments.storage.models import Agent, AgentLoginFailure, AgentSession, AuditEvent
from tests.doubles import FakeClock, migrated_sqlite

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
ANA = "100000000001"
PASSWORD = "correct horse battery"
OFFICE = "10.0.0.7"


class CountingHasher(PasswordHasher):
    """Cheap argon2id parameters (tests only), counting the password checks."""

    def __init__(self, **params: int) -> None:
        super().__init__(**({"time_cost": 1, "memory_cost": 8, "parallelism": 1} | params))
        self.checks = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.checks += 1
        return super().verify(hash, password)


SLEPT: list[float] = []  # the waits of slowed logins, in order


@pytest.fixture()
def setup(tmp_path: Path):
    SLEPT.clear()
    engine, uow = migrated_sqlite(tmp_path)
    import_accounts(uow, demo_accounts(date(2026, 11, 10)))
    clock, hasher = FakeClock(NOW), CountingHasher()
    payments = PaymentService(uow, SandboxGateway(engine), clock)
    service = AgentService(uow, clock, payments, hasher, sleep=SLEPT.append)
    service.add_agent("Dana", "Dana Reyes", PASSWORD)
    yield service, clock, hasher, payments, uow
    payments.close()
    engine.dispose()


def audit_rows(uow, action: str | None = None) -> list[AuditEvent]:
    with uow.reader() as work:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return list(work.session.scalars(query))


def rows(uow, model: type) -> list:
    with uow.reader() as work:
        return list(work.session.scalars(select(model)))


def test_only_an_argon2id_hash_of_the_password_is_kept(setup) -> None:
    service, _, _, _, uow = setup
    (agent,) = rows(uow, Agent)
    assert agent.username == "dana" and agent.full_name == "Dana Reyes" and not agent.disabled
    assert agent.password_hash.startswith("$argon2id$") and PASSWORD not in agent.password_hash
    assert PasswordHasher().verify(agent.password_hash, PASSWORD)
    (added,) = audit_rows(uow, "agent.added")
    assert added.subject == "dana" and PASSWORD not in json.dumps(added.details)


@pytest.mark.parametrize(
    ("username", "name", "password", "problem"),
    [
        ("dana", "Another Dana", "long enough password", "already an agent"),
        ("x", "Short Name", "long enough password", "username"),
        ("has space", "Space", "long enough password", "username"),
        ("newbie", "  ", "long enough password", "full name"),
        ("newbie", "New Bie", "eleven char", "at least 12"),
    ],
)
def test_adding_an_agent_refuses_bad_values(setup, username, name, password, problem) -> None:
    service, _, _, _, uow = setup
    with pytest.raises(ValueError, match=problem):
        service.add_agent(username, name, password)
    assert [agent.username for agent in rows(uow, Agent)] == ["dana"]


def test_a_session_is_kept_as_a_hash_and_named_in_the_audit(setup) -> None:
    service, _, _, _, uow = setup
    token = service.log_in(" DANA ", PASSWORD, OFFICE)
    (session,) = rows(uow, AgentSession)
    assert session.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert service.authenticate(token) == "dana"
    assert service.authenticate(token + "x") is None and service.authenticate("") is None
    (login,) = audit_rows(uow, "agent.login")
    assert (login.actor, login.details) == ("dana", {"client": OFFICE})


def test_sessions_end_after_thirty_idle_minutes_and_use_restarts_the_count(setup) -> None:
    service, clock, _, _, _ = setup
    token = service.log_in("dana", PASSWORD, OFFICE)
    clock.advance(minutes=29, seconds=59)
    assert service.authenticate(token) == "dana"
    clock.advance(minutes=29, seconds=59)  # 59:58 after login, but used 29:59 ago
    assert service.authenticate(token) == "dana"
    clock.advance(minutes=30)
    assert service.authenticate(token) is None


def test_a_session_in_constant_use_still_ends_after_twelve_hours(setup) -> None:
    service, clock, _, _, _ = setup
    token = service.log_in("dana", PASSWORD, OFFICE)
    for _ in range(12 * 4 - 1):  # used every quarter of an hour
        clock.advance(minutes=15)
        assert service.authenticate(token) == "dana"
    clock.advance(minutes=15)  # twelve hours after logging in
    assert service.authenticate(token) is None


def test_failed_logins_are_audited_by_the_name_tried_without_the_password(setup) -> None:
    service, _, _, _, uow = setup
    for username in ("dana", "nobody"):
        with pytest.raises(InvalidLogin):
            service.log_in(username, "wrong password 123", OFFICE)
    failed = audit_rows(uow, "agent.login_failed")
    assert [(event.actor, event.details["reason"]) for event in failed] == [
        ("dana", "wrong_password"),
        ("nobody", "unknown_agent"),
    ]
    every_event = json.dumps([event.details for event in audit_rows(uow)])
    assert "wrong password" not in every_event and PASSWORD not in every_event
    assert len(rows(uow, AgentLoginFailure)) == 2


def test_five_failures_for_a_username_from_an_address_stop_checking_passwords_from_it(setup):
    service, clock, hasher, _, uow = setup
    for _ in range(5):
        clock.advance(minutes=1)
        with pytest.raises(InvalidLogin):
            service.log_in("dana", "wrong password 123", OFFICE)
    checked = hasher.checks
    with pytest.raises(LoginLimited) as limited:
        service.log_in("dana", PASSWORD, OFFICE)  # the right password, from the same address
    assert hasher.checks == checked  # refused without a look at the password
    assert limited.value.retry_after == 11 * 60  # the first failure (4 min ago) leaves in 11
    assert [e.details for e in audit_rows(uow, "agent.login_limited")] == [{"client": OFFICE}]
    clock.advance(minutes=11)
    assert service.authenticate(service.log_in("dana", PASSWORD, OFFICE)) == "dana"


def test_strangers_failing_for_a_username_only_slow_the_agent_elsewhere(setup) -> None:
    service, _, _, _, _ = setup
    for index in range(8):  # wrong passwords for Dana from eight addresses
        with pytest.raises(InvalidLogin):
            service.log_in("dana", "wrong password 123", f"203.0.113.{index}")
    assert SLEPT == [0.5, 1.0, 2.0]  # from the sixth attempt on, each waits longer
    token = service.log_in("dana", PASSWORD, "10.0.0.8")  # never refused, slowed at most
    assert service.authenticate(token) == "dana"
    assert SLEPT[-1] == 4.0  # 0.5 s doubled for each failure past five, at most 4 s
    assert agent_logins.slowdown([failure("dana", OFFICE, 1)] * 30, "dana") == 4.0
    assert agent_logins.slowdown([failure("dana", OFFICE, 1)] * 4, "dana") == 0.0


def test_twenty_failures_from_one_address_limit_every_username_from_it(setup) -> None:
    service, _, _, _, _ = setup
    for index in range(20):
        with pytest.raises(InvalidLogin):
            service.log_in(f"guess{index}", "wrong password 123", OFFICE)
    with pytest.raises(LoginLimited) as limited:
        service.log_in("dana", PASSWORD, OFFICE)
    assert limited.value.retry_after == 15 * 60
    assert service.authenticate(service.log_in("dana", PASSWORD, "10.0.0.8")) == "dana"


def test_a_right_password_does_not_count_as_a_failure(setup) -> None:
    service, _, _, _, _ = setup
    for _ in range(4):
        with pytest.raises(InvalidLogin):
            service.log_in("dana", "wrong password 123", OFFICE)
    service.log_in("dana", PASSWORD, OFFICE)
    with pytest.raises(InvalidLogin):  # the fifth failure is still checked
        service.log_in("dana", "wrong password 123", OFFICE)
    with pytest.raises(LoginLimited):
        service.log_in("dana", PASSWORD, OFFICE)


def test_retry_after_waits_for_the_limit_th_latest_failure_to_leave_the_window() -> None:
    recent = [failure("dana", OFFICE, minutes) for minutes in (14, 10, 9, 3, 2, 1)]
    assert agent_logins.retry_after(recent, "dana", OFFICE, NOW) == 5 * 60  # 10 min ago + 15
    assert agent_logins.retry_after(recent[2:], "dana", OFFICE, NOW) is None  # only four
    assert agent_logins.retry_after(recent, "ana", "10.9.9.9", NOW) is None
    assert agent_logins.retry_after(recent, "dana", "10.9.9.9", NOW) is None  # elsewhere


def failure(name: str, client: str, minutes_ago: int) -> SimpleNamespace:
    return SimpleNamespace(username=name, client=client, at=NOW - timedelta(minutes=minutes_ago))


def test_disabling_ends_sessions_and_refuses_the_right_password(setup) -> None:
    service, _, _, _, uow = setup
    token = service.log_in("dana", PASSWORD, OFFICE)
    assert service.disable_agent("Dana") == 1
    assert service.authenticate(token) is None
    with pytest.raises(InvalidLogin):
        service.log_in("dana", PASSWORD, OFFICE)
    assert audit_rows(uow, "agent.login_failed")[-1].details["reason"] == "disabled"
    assert [event.subject for event in audit_rows(uow, "agent.disabled")] == ["dana"]
    with pytest.raises(LookupError):
        service.disable_agent("nobody")


def test_logging_out_ends_the_session(setup) -> None:
    service, _, _, _, uow = setup
    token, other = (service.log_in("dana", PASSWORD, OFFICE) for _ in range(2))
    service.log_out(token)
    assert service.authenticate(token) is None and service.authenticate(other) == "dana"
    assert [event.actor for event in audit_rows(uow, "agent.logout")] == ["dana"]


def test_a_hash_made_with_older_parameters_is_renewed_at_login(setup) -> None:
    _, clock, _, payments, uow = setup
    stronger = AgentService(uow, clock, payments, CountingHasher(time_cost=2))
    stronger.log_in("dana", PASSWORD, OFFICE)
    (agent,) = rows(uow, Agent)
    assert "t=2" in agent.password_hash and stronger.log_in("dana", PASSWORD, OFFICE)


def test_agent_verification_counts_the_agents_own_failures_and_is_audited(setup) -> None:
    service, _, _, payments, uow = setup
    for _ in range(4):  # the phone's failures are the caller's, not the agent's
        assert payments.verify(ANA, date(1999, 1, 1)).result is VerifyResult.MISMATCH
    for day in range(1, 5):
        assert service.verify_member("dana", "CA1", ANA, date(1999, 2, day)).result is (
            VerifyResult.MISMATCH
        )
    verdict = service.verify_member("dana", "CA1", ANA, date(1999, 2, 9))
    assert verdict.result is VerifyResult.LOCKED and verdict.locked_until == NOW + timedelta(1)
    assert service.verify_member("dana", "CA1", ANA, date(1980, 4, 17)).result is (
        VerifyResult.LOCKED
    )
    events = audit_rows(uow, "agent.verify")
    assert [(e.actor, e.subject, e.details) for e in events][-2:] == [
        ("dana", ANA, {"call_sid": "CA1", "result": "locked"}),
        ("dana", ANA, {"call_sid": "CA1", "result": "locked"}),
    ]
    assert service.verify_member("lee", "CA1", ANA, date(1980, 4, 17)).result is VerifyResult.OK


def test_agent_verification_of_the_right_date_passes(setup) -> None:
    service, _, _, _, uow = setup
    assert service.verify_member("dana", "CA1", ANA, date(1980, 4, 17)).result is VerifyResult.OK
    assert [e.details["result"] for e in audit_rows(uow, "agent.verify")] == ["ok"]
    assert [e.actor for e in audit_rows(uow, "verify.ok")] == ["caller"]


def test_lookups_show_nothing_until_verified_and_never_the_birth_date(setup) -> None:
    service, _, _, _, uow = setup
    with pytest.raises(NotVerified):
        service.look_up("dana", ANA, None)
    shown = service.look_up("dana", ANA, "CA1")
    assert shown["subscriber_id"] == ANA and shown["first_name"] == "Ana"
    assert "date_of_birth" not in shown and "zip" not in shown and "payments" not in shown
    assert {plan["plan_id"] for plan in shown["plans"]} == {"D-100000000001", "H-100000000001"}
    assert shown["recent_payments"] == []
    with pytest.raises(LookupError):
        service.look_up("dana", "999999999999", "CA1")
    outcomes = [(e.subject, e.details) for e in audit_rows(uow, "agent.lookup")]
    assert outcomes == [
        (ANA, {"outcome": "not_verified"}),
        (ANA, {"call_sid": "CA1", "outcome": "shown"}),
        ("999999999999", {"call_sid": "CA1", "outcome": "unknown"}),
    ]


def test_the_agent_view_keeps_the_ten_latest_payments() -> None:
    document = {"subscriber_id": ANA, "date_of_birth": "1980-04-17", "zip": "02110"}
    shown = agent_view(document | {"plans": [], "payments": [{"n": n} for n in range(12)]})
    assert shown == {
        "subscriber_id": ANA,
        "plans": [],
        "recent_payments": [{"n": n} for n in range(10)],
    }


@pytest.fixture()
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, str]:
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    return runner, url


def test_cli_adds_an_agent_with_the_password_from_standard_input(runner) -> None:
    cli, url = runner
    added = cli.invoke(main, ["agents", "add", "Dana", "--name", "Dana Reyes"], PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert added.output == "agent dana added\n"  # the password is never echoed
    core = build_core(url)
    try:
        assert core.agents.authenticate(core.agents.log_in("dana", PASSWORD, OFFICE)) == "dana"
    finally:
        core.close()
    again = cli.invoke(main, ["agents", "add", "dana", "--name", "Dana"], PASSWORD + "\n")
    assert again.exit_code == 1 and "already an agent" in again.output


def test_cli_refuses_a_short_password(runner) -> None:
    cli, url = runner
    refused = cli.invoke(main, ["agents", "add", "dana", "--name", "Dana"], "short pw 11\n")
    assert refused.exit_code == 1 and "at least 12 characters" in refused.output
    assert "short pw" not in refused.output
    core = build_core(url)
    try:
        with pytest.raises(InvalidLogin):
            core.agents.log_in("dana", "short pw 11", OFFICE)
    finally:
        core.close()


def test_cli_asks_twice_without_echo_at_a_terminal(runner, monkeypatch) -> None:
    cli, _ = runner

    monkeypatch.setattr("ivr.cli._at_a_terminal", lambda: True)
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    added = cli.invoke(main, ["agents", "add", "dana", "--name", "Dana Reyes"], typed)
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output and "Repeat for confirmation" in added.output


def test_cli_disables_an_agent_and_ends_their_sessions(runner) -> None:
    cli, url = runner
    cli.invoke(main, ["agents", "add", "dana", "--name", "Dana Reyes"], PASSWORD + "\n")
    core = build_core(url)
    try:
        token = core.agents.log_in("dana", PASSWORD, OFFICE)
        disabled = cli.invoke(main, ["agents", "disable", "dana"])
        assert disabled.exit_code == 0 and "1 session(s) ended" in disabled.output
        assert core.agents.authenticate(token) is None
    finally:
        core.close()
    unknown = cli.invoke(main, ["agents", "disable", "nobody"])
    assert unknown.exit_code == 1 and "no agent nobody" in unknown.output


def test_cli_enables_a_disabled_agent_with_a_new_password(runner) -> None:
    cli, url = runner
    cli.invoke(main, ["agents", "add", "dana", "--name", "Dana Reyes"], PASSWORD + "\n")
    cli.invoke(main, ["agents", "disable", "dana"])
    fresh = "a brand new passphrase"
    enabled = cli.invoke(main, ["agents", "enable", "dana"], fresh + "\n")
    assert enabled.exit_code == 0, enabled.output
    assert fresh not in enabled.output
    core = build_core(url)
    try:
        with pytest.raises(InvalidLogin):
            core.agents.log_in("dana", PASSWORD, OFFICE)  # the old password is gone
        assert core.agents.authenticate(core.agents.log_in("dana", fresh, OFFICE)) == "dana"
    finally:
        core.close()
    unknown = cli.invoke(main, ["agents", "enable", "nobody"], fresh + "\n")
    assert unknown.exit_code == 1 and "no agent nobody" in unknown.output
    short = cli.invoke(main, ["agents", "enable", "dana"], "short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
