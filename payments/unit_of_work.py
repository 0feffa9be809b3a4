"""Unit of work: one transaction that rolls back unless told to commit (cosmicpython style)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session


class SqlAlchemyUnitOfWork:
    """`with uow: ...; uow.commit()` — leaving the block without `commit()` rolls back."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        self._session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            session.rollback()  # no-op after commit(); undoes anything left uncommitted
        finally:
            session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


UnitOfWorkFactory = Callable[[], SqlAlchemyUnitOfWork]


def uow_factory_for(session_factory: Callable[[], Session]) -> UnitOfWorkFactory:
    """A factory of fresh units of work on `session_factory`."""
    return lambda: SqlAlchemyUnitOfWork(session_factory)
