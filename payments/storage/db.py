"""Engines, sessions and schema migrations. Nothing here runs at import time."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from payments.storage.unit_of_work import UnitOfWorkFactory, uow_factory_for

MIGRATIONS = Path(__file__).with_name("migrations")
PING_AFTER_IDLE_SECONDS = 10.0

# Nothing waits long on the database: a webhook must answer within five seconds (SPEC "Limits").
CONNECT_TIMEOUT_SECONDS = 2
STATEMENT_TIMEOUT_MS = 3000
LOCK_TIMEOUT_MS = 2000
IDLE_IN_TRANSACTION_MS = 30000  # a transaction left open by a stuck process is ended
POOL_WAIT_SECONDS = 2
SQLITE_BUSY_TIMEOUT_SECONDS = 3


def make_engine(url: str, timeouts: bool = True, **kwargs: Any) -> Engine:
    """An engine for `url`, with connect, statement and lock timeouts unless `timeouts` is off
    (migrations). SQLite gets foreign keys, a busy timeout and serialized writes."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if timeouts:
            kwargs.setdefault("connect_args", _postgres_timeouts())
            kwargs.setdefault("pool_timeout", POOL_WAIT_SECONDS)
        engine = create_engine(url, **kwargs)
        _ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
        return engine
    busy = SQLITE_BUSY_TIMEOUT_SECONDS if timeouts else 60
    connect_args = {"check_same_thread": False, "timeout": busy}
    in_memory = parsed.database in (None, "", ":memory:")
    if in_memory:
        kwargs.setdefault("poolclass", StaticPool)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    _configure_sqlite(engine, wal=not in_memory, busy_seconds=busy)
    return engine


def _postgres_timeouts() -> dict[str, Any]:
    """libpq settings: a server that stops answering fails a statement within seconds."""
    options = (
        f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS} "
        f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
    )
    return {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "options": options,
        # A peer that vanished (not one that is slow) is noticed by TCP within seconds.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": STATEMENT_TIMEOUT_MS + 1000,
    }


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Test a pooled connection before use when it has sat idle for `idle_seconds` or more.

    What pool_pre_ping guards against (a server that dropped connections while they sat in the
    pool: a restart, an idle timeout) without its round trip on every checkout, which under load
    costs more CPU than most queries. A connection that fails the ping is replaced.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")  # none yet: a brand-new connection
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("pooled connection failed its ping") from error


def _configure_sqlite(engine: Engine, wal: bool, busy_seconds: int) -> None:
    """Take SQLite's write lock at BEGIN, so concurrent threads queue instead of deadlocking.

    pysqlite would otherwise begin lazily on the first write: two transactions that both read
    and then write (check a balance, insert a payment) could interleave. BEGIN IMMEDIATE makes
    each transaction wait for the previous writer (up to the busy timeout), like a row lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let us emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_seconds * 1000}")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config() -> Config:
    """Alembic configuration pointing into the installed package; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Create or migrate the database at `url` to `revision`."""
    engine = make_engine(url, timeouts=False)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def make_uow_factory(engine: Engine) -> UnitOfWorkFactory:
    """Fresh units of work on `engine`: what PaymentService and the admin functions take."""
    return uow_factory_for(make_session_factory(engine))


BATCH_LOCK_TIMEOUT = "30s"  # a batch job may wait for a call's payment to finish with a plan
BATCH_STATEMENT_TIMEOUT = "300s"


def for_batch_work(connection: Any) -> None:
    """Longer lock and statement timeouts for this transaction (PostgreSQL): batch jobs answer
    no caller, and give way to calls rather than fail on them. No JIT: on tables not yet
    analysed (a bulk load, autovacuum off) the planner takes the batch's reads for costly and
    compiles them, a second each, where running them takes milliseconds."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL jit = off")
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{BATCH_LOCK_TIMEOUT}'")
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = '{BATCH_STATEMENT_TIMEOUT}'")
