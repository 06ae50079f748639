"""SessionManager: audit trail, corrupt and incompatible records, recovery, sweeping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aiogram_durable.audit import AuditEvent, MemoryAuditLog
from aiogram_durable.manager import SessionManager
from aiogram_durable.model import SessionExists, SessionKey
from aiogram_durable.types import SessionType, SessionTypes
from harness import Harness

KEY = SessionKey(1, 10, 10)


def _manager(harness: Harness, audit: MemoryAuditLog | None = None) -> SessionManager:
    types = SessionTypes(
        SessionType("tariff_creation", steps=frozenset({"price", "duration", "name", "confirm"})),
        SessionType("channel_registration", ttl=timedelta(seconds=60)),
    )
    return SessionManager(
        harness.store, types, audit or MemoryAuditLog(), default_ttl=timedelta(minutes=10)
    )


def _kinds(audit: MemoryAuditLog) -> list[str]:
    return [e.event for e in audit.events]


async def test_lifecycle_is_audited(harness: Harness) -> None:
    audit = MemoryAuditLog()
    manager = _manager(harness, audit)
    seen: list[AuditEvent] = []
    manager.add_listener(seen.append)
    session = await manager.start(KEY, "tariff_creation", step="price")
    session = await manager.save(session, step="duration", data={"price": "1.00"})
    assert await manager.finish(session) is True
    assert await manager.finish(session) is False
    assert _kinds(audit) == ["started", "step", "completed"]
    assert [e.step for e in audit.events] == ["price", "duration", "duration"]
    assert {e.session_id for e in audit.events} == {session.id}
    assert seen == audit.events


async def test_cancel_records_who(harness: Harness) -> None:
    audit = MemoryAuditLog()
    manager = _manager(harness, audit)
    session = await manager.start(KEY, "tariff_creation", step="price")
    assert await manager.cancel(session, by=10)
    assert audit.events[-1].event == "cancelled"
    assert audit.events[-1].detail == {"by": 10}


async def test_start_refuses_or_replaces(harness: Harness) -> None:
    audit = MemoryAuditLog()
    manager = _manager(harness, audit)
    first = await manager.start(KEY, "tariff_creation", step="price")
    with pytest.raises(SessionExists) as exc:
        await manager.start(KEY, "channel_registration")
    assert exc.value.existing.id == first.id
    second = await manager.start(KEY, "channel_registration", replace=True)
    assert _kinds(audit) == ["started", "cancelled", "started"]
    assert audit.events[1].detail == {"replaced_by": second.id}


async def test_per_type_ttl_comes_from_the_type(harness: Harness) -> None:
    manager = _manager(harness)
    session = await manager.start(KEY, "channel_registration")
    assert session.expires_at - session.created_at == timedelta(seconds=60)
    other = await manager.start(SessionKey(1, 11, 11), "tariff_creation", step="price")
    assert other.expires_at - other.created_at == timedelta(minutes=10)


async def test_unknown_type_is_corrupt_and_removed(harness: Harness) -> None:
    audit = MemoryAuditLog()
    manager = _manager(harness, audit)
    stranger = harness.store.new_session(
        KEY, "from_the_future", schema_version=1, step="x", data={}, ttl=timedelta(minutes=5)
    )
    await harness.store.insert(stranger, replace=False)
    assert await manager.get(KEY) is None
    assert await harness.store.get(KEY) is None
    assert audit.events[-1].event == "corrupt"


async def test_older_schema_is_retired_as_incompatible(harness: Harness) -> None:
    audit = MemoryAuditLog()
    manager = _manager(harness, audit)
    old = harness.store.new_session(
        KEY, "tariff_creation", schema_version=0, step="price", data={}, ttl=timedelta(minutes=5)
    )
    await harness.store.insert(old, replace=False)
    assert await manager.get(KEY) is None
    assert audit.events[-1].event == "incompatible"
    assert await harness.store.get(KEY) is None


async def test_removed_step_is_incompatible(harness: Harness) -> None:
    audit = MemoryAuditLog()
    manager = _manager(harness, audit)
    old = harness.store.new_session(
        KEY, "tariff_creation", schema_version=1, step="currency", data={}, ttl=timedelta(minutes=5)
    )
    await harness.store.insert(old, replace=False)
    assert await manager.get(KEY) is None
    assert _kinds(audit) == ["incompatible"]


async def test_corrupt_record_is_audited(harness: Harness) -> None:
    if harness.name == "memory":
        return  # nothing can corrupt decoded objects
    audit = MemoryAuditLog()
    manager = _manager(harness, audit)
    await harness.corrupt(KEY)
    assert await manager.get(KEY) is None
    assert _kinds(audit) == ["corrupt"]
    assert audit.events[0].user_id == KEY.user_id


async def test_clear_by_user_type_all_and_id(harness: Harness) -> None:
    audit = MemoryAuditLog()
    manager = _manager(harness, audit)
    a = await manager.start(SessionKey(1, 1, 1), "tariff_creation", step="price")
    await manager.start(SessionKey(1, 2, 2), "tariff_creation", step="price")
    await manager.start(SessionKey(1, 3, 3), "channel_registration")
    await manager.start(SessionKey(1, 4, 4), "channel_registration")
    assert [s.id for s in await manager.clear(user_id=1, by="cli")] == [a.id]
    assert len(await manager.clear(session_type="channel_registration", by=99)) == 2
    removed = await manager.clear_by_id((await manager.list_active())[0].id, by=99)
    assert removed is not None
    assert await manager.clear(everything=True) == []
    cleared = [e for e in audit.events if e.event == "cleared"]
    assert len(cleared) == 4
    assert cleared[0].detail == {"by": "cli"}
    with pytest.raises(ValueError, match="exactly one"):
        await manager.clear(user_id=1, session_type="x")


async def test_counts_include_every_registered_type(harness: Harness) -> None:
    manager = _manager(harness)
    await manager.start(KEY, "tariff_creation", step="price")
    assert await manager.count_by_type() == {"channel_registration": 0, "tariff_creation": 1}


async def test_sweep_audits_expired(harness: Harness) -> None:
    audit = MemoryAuditLog()
    manager = _manager(harness, audit)
    session = await manager.start(KEY, "channel_registration")
    harness.clock.advance(61)
    swept = await manager.sweep(batch_size=10)
    assert [s.id for s in swept] == [session.id]
    assert _kinds(audit) == ["started", "expired"]
    # Finishing a session that expired meanwhile reports expiry, not completion.
    late = await manager.start(KEY, "channel_registration")
    harness.clock.advance(61)
    assert await manager.finish(late) is False
    assert _kinds(audit)[-1] == "expired"
