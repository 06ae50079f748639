"""One use case's transaction: the repositories over one ORM session, committed once."""

from __future__ import annotations

from types import TracebackType
from typing import Self, TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from diana_bot.db.channels import ChannelRepository
from diana_bot.db.tariffs import TariffRepository

# What services are built with (``db.engine.create_sessionmaker``); named here so the
# domain can hold one without importing SQLAlchemy.
SessionFactory: TypeAlias = async_sessionmaker[AsyncSession]


class UnitOfWork:
    """``async with UnitOfWork(sessions) as uow:`` … ``await uow.commit()``.

    Leaving the block without ``commit()`` (a read, a refused change, an exception)
    rolls everything back. ``commit()`` may be called once: a use case is one
    transaction. Loaded values are not expired on commit, though repositories hand out
    records built before it anyway.
    """

    channels: ChannelRepository
    tariffs: TariffRepository

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._committed = False

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work is entered once")
        self._session = self._sessions(expire_on_commit=False)
        self.channels = ChannelRepository(self._session)
        self.tariffs = TariffRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            # close() rolls back whatever was not committed and returns the connection.
            await self._session.close()

    async def commit(self) -> None:
        """Commit the use case's changes; a second call is a programming error."""
        if self._session is None:
            raise RuntimeError("commit() outside `async with`")
        if self._committed:
            raise RuntimeError("a unit of work commits once")
        self._committed = True
        await self._session.commit()


__all__ = ["SessionFactory", "UnitOfWork"]
