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

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


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
