"""aiogram FSM over the session store: flows are plain ``StatesGroup`` code.

aiogram reads and writes state and data in separate calls (``get_state``, ``get_data``,
``set_state``, ``set_data``): four round trips per update on a naive storage. Here the
event isolation opens a unit of work per update: the session is read once, lazily,
under the key's lock; every call works on that copy; at the end of the update one
write (start, save, finish, or nothing) goes to the store. A handler that raises
writes nothing, so bad input never half-changes a session.

Outside an update (a sweeper hook, a test) every call reads or writes through at once.

One exception to "write at the end": before the update makes a visible Bot API call
(``FlushBeforeSend``), what it changed so far is written first. Otherwise a crash just
after the bot showed "step 2" but before the write would leave the session at step 1,
and the user's answer to step 2 would be read as step 1's. Durable first, visible second.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, Literal

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    StateType,
    StorageKey,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from aiogram_durable.audit import EventKind
from aiogram_durable.locks import KeyLocks
from aiogram_durable.logs import get_logger
from aiogram_durable.manager import SessionManager
from aiogram_durable.model import SessionKey, SessionRecord, with_applied
from aiogram_durable.store import new_session_id
from aiogram_durable.types import SessionType

log = get_logger(__name__)

# The session type of states no registered group owns (aiogram Scenes, aiogram_dialog,
# plain string states) and of data kept without a state.
DEFAULT_SESSION_TYPE = "fsm"

Outcome = Literal["completed", "cancelled"]


def register_flow(
    manager: SessionManager,
    group: type[StatesGroup],
    name: str,
    *,
    schema_version: int = 1,
    ttl: timedelta | None = None,
    title: str | None = None,
) -> SessionType:
    """Declare that ``group``'s states are the steps of session type ``name``."""
    steps = frozenset(_split(s.state)[1] for s in group.__all_states__ if s.state)
    return manager.types.register(
        SessionType(name=name, schema_version=schema_version, steps=steps, ttl=ttl, title=title)
    )


def _split(state: str | None) -> tuple[str, str]:
    if state is None or ":" not in state:
        raise ValueError(f"not a StatesGroup state: {state!r}")
    group, step = state.rsplit(":", 1)
    return group, step


class _Pending:
    """One key's session inside one update (a slotted class: one is made per update)."""

    __slots__ = (
        "announcement",
        "cancelled_by",
        "cleared",
        "data",
        "dirty",
        "key",
        "loaded",
        "new_id",
        "notes",
        "outcome",
        "session",
        "state",
        "transient",
        "update_id",
    )

    def __init__(self, key: SessionKey, *, transient: bool = False) -> None:
        self.key = key
        # Outside an update: a throwaway that writes through at once.
        self.transient = transient
        self.loaded = False
        self.session: SessionRecord | None = None
        self.state: str | None = None
        self.data: dict[str, Any] = {}
        self.dirty = False
        self.new_id: str | None = None
        self.outcome: Outcome = "completed"
        self.cancelled_by: int | None = None
        # The flow open at some point of this update was ended in it (state cleared).
        self.cleared = False
        # The update this unit of work applies; stored with its write (exactly-once).
        self.update_id: int | None = None
        # The started/step event of this update's write, recorded when the update ends,
        # with what handlers noted after the write (a prompt's message id): one audit row
        # and one store write per step, although the prompt is sent after the write.
        self.announcement: tuple[SessionRecord, EventKind] | None = None
        self.notes: dict[str, Any] | None = None


_pending: contextvars.ContextVar[dict[StorageKey, _Pending] | None] = contextvars.ContextVar(
    "aiogram_durable_pending", default=None
)


