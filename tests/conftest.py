"""Shared fixtures: real PostgreSQL and Redis for integration tests.

Integration tests skip when a service is unreachable, unless REQUIRE_SERVICES=1 (as in CI),
in which case they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, Phase, settings

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Hypothesis profiles. "default" is Hypothesis's own default, unchanged (and under CI Hypothesis
# still picks its "ci" profile by itself). "mutation" is for `make mutation`, where every mutant
# reruns the tests: a failing example only has to be found, not shrunk (shrinking the random
# callers takes minutes), the same examples are drawn for every mutant, and no example database
# is shared between mutants. Tests that set their own max_examples keep it (see
# tests/e2e/test_random_callers.py for the one that lowers its own under this profile).
settings.register_profile("default", settings.get_profile("default"))
settings.register_profile(
    "mutation",
    max_examples=20,
    phases=[phase for phase in Phase if phase not in (Phase.shrink, Phase.explain)],
    derandomize=True,
    database=None,
    deadline=None,  # two mutants run at once on a loaded machine: time is not the behaviour
    suppress_health_check=[HealthCheck.too_slow],
)
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


def _unavailable(service: str, error: Exception) -> None:
    message = f"{service} is not reachable: {error}"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (REQUIRE_SERVICES=1)")
    pytest.skip(message)


@contextmanager
def _throwaway_database() -> Iterator[str]:
    """A new PostgreSQL database, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"ivr_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means "service missing"
        _unavailable("PostgreSQL", error)
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database shared by the session, dropped after it."""
    with _throwaway_database() as url:
        yield url


@pytest.fixture()
def fresh_postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database of the test's own."""
    with _throwaway_database() as url:
        yield url


@pytest.fixture()
def redis_client():
    """A real Redis client on a test database, flushed before and after."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.ping()
    except Exception as error:  # noqa: BLE001
        _unavailable("Redis", error)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
