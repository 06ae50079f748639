"""The SQL audit trail: batched writes land in durable_session_events, newest first."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from aiogram_durable.audit import AuditEvent, SqlAuditLog
from aiogram_durable.clock import FakeClock
from aiogram_durable.schema import events


def _event(n: int, clock: FakeClock) -> AuditEvent:
    return AuditEvent(
        session_id=f"s{n}",
        user_id=n,
        session_type="t",
        event="step",
        step=f"step{n}",
        at=clock.now() + timedelta(seconds=n),
        detail={"n": n, "ñ": "é"},
    )


async def test_events_are_written_in_a_batch_and_read_back(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    audit = SqlAuditLog(engine, flush_interval=3600)
    for n in range(5):
        audit.record(_event(n, clock))
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(events)) == 0
    recent = await audit.recent(3)
    assert [e.session_id for e in recent] == ["s4", "s3", "s2"]
    assert recent[0] == _event(4, clock)
    await audit.close()


async def test_close_flushes_what_is_queued(engine: AsyncEngine, clock: FakeClock) -> None:
    audit = SqlAuditLog(engine, flush_interval=3600)
    audit.record(_event(1, clock))
    await audit.close()
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(events)) == 1


async def test_an_event_without_detail_reads_back_without_detail(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    audit = SqlAuditLog(engine, flush_interval=3600)
    bare = AuditEvent("s9", 9, "t", "completed", None, clock.now())
    audit.record(bare)
    audit.record(_event(10, clock))
    assert await audit.recent(2) == [_event(10, clock), bare]
    assert await audit.latest_note("s10", "ñ") == "é"
    await audit.close()