class UpdatesInHand:
    """How many updates are in hand right now, and a wait for none.

    aiogram closes the storage and the isolation on shutdown while updates it already
    took are still running; both wait here first, so an update in hand still writes its
    step and releases its lock instead of failing against a closed store.
    """

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """True when no update is in hand within ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


class SessionStorage(BaseStorage):
    """aiogram ``BaseStorage`` backed by ``SessionManager``, with aiogram's contract:

    * every ``StorageKey`` field keeps sessions apart (topics, business connections,
      destinies);
    * any state works: a registered group's states are steps of its session type (its
      TTL, title, schema version and step check); any other state is stored whole under
      the ``fsm`` type with the manager's default TTL;
    * data set without a state is kept; ``set_state(None)`` keeps the data, as in
      ``MemoryStorage``; a key with neither state nor data has no session (``clear``
      ends it, audited as completed or cancelled).

    ``close_grace``: how long ``close`` waits for the updates in hand to finish.
    """

    def __init__(
        self,
        manager: SessionManager,
        groups: Mapping[str, str] | None = None,
        *,
        close_grace: float = 30.0,
    ) -> None:
        self.manager = manager
        if manager.types.get(DEFAULT_SESSION_TYPE) is None:
            manager.types.register(SessionType(name=DEFAULT_SESSION_TYPE, title="FSM"))
        self.in_hand = UpdatesInHand()
        self.close_grace = close_grace
        self._before_close: list[Callable[[], Awaitable[None]]] = []
        # StatesGroup full name -> session type name, filled by ``add_flow``.
        self._type_of_group: dict[str, str] = dict(groups or {})
        self._group_of_type: dict[str, str] = {v: k for k, v in self._type_of_group.items()}

    def add_flow(
        self,
        group: type[StatesGroup],
        name: str,
        *,
        schema_version: int = 1,
        ttl: timedelta | None = None,
        title: str | None = None,
    ) -> SessionType:
        """Register ``group`` as the session type ``name``."""
        spec = register_flow(
            self.manager, group, name, schema_version=schema_version, ttl=ttl, title=title
        )
        self._type_of_group[group.__full_group_name__] = name
        self._group_of_type[name] = group.__full_group_name__
        return spec

    def type_of_state(self, state: str) -> tuple[str, str]:
        """``(session type, step)`` of an aiogram state string: a registered group's
        type and step name, else the ``fsm`` type and the whole state."""
        group, _, step = state.rpartition(":")
        session_type = self._type_of_group.get(group) if group else None
        if session_type is None:
            return DEFAULT_SESSION_TYPE, state
        return session_type, step

    def state_of(self, session: SessionRecord | None) -> str | None:
        """The aiogram state string of a stored session."""
        if session is None or session.step is None:
            return None
        if session.session_type == DEFAULT_SESSION_TYPE:
            return session.step
        group = self._group_of_type.get(session.session_type)
        return None if group is None else f"{group}:{session.step}"

    @staticmethod
    def session_key(key: StorageKey) -> SessionKey:
        """The session key of every ``StorageKey`` field."""
        return SessionKey(
            bot_id=key.bot_id,
            chat_id=key.chat_id,
            user_id=key.user_id,
            thread_id=key.thread_id,
            business_connection_id=key.business_connection_id,
            destiny=key.destiny,
        )

    # -- unit of work -----------------------------------------------------------------------

    def begin(
        self, key: StorageKey, session_key: SessionKey | None = None
    ) -> contextvars.Token[dict[StorageKey, _Pending] | None]:
        """Open the unit of work for ``key`` in this context (called under its lock)."""
        return self._begin(key, session_key or self.session_key(key))[1]

    def _begin(
        self, key: StorageKey, session_key: SessionKey
    ) -> tuple[_Pending, contextvars.Token[dict[StorageKey, _Pending] | None]]:
        pending = _Pending(session_key)
        current = _pending.get()
        units = {key: pending} if current is None else {**current, key: pending}
        return pending, _pending.set(units)

    def end(
        self, key: StorageKey, token: contextvars.Token[dict[StorageKey, _Pending] | None]
    ) -> None:
        """Close the unit of work: record the events of what was written (also when the
        handler raised after a flush), drop what was not."""
        pending = (_pending.get() or {}).get(key)
        if pending is not None:
            self._announce(pending)
        _pending.reset(token)

    async def commit(self, key: StorageKey) -> None:
        """Write what the update changed, in at most one store call."""
        pending = (_pending.get() or {}).get(key)
        if pending is not None and pending.dirty:
            await self._write(pending, deferred=True)

    async def flush_pending(self) -> int:
        """Write every session this update changed so far; returns how many were written."""
        written = 0
        for pending in (_pending.get() or {}).values():
            if pending.dirty:
                await self._write(pending, deferred=True)
                written += 1
        return written

    def _announce(self, pending: _Pending) -> None:
        if pending.announcement is None:
            return  # notes made before the write wait for it
        session, event = pending.announcement
        self.manager.announce(session, event, pending.notes or None)
        pending.announcement = None
        pending.notes = None

    @staticmethod
    def _loaded(key: StorageKey) -> _Pending | None:
        """This update's already loaded session of ``key``, without a coroutine (the
        usual case: aiogram asks for state and data several times per update)."""
        units = _pending.get()
        if units is None:
            return None
        pending = units.get(key)
        return pending if pending is not None and pending.loaded else None

    async def _open(self, key: StorageKey) -> _Pending:
        """The pending session of ``key``, loaded (``transient``: a write-through one)."""
        units = _pending.get()
        pending = None if units is None else units.get(key)
        if pending is None:
            pending = _Pending(self.session_key(key), transient=True)
        if not pending.loaded:
            session = await self.manager.get(pending.key)
            pending.loaded = True
            pending.session = session
            pending.state = self.state_of(session)
            # The record's data dict is this update's own (decoded for this read).
            pending.data = session.data.copy() if session is not None else {}
        return pending

    async def was_applied(self, key: StorageKey, update_id: int) -> bool:
        """True when the session of ``key`` already holds ``update_id``'s effect;
        otherwise remember ``update_id`` so this update's write records it."""
        pending = self._loaded(key) or await self._open(key)
        if pending.session is not None and update_id in pending.session.applied_updates:
            return True
        pending.update_id = update_id
        return False

    async def _write(self, pending: _Pending, *, deferred: bool = False) -> None:
        """Write the pending change; ``deferred``: record its event when the update ends."""
        before = pending.session
        applied = with_applied(before.applied_updates if before else (), pending.update_id)
        # A second write in one update: the first one's event comes first in the trail.
        self._announce(pending)
        event: EventKind
        if pending.state is None and not pending.data:
            if before is not None:
                if pending.outcome == "cancelled":
                    await self.manager.cancel(before, by=pending.cancelled_by)
                else:
                    await self.manager.finish(before)
            after = None
        else:
            session_type, step = self._target(pending)
            if before is None or pending.new_id is not None or before.session_type != session_type:
                after = await self.manager.start(
                    pending.key,
                    session_type,
                    step=step,
                    data=pending.data,
                    replace=True,
                    session_id=pending.new_id,
                    applied_updates=applied,
                    announce=not deferred,
                )
                event = "started"
            else:
                after = await self.manager.save(
                    before,
                    step=step,
                    data=pending.data,
                    applied_updates=applied,
                    announce=not deferred,
                )
                event = "step"
            if deferred:
                pending.announcement = (after, event)
        pending.session = after
        pending.new_id = None
        pending.dirty = False

    def _target(self, pending: _Pending) -> tuple[str, str | None]:
        """The session type and step to write; data without a state stays in the
        session type it has (else ``fsm``)."""
        if pending.state is not None:
            return self.type_of_state(pending.state)
        before = pending.session
        return (before.session_type if before is not None else DEFAULT_SESSION_TYPE), None

    # -- BaseStorage -------------------------------------------------------------------------

    async def get_state(self, key: StorageKey) -> str | None:
        pending = self._loaded(key) or await self._open(key)
        return pending.state

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        pending = self._loaded(key) or await self._open(key)
        return pending.data.copy()

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        # What ``BaseStorage.update_data`` does (get, update, set, copy), with one copy
        # of the data instead of three.
        pending = self._loaded(key) or await self._open(key)
        merged = pending.data.copy()
        merged.update(data)
        pending.data = merged
        pending.dirty = True
        if pending.transient:
            await self._write(pending)
        return merged.copy()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        pending = self._loaded(key) or await self._open(key)
        new_state = state.state if isinstance(state, State) else state
        if new_state is None and pending.state is not None:
            pending.cleared = True
        if new_state is not None:
            session_type, _ = self.type_of_state(new_state)
            open_type = self.type_of_state(pending.state)[0] if pending.state else None
            if open_type != session_type and not (
                # Data kept without a state carries on into the state's session; a flow
                # ended in this update does not (the next one is a new session, even of
                # the same kind: its buttons must not work on the old one's).
                open_type is None
                and not pending.cleared
                and pending.session is not None
                and pending.session.session_type == session_type
            ):
                # A new flow gets its id now, so this update's buttons can carry it.
                pending.new_id = new_session_id()
        pending.state = new_state
        pending.dirty = True
        if pending.transient:
            await self._write(pending)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            raise DataNotDictLikeError(
                f"Data must be a dict or dict-like object, got {type(data).__name__}"
            )
        pending = self._loaded(key) or await self._open(key)
        pending.data = dict(data)
        pending.dirty = True
        if pending.transient:
            await self._write(pending)

    def before_close(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook`` in ``close`` after the updates in hand, before the store closes."""
        self._before_close.append(hook)

    async def close(self) -> None:
        await self.in_hand.wait_idle(self.close_grace)
        for hook in self._before_close:
            try:
                await hook()
            except Exception:  # shutting down: log it, close the rest
                log.exception("storage.close_hook_failed")
        await self.manager.store.close()

    # -- for handlers ------------------------------------------------------------------------

    async def current_session_id(self, key: StorageKey) -> str | None:
        """The id of the flow open for ``key`` in this update (also a just-started one)."""
        pending = self._loaded(key) or await self._open(key)
        if pending.state is None:
            return None
        if pending.new_id is not None:
            return pending.new_id
        return pending.session.id if pending.session is not None else None

    async def current_session(self, key: StorageKey) -> SessionRecord | None:
        """The stored session as loaded at the start of this update."""
        pending = self._loaded(key) or await self._open(key)
        return pending.session

    async def note(self, key: StorageKey, **values: Any) -> None:
        """Attach ``values`` to the audit event of this update's write (no store write);
        read back with ``SessionManager.latest_note``. Dropped if the update wrote
        nothing; JSON values only."""
        pending = (_pending.get() or {}).get(key)
        if pending is not None:
            if pending.notes is None:
                pending.notes = {}
            pending.notes.update(values)

    async def mark_outcome(self, key: StorageKey, outcome: Outcome, by: int | None) -> None:
        """How the next ``clear`` ends the session: completed (default) or cancelled."""
        pending = self._loaded(key) or await self._open(key)
        pending.outcome = outcome
        pending.cancelled_by = by


# Bot API calls that only read: they need no flush before them.
_READ_ONLY_METHODS = frozenset(
    {
        "getMe",
        "getChat",
        "getChatMember",
        "getUpdates",
        "getWebhookInfo",
        "getMyCommands",
        "getFile",
    }
)


class FlushBeforeSend(BaseRequestMiddleware):
    """Bot session middleware: persist the update's session changes before the user
    can see anything that depends on them."""

    def __init__(self, storage: SessionStorage) -> None:
        self.storage = storage

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ not in _READ_ONLY_METHODS:
            await self.storage.flush_pending()
        return await make_request(bot, method)


class SessionIsolation(BaseEventIsolation):
    """Serialises one key's updates (via ``KeyLocks``) and runs each as a unit of work."""

    def __init__(self, storage: SessionStorage, locks: KeyLocks) -> None:
        self.storage = storage
        self.locks = locks

    def lock(self, key: StorageKey) -> _UnitOfWork:  # type: ignore[override]
        # A class, not an ``asynccontextmanager`` generator: this runs on every update.
        return _UnitOfWork(self.storage, self.locks, key)

    async def close(self) -> None:
        await self.storage.in_hand.wait_idle(self.storage.close_grace)
        await self.locks.close()


class _UnitOfWork:
    """``async with isolation.lock(key)``: hold the key's lock, run the update as a unit
    of work, write what it changed (unless it raised), let the lock go."""

    __slots__ = ("_hold", "_key", "_locks", "_pending", "_storage", "_token")

    def __init__(self, storage: SessionStorage, locks: KeyLocks, key: StorageKey) -> None:
        self._storage = storage
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> None:
        storage = self._storage
        storage.in_hand.enter()
        try:
            session_key = storage.session_key(self._key)
            self._hold = self._locks.lock(session_key)
            await self._hold.__aenter__()
        except BaseException:
            storage.in_hand.leave()
            raise
        self._pending, self._token = storage._begin(self._key, session_key)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        storage = self._storage
        try:
            try:
                try:
                    if exc_type is None and self._pending.dirty:
                        await storage._write(self._pending, deferred=True)
                finally:
                    storage._announce(self._pending)
                    _pending.reset(self._token)
            except BaseException as error:
                # The write failed: the lock still goes, told why (as ``async with`` would).
                await self._hold.__aexit__(type(error), error, error.__traceback__)
                raise
            await self._hold.__aexit__(exc_type, exc, tb)
        finally:
            storage.in_hand.leave()


def _storage_of(state: FSMContext) -> SessionStorage:
    if not isinstance(state.storage, SessionStorage):
        raise TypeError("the dispatcher's FSM storage is not a SessionStorage")
    return state.storage


async def session_id_of(state: FSMContext) -> str | None:
    """The id of the flow open in this context (for button tokens and idempotency keys)."""
    return await _storage_of(state).current_session_id(state.key)


async def session_of(state: FSMContext) -> SessionRecord | None:
    """The stored session behind this context, as loaded for this update."""
    return await _storage_of(state).current_session(state.key)


async def note_step(state: FSMContext, **values: Any) -> None:
    """Note ``values`` on this update's step in the audit trail (see ``note``)."""
    await _storage_of(state).note(state.key, **values)


async def finish_flow(state: FSMContext) -> None:
    """End the flow as completed."""
    await _storage_of(state).mark_outcome(state.key, "completed", None)
    await state.clear()


async def cancel_flow(state: FSMContext, *, by: int | None = None) -> None:
    """End the flow as cancelled."""
    await _storage_of(state).mark_outcome(state.key, "cancelled", by)
    await state.clear()
