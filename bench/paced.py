"""Open-loop load: store steps arriving at a fixed rate, timed from their arrival.

A thread plays the network: at each scheduled instant it hands an arrival to the event
loop. Each arrival runs one store step (``get`` + ``save``). Its latency is measured
from the *scheduled* instant, so a step that waits while the loop is busy (a sweep
batch, say) is charged for the wait, which a closed loop would hide.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from datetime import timedelta

from aiogram_durable import SessionKey, SessionStore

_TTL = timedelta(hours=1)


class PacedSteps:
    """Store steps arriving at a fixed rate from a thread (the network, as it were)."""

    def __init__(self, store: SessionStore, keys: list[SessionKey], rate: float) -> None:
        self.store = store
        self.keys = itertools.cycle(keys)
        self.interval = 1.0 / rate
        self.samples: list[tuple[float, float]] = []  # (arrival, latency) in seconds
        self.errors = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Start arrivals now."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._arrivals, name="paced-steps", daemon=True)
        self._thread.start()

    def _arrivals(self) -> None:
        assert self._loop is not None
        start = time.perf_counter()
        for i in itertools.count():
            due = start + i * self.interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # the arrival schedule itself
            if self._stop.is_set():
                return
            self._loop.call_soon_threadsafe(self._spawn, due)

    def _spawn(self, due: float) -> None:
        task = asyncio.get_running_loop().create_task(self._step(due))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _step(self, due: float) -> None:
        key = next(self.keys)
        try:
            session = await self.store.get(key)
            if session is None:
                raise LookupError(f"active session {key} missing")
            await self.store.save(session, step="duration", data={"channel": 2}, ttl=_TTL)
        except Exception:
            self.errors += 1
            return
        self.samples.append((due, time.perf_counter() - due))

    async def stop(self) -> None:
        """Stop arrivals and wait for the steps in flight."""
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
