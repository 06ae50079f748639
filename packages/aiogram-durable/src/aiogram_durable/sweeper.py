"""The background sweeper: expires sessions in batches and tells a hook about each."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from aiogram_durable.expired import ExpiredSessions
from aiogram_durable.logs import get_logger
from aiogram_durable.manager import SessionManager
from aiogram_durable.model import SessionRecord

log = get_logger(__name__)

ExpiryHook = Callable[[SessionRecord], Awaitable[None]]

# How long one sweep batch may hold the store (and, on SQLite, the event loop).
BATCH_TARGET_S = 0.005
MIN_BATCH = 20
# Elsewhere batches grow up to REMOTE_GROWTH × batch_size while one takes under this.
REMOTE_BATCH_TARGET_S = 0.05
REMOTE_GROWTH = 10


class Sweeper:
    """Runs ``SessionManager.sweep`` every ``interval`` seconds until stopped.

    A store error is logged and counted; the next round tries again. A failing hook
    never stops the sweep: the session is expired either way.
    """

    def __init__(
        self,
        manager: SessionManager,
        *,
        interval: float,
        batch_size: int = 500,
        on_expired: ExpiryHook | None = None,
        on_round: Callable[[int, bool], Awaitable[None]] | None = None,
    ) -> None:
        self.manager = manager
        self.interval = interval
        self.batch_size = batch_size
        self.on_expired = on_expired
        self.on_round = on_round
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Sweep until no expired session is left; returns how many expired.

        On a store that blocks the event loop (SQLite) batches are sized by time, not
        only by count: a batch that took longer than ``BATCH_TARGET_S`` halves the next
        one, a quick one doubles it (up to ``batch_size``), which bounds how long updates
        wait behind the sweep. Elsewhere fixed batches keep round trips few. A SQL store
        that finds a large backlog sweeps it in storage order, in batches it times itself
        (``ExpiredSessions.more``).
        """
        adaptive = self.manager.store.blocks_event_loop
        total = 0
        size = self.batch_size
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            batch = await self.manager.sweep(batch_size=size)
            took = loop.time() - started
            total += len(batch)
            if self.on_expired is not None:  # else the batch need not be decoded at all
                for session in batch:
                    await self._notify(session)
            # A store sweeping a backlog in storage order sizes its batches by pages,
            # not rows: it says whether more is left.
            more = isinstance(batch, ExpiredSessions) and batch.more
            if len(batch) < size and not more:
                return total
            if adaptive and took > BATCH_TARGET_S:
                size = max(MIN_BATCH, size // 2)
            elif adaptive and took < BATCH_TARGET_S / 4:
                size = min(self.batch_size, size * 2)
            elif not adaptive and took < REMOTE_BATCH_TARGET_S:
                # The database works in another process: larger batches, fewer round
                # trips and commits, while one stays short.
                size = min(self.batch_size * REMOTE_GROWTH, size * 2)
            await asyncio.sleep(0)  # let updates in between batches

    async def _notify(self, session: SessionRecord) -> None:
        if self.on_expired is None:
            return
        try:
            await self.on_expired(session)
        except Exception:
            log.exception("sweeper.hook_failed", session_id=session.id)

    async def run(self) -> None:
        """Sweep every ``interval`` seconds until ``stop``."""
        while not self._stop.is_set():
            ok = True
            swept = 0
            try:
                swept = await self.run_once()
            except Exception:
                ok = False
                log.exception("sweeper.round_failed")
            if self.on_round is not None:
                try:
                    await self.on_round(swept, ok)
                except Exception:
                    log.exception("sweeper.round_hook_failed")
            if swept:
                log.info("sweeper.round", expired=swept)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    def start(self) -> asyncio.Task[None]:
        """Run in a background task."""
        self._stop.clear()
        self._task = asyncio.get_running_loop().create_task(self.run(), name="session-sweeper")
        return self._task

    async def stop(self) -> None:
        """Stop after the round in hand and wait for it."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
