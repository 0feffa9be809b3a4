"""Throwaway databases (PostgreSQL, SQLite) loaded with the benchmark's members, and a clean
Redis db."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bench import BenchError
from payments.operations.importer import import_accounts
from payments.storage.db import make_engine, make_session_factory, upgrade_database
from payments.storage.unit_of_work import uow_factory_for

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """CREATE DATABASE bench_<random> next to `admin_url`'s; yields its URL; always drops it."""
    name = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        _execute(admin, f'CREATE DATABASE "{name}"', f"cannot create a database via {admin_url}")
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            _execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f"drop {name}")
    finally:
        admin.dispose()


def load_members(url: str, data: dict[str, Any]) -> None:
    """Migrate the database at `url` and import `data` (the billing export format)."""
    upgrade_database(url)
    engine = make_engine(url)
    try:
        import_accounts(uow_factory_for(make_session_factory(engine)), data)
    finally:
        engine.dispose()


def flush_redis(url: str) -> None:
    """Empty the benchmark's own Redis database (a dedicated db number, never the app's)."""
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError as error:
        raise BenchError(f"Redis at {url} is not usable: {error}") from error
    finally:
        client.close()


def _execute(engine: Any, sql: str, what: str) -> None:
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(sql)
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        raise BenchError(f"{what}: {type(cause).__name__}: {cause}") from error


@contextmanager
def throwaway_sqlite() -> Iterator[str]:
    """An SQLite database file in a temporary directory; yields its URL; always removed."""
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as directory:
        yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
