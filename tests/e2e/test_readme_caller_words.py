"""The words of the benchmark's card call, as the README shows them beside the caller-time
figure: the returning member of `bench.accounts` paying by card, on the voice number and on
the relay number, placed in-process on a fixed day and compared word for word (the
confirmation number aside, new on every call)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from app import create_app
from bench import AUTH_TOKEN, RELAY_NUMBER
from bench.accounts import import_data, members, returning_member_script
from bench.caller import caller_time
from devtools.phone import DEFAULT_TO, Phone, Said, WsgiTransport
from ivr.config import Settings
from payments.domain.values import ATTESTED
from payments.operations.importer import import_accounts
from payments.storage.db import make_engine, make_uow_factory, upgrade_database
from tests.e2e.conftest import EASTERN

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- caller-words:start -->", "<!-- caller-words:end -->"
DAY = datetime(2026, 12, 2, 10, 0, tzinfo=EASTERN)  # the day the README's block was made


def the_calls(tmp_path: Path) -> str:
    """Both calls as the README prints them: a heading with the figure, then what was heard."""
    url = f"sqlite:///{tmp_path / 'words.sqlite3'}"
    upgrade_database(url)
    engine = make_engine(url)
    people = members(2)
    import_accounts(make_uow_factory(engine), import_data(people, DAY.date()))
    settings = Settings(
        twilio_auth_token=AUTH_TOKEN, database_url=url, relay_numbers=frozenset({RELAY_NUMBER})
    )
    app = create_app(settings, clock=lambda: DAY)
    blocks = []
    for member, to, name in ((people[0], DEFAULT_TO, "Voice"), (people[1], RELAY_NUMBER, "Relay")):
        transport = WsgiTransport(app.test_client())
        phone = Phone(transport, AUTH_TOKEN, from_number=member.phone, to_number=to,
                      stir_verstat=ATTESTED)  # fmt: skip
        log = phone.call(returning_member_script(member, DAY.date()))
        time = caller_time(log)
        heard = [e.text for e in log.events if isinstance(e, Said) and not e.interrupted]
        head = (
            f"{name} number: {time.words} words, {time.total:.1f} s ({time.waiting:.1f} s waiting)"
        )
        blocks.append("\n".join([head, *(f"  {text}" for text in heard)]))
    app.extensions["ivr"].core.close()
    engine.dispose()
    return "\n\n".join(blocks) + "\n"


def comparable(text: str) -> str:
    return re.sub(r"(onfirmation(?: number is)?) [^.]*\.[^.]*\.", r"\1 N.", text)


def test_the_readme_shows_the_words_of_the_benchmarks_call(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    block = text[text.index(START) + len(START) : text.index(END)].split("```")[1]
    assert comparable(block.removeprefix("\n")) == comparable(the_calls(tmp_path))
