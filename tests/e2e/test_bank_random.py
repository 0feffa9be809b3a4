"""A month of the bank side in random order: AutoPay runs, exports, returns files (some read
twice), settlements. After every step the money oracle and the bank oracle must hold: what the
files say is what the database recorded, each debit in exactly one file, returns reversed
exactly what they named and were told, and no invoice is overpaid."""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.autopay_population import populate
from ivr.config import Settings
from payments.bank import nacha
from payments.bank.export import NothingToExport, export
from payments.bank.returns import read_returns_file
from payments.bank.settlement import settle
from payments.bootstrap import build_core
from payments.domain.banking import is_banking_day, next_banking_day
from payments.domain.clock import EASTERN
from payments.operations.autopay_run import plan_run, run_chunk
from payments.storage.db import upgrade_database
from tests.doubles import FakeClock
from tests.nacha_check import check_ach_file
from tests.oracle import BankOracle, MoneyOracle

ORIGINATOR = Settings(twilio_auth_token="x").ach_originator
CODES = ("R01", "R02", "R03", "R05", "R09", "R10", "R29")
DAYS = [  # the banking days from the Friday before the 15th to the end of the month
    date(2026, 12, 11) + timedelta(days=n)
    for n in range(21)
    if is_banking_day(date(2026, 12, 11) + timedelta(days=n))
]

step = st.one_of(
    st.tuples(st.just("run")),
    st.tuples(st.just("export")),
    st.tuples(st.just("returns"), st.lists(st.sampled_from(CODES), max_size=4), st.booleans()),
    st.tuples(st.just("settle")),
    st.tuples(st.just("next_day")),
    st.tuples(st.just("next_day")),
)


class Month:
    def __init__(self, folder: Path) -> None:
        url = f"sqlite:///{folder / 'bank.sqlite3'}"
        upgrade_database(url)
        self.day = 0
        self.clock = FakeClock(self._at(DAYS[0]))
        self.core = build_core(url, clock=self.clock, bank_key=Fernet.generate_key().decode())
        now = self.clock()
        populate(self.core.engine, self.core.sealer, 5, date(2026, 12, 15), now)
        populate(self.core.engine, self.core.sealer, 5, date(2026, 12, 23), now, first=5)
        self.folder = folder
        self.files: list[str] = []
        self.returns: list[str] = []

    @staticmethod
    def _at(day: date) -> datetime:
        return datetime.combine(day, time(15), tzinfo=EASTERN).astimezone(UTC)

    @property
    def today(self) -> date:
        return DAYS[self.day]

    def run(self) -> None:
        debit_day = next_banking_day(self.today)
        for chunk in plan_run(self.core.uow, debit_day, size=3):
            run_chunk(self.core.uow, debit_day, chunk, self.clock)

    def export(self) -> None:
        out = self.folder / f"file-{len(self.files)}.ach"
        try:
            export(self.core.uow, self.core.sealer, ORIGINATOR, self.today, out, self.clock)
        except NothingToExport:
            return
        self.files.append(out.read_text("ascii"))

    def answer(self, codes: list[str], twice: bool) -> None:
        """The bank returns the first entries of the latest file with these codes."""
        if not self.files or not codes:
            return
        entries = list(nacha.read_entries(io.StringIO(self.files[-1])))
        chosen = list(zip(entries, codes, strict=False))
        text = io.StringIO()
        nacha.write_returns_file(text, "091000019", "BANK", ORIGINATOR, self.clock(), chosen)
        for _ in range(2 if twice else 1):
            read_returns_file(self.core.uow, text.getvalue().encode(), "1-877", self.clock)
        self.returns.append(text.getvalue())

    def settle(self) -> None:
        settle(self.core.uow, self.today, self.clock)

    def next_day(self) -> None:
        self.day = min(self.day + 1, len(DAYS) - 1)
        self.clock.now = self._at(self.today)

    def check(self) -> None:
        MoneyOracle(self.core.engine).check_books()
        BankOracle(self.core.engine).check(self.files, self.returns)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=40))
def test_any_order_of_the_bank_days_keeps_the_books(steps) -> None:
    with tempfile.TemporaryDirectory() as folder:
        month = Month(Path(folder))
        try:
            for name, *arguments in steps:
                getattr(month, "answer" if name == "returns" else name)(*arguments)
                month.check()
        finally:
            month.core.close()


def test_a_month_in_order_sends_returns_and_settles(tmp_path: Path) -> None:
    """The same steps in the order operations staff run them: every debit is sent, the
    returns named are reversed, the rest settle."""
    month = Month(tmp_path)
    try:
        for _ in DAYS:
            month.run()
            month.export()
            month.answer(["R01", "R02"], twice=True)
            month.settle()
            month.check()
            month.next_day()
        sent = [len(check_ach_file(text).entries) for text in month.files]
        assert sum(sent) >= 10 and len(month.returns) >= 2
    finally:
        month.core.close()
