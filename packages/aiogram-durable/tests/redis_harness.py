"""The Redis harness for the contract suite, and helpers the Redis-specific tests share.

Every harness gets its own key prefix on the session's server, so tests never see each
other's sessions and nothing shared is flushed.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from datetime import timedelta

import pytest
import redis.asyncio

from aiogram_durable.clock import FakeClock
from aiogram_durable.model import SessionKey
from aiogram_durable.redis import FIELDS, RedisKeys, RedisSessionStore, to_micros
from aiogram_durable.store import SessionStore
from aiogram_durable.testing import RedisServer
from harness import Harness

_prefixes = itertools.count()


def unique_prefix() -> str:
    """A key prefix no other test in this run uses."""
    return f"test-{os.getpid()}-{next(_prefixes)}"


async def write_raw_record(
    url: str, keys: RedisKeys, key: SessionKey, fields: Mapping[str, str | int]
) -> None:
    """Write a session hash and its index entries behind the store's back.

    ``fields`` are stored as given; a missing ``expires`` or ``created`` leaves the
    record out of that index, which only a broken writer would do.
    """
    client = redis.asyncio.Redis.from_url(url)
    try:
        ids, by_expiry, by_created = keys.indexes
        name = keys.record(key)
        sid = str(fields["id"])
        async with client.pipeline(transaction=True) as pipe:
            pipe.delete(name)
            pipe.hset(name, items=[part for pair in fields.items() for part in pair])
            pipe.hset(ids, sid, name)
            if "expires" in fields:
                pipe.zadd(by_expiry, {sid: int(fields["expires"])})
            if "created" in fields:
                pipe.zadd(by_created, {sid: int(fields["created"])})
            await pipe.execute()
    finally:
        await client.aclose()


def corrupt_fields(key: SessionKey, clock: FakeClock) -> dict[str, str | int]:
    """A complete record, active for an hour, whose data is not JSON."""
    now = to_micros(clock.now())
    expires = to_micros(clock.now() + timedelta(hours=1))
    values: list[str | int] = [
        "corrupt",
        str(key),
        "x",
        1,
        '"s"',
        "{not json",
        now,
        now,
        expires,
        1,
    ]
    return dict(zip(FIELDS, values, strict=True))


async def make_redis_harness(request: pytest.FixtureRequest, clock: FakeClock) -> Harness:
    """A harness on the session's Redis server, under a fresh prefix."""
    server: RedisServer = request.getfixturevalue("redis_server")
    url = server.url(0)
    prefix = unique_prefix()
    keys = RedisKeys(prefix)

    async def reopen() -> SessionStore:
        return await RedisSessionStore.connect(url, clock, prefix=prefix)

    async def corrupt(key: SessionKey) -> None:
        await write_raw_record(url, keys, key, corrupt_fields(key, clock))

    store = await RedisSessionStore.connect(url, clock, prefix=prefix)
    return Harness("redis", store, clock, reopen, corrupt, url)
