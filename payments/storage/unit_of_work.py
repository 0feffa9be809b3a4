"""Unit of work: one transaction that rolls back unless told to commit (cosmicpython style)."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

# Reads on PostgreSQL run without BEGIN and ROLLBACK: two round trips fewer. Under READ
# COMMITTED every statement takes its own snapshot anyway, so a read sees the same either way.
# SQLite keeps its transaction: its BEGIN IMMEDIATE is what orders readers after writers.
_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


class SqlAlchemyUnitOfWork:
    """`with uow: ...; uow.commit()` — leaving the block without `commit()` rolls back.

    One connection: Core statements run on `connection`; `session`, made when first asked for,
    works in the same transaction. Two lighter kinds (see UnitOfWorkFactory): a reader, which
    may not commit and never flushes; and an autocommit unit, for reads followed by at most
    one write. On PostgreSQL both run outside a transaction, each statement committing by
    itself as it runs.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        read_only: bool = False,
        autocommit: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self._connection: Connection | None = None
        self._session: Session | None = None
        self.read_only = read_only
        self.autocommit = autocommit or read_only

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._connection

    @property
    def session(self) -> Session:
        if self._session is None:
            # In the connection's transaction, which it never commits itself: commit() does.
            self._session = self._session_factory(
                bind=self.connection, join_transaction_mode="rollback_only"
            )
            self._session.autoflush = not self.read_only
        return self._session

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open")
        engine = self._session_factory.kw.get("bind")
        if not isinstance(engine, Engine):
            raise TypeError("the session factory must be bound to an Engine")
        connection = self._connection = engine.connect()
        if self.autocommit and engine.dialect.name != "sqlite":
            connection.execution_options(**_AUTOCOMMIT)
        else:
            connection.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        connection, self._connection = self.connection, None
        try:
            if session is not None:
                session.close()
        finally:
            connection.close()  # rolls back anything left uncommitted: a no-op after commit()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        if self._session is not None:
            self._session.commit()  # flushes; the transaction itself is the connection's
        self.connection.commit()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        self.connection.rollback()


class UnitOfWorkFactory:
    """Fresh units of work on one session factory: `factory()` for a transaction, `.reader()`
    to read, `.autocommit()` to read and then write once."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __call__(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self._session_factory)

    @property
    def engine(self) -> Engine:
        """The engine its units of work connect with."""
        engine = self._session_factory.kw.get("bind")
        if not isinstance(engine, Engine):
            raise TypeError("the session factory must be bound to an Engine")
        return engine

    def reader(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self._session_factory, read_only=True)

    def autocommit(self) -> SqlAlchemyUnitOfWork:
        """For reads followed by at most one write, which `commit()` makes durable everywhere.

        On PostgreSQL that write commits as it runs, with no BEGIN or COMMIT round trip; as it
        is the only one, the work is still all or nothing. Never use it for two writes.
        """
        return SqlAlchemyUnitOfWork(self._session_factory, autocommit=True)


def uow_factory_for(session_factory: sessionmaker[Session]) -> UnitOfWorkFactory:
    """A factory of fresh units of work on `session_factory` (bound to an engine)."""
    return UnitOfWorkFactory(session_factory)
