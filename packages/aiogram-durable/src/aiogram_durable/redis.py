"""Redis backend: one hash per session, three indexes, every write a Lua script.

Layout under ``prefix`` (default ``durable``):

* ``{prefix}:session:{key}``: a hash with every ``SessionRecord`` field, where ``{key}``
  is ``str(SessionKey)``: ``bot:chat:user``, then ``:scope`` for a topic, a business
  connection or another destiny.
  Times are integer microseconds since the epoch (exact in Lua's doubles and in
  sorted-set scores up to 2^53), ``step`` is JSON so ``None`` survives, ``data`` is
  the encoded JSON text.
* ``{prefix}:sessions:by-id``: hash, session id -> session key name (``get_by_id``).
* ``{prefix}:sessions:by-expiry``: sorted set of ids scored by ``expires_at`` (sweep,
  counts).
* ``{prefix}:sessions:by-created``: sorted set of ids scored by ``created_at``, so
  equal times fall back to id order, as ``ORDER BY created_at, id`` does (listing).

Time comes from the injected clock only: scripts take "now" as an argument and every
read checks the stored ``expires_at``. The server TTL (``expires_at`` plus a grace
period) is only a backstop for abandoned keys; during the grace period the sweeper
still finds the session and can tell the user. Index entries whose session vanished
(server TTL, or a record replaced behind our back) are dropped when met.

Per-key locks (``RedisKeyLocks``, ``redis_locks``) live beside them:

* ``{prefix}:lock:{key}``: the lock, a string holding its holder's token, with a lease.
* ``{prefix}:waiting:{key}``: set while someone waits for the lock, so a release knows
  to wake one (an uncontended release writes nothing more).
* ``{prefix}:wake:{key}``: a list of at most one element, pushed by a release while
  someone waits; a waiter blocks on it (``BLPOP``) instead of polling.

An update costs two round trips, lock included: one script takes the lock and reads the
session (``LOCK_AND_READ``; the store's next ``get`` of the key in that update is served
from it, see ``HeldLock``), and the update's write script (insert, save or delete) also
releases the lock and wakes a waiter. After that first write the update runs under the
process's local lock only: another process may take the key, and a later write of the
key in the same update is an ordinary compare-and-set write (``VersionConflict`` if
somebody wrote in between). An update that writes nothing releases at its end: also two.
The PostgreSQL backend has the same semantics.

Needs Redis 6.2 or later (``ZRANGE ... BYSCORE``). Scripts build session key names
from index values, so on Redis Cluster give the prefix a hash tag (``{durable}``) to keep
every key in one slot.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import redis.asyncio
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from aiogram_durable.clock import Clock
from aiogram_durable.logs import get_logger
from aiogram_durable.model import (
    CorruptSession,
    JsonDict,
    SessionExists,
    SessionKey,
    SessionNotFound,
    SessionRecord,
    VersionConflict,
)
from aiogram_durable.rows import session_from_row
from aiogram_durable.store import SessionStore

log = get_logger(__name__)

FIELDS = ("id", "key", "type", "schema", "step", "data", "created", "updated", "expires",
          "version")  # fmt: skip
DEFAULT_GRACE = timedelta(hours=24)
# Commands a store (or a ``RedisKeyLocks``) runs at once, so connections it opens: as
# many as redis-py's pool allows by default. With 100 admins in flight, a cap of 20 made
# updates queue for it: ~13 % fewer updates per second and a p99 four times higher.
DEFAULT_MAX_IN_FLIGHT = 100

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CORRUPT = (ValueError, TypeError, KeyError, OverflowError)
_ENTRY = 1 + len(FIELDS)  # scripts return entries as key name + fields

_LUA_FIELDS = "local FIELDS = {" + ", ".join(f"'{name}'" for name in FIELDS) + "}"

# Key names are built here from the prefix and the session key (``RedisKeys`` builds
# the same in Python): a call sends one or two names instead of up to seven, which
# redis-py encodes one by one (~25 µs of client CPU a call measured here).
_NAMES = """
-- The session key (bot:chat:user[:scope]) in a record's name.
local function key_of(P, rk) return string.sub(rk, #P + 10) end
local function lock_names(P, K)
  return P .. ':lock:' .. K, P .. ':wake:' .. K, P .. ':waiting:' .. K
end
"""

# Releases a lock if ``token`` still holds it; 1 if it did, else 0. Wakes one waiter,
# if any registered (``waiting`` key), by leaving one element in the wake list for as
# long as a waiter may still be on its way to BLPOP it.
_UNLOCK = f"""
{_NAMES}
local function unlock(P, K, token)
  local lock, wake, waiting = lock_names(P, K)
  if redis.call('GET', lock) ~= token then return 0 end
  redis.call('DEL', lock)
  local left = redis.call('PTTL', waiting)
  if left > 0 then
    redis.call('DEL', wake)
    redis.call('RPUSH', wake, '1')
    redis.call('PEXPIRE', wake, left)
  end
  return 1
end
"""

# Shared by every store script. KEYS[1] is always the prefix (hash-tag it on a cluster),
# KEYS[2] the session's record in the keyed scripts.
_PRELUDE = f"""
{_LUA_FIELDS}
{_UNLOCK}
local P = KEYS[1]
local IDS = P .. ':sessions:by-id'
local EXP, CREATED = P .. ':sessions:by-expiry', P .. ':sessions:by-created'
local function load(rk) return redis.call('HMGET', rk, unpack(FIELDS)) end
local function unindex(id)
  redis.call('HDEL', IDS, id)
  redis.call('ZREM', EXP, id)
  redis.call('ZREM', CREATED, id)
end
-- The session an id points at, or nil after dropping the stale index entries.
local function resolve(id)
  local rk = redis.call('HGET', IDS, id)
  if rk then
    local rec = load(rk)
    if rec[1] == id then return rk, rec end
  end
  unindex(id)
  return nil
end
local function push(out, rk, rec)
  out[#out + 1] = rk
  for i = 1, #FIELDS do out[#out + 1] = rec[i] end
end
"""

# ARGV: now, replace, pexpire_ms, then the new record's fields in FIELDS order.
# Returns {0} inserted, {1, old...} inserted displacing old, {2, old...} refused.
_INSERT = """
local rk = KEYS[2]
local old = load(rk)
local present = old[1] or redis.call('EXISTS', rk) == 1
if present then
  local exp = tonumber(old[9])
  if old[1] and exp and exp > tonumber(ARGV[1]) and ARGV[2] == '0' then
    return {2, unpack(old)}
  end
  if old[1] and redis.call('HGET', IDS, old[1]) == rk then unindex(old[1]) end
  redis.call('DEL', rk)
end
local id = ARGV[4]
local rec = {}
for i = 1, #FIELDS do rec[#rec + 1] = FIELDS[i]; rec[#rec + 1] = ARGV[3 + i] end
redis.call('HSET', rk, unpack(rec))
redis.call('PEXPIRE', rk, ARGV[3])
redis.call('HSET', IDS, id, rk)
redis.call('ZADD', EXP, ARGV[12], id)
redis.call('ZADD', CREATED, ARGV[10], id)
if present then return {1, unpack(old)} end
return {0}
"""

# ARGV: id, version, now, step, data, expires, new version, pexpire_ms.
# Returns {1} saved, {0} not found (gone, replaced, expired or unreadable), {2, actual}.
_SAVE = """
local rk = KEYS[2]
local cur = redis.call('HMGET', rk, 'id', 'version', 'expires')
local ver, exp = tonumber(cur[2]), tonumber(cur[3])
if cur[1] ~= ARGV[1] or not ver or not exp or exp <= tonumber(ARGV[3]) then return {0} end
if ver ~= tonumber(ARGV[2]) then return {2, ver} end
redis.call('HSET', rk, 'step', ARGV[4], 'data', ARGV[5], 'updated', ARGV[3],
           'expires', ARGV[6], 'version', ARGV[7])
redis.call('PEXPIRE', rk, ARGV[8])
redis.call('ZADD', EXP, ARGV[6], ARGV[1])
return {1}
"""

# ARGV: session id or ''. Returns the removed fields, or {}.
_DELETE = """
local rk = KEYS[2]
local rec = load(rk)
if not rec[1] and redis.call('EXISTS', rk) == 0 then return {} end
if ARGV[1] ~= '' and rec[1] ~= ARGV[1] then return {} end
redis.call('DEL', rk)
if rec[1] and redis.call('HGET', IDS, rec[1]) == rk then unindex(rec[1]) end
return rec
"""


def _releasing(body: str) -> str:
    """A keyed write that may also release the key's lock: given KEYS[3] (the lock) and
    the lock's token as the last ARGV, it releases after writing. The reply
    is the write's, preceded by 1 (released), 0 (the lock was not ours) or -1 (not asked).
    """
    return f"""
local function write()
{body}
end
local out = write()
local released = -1
if KEYS[3] then released = unlock(P, key_of(P, KEYS[2]), ARGV[#ARGV]) end
table.insert(out, 1, released)
return out
"""


# KEYS: prefix, record. ARGV: token, lease ms, fallback ms.
# Returns {1, fields...} locked (the session hash read in the same step), or {0, ms}:
# held by another, wait at most ms for a wake-up (its lease left, or the fallback when
# the lock has no lease) before trying again.
LOCK_AND_READ = f"""
{_LUA_FIELDS}
{_NAMES}
local lock, wake, waiting = lock_names(KEYS[1], key_of(KEYS[1], KEYS[2]))
if redis.call('SET', lock, ARGV[1], 'NX', 'PX', ARGV[2]) then
  -- A wake-up left by an earlier release is spent: the lock is taken again.
  redis.call('DEL', wake)
  return {{1, unpack(redis.call('HMGET', KEYS[2], unpack(FIELDS)))}}
end
local wait = redis.call('PTTL', lock)
-- A lease expires once it is past, not at its last millisecond: wait one more.
if wait < 0 then wait = tonumber(ARGV[3]) else wait = wait + 1 end
-- Ask the holder's release to wake us, for as long as we may wait and then some; never
-- shorten what another waiter asked for.
local want = wait + tonumber(ARGV[3])
if redis.call('PTTL', waiting) < want then redis.call('SET', waiting, '1', 'PX', want) end
return {{0, wait}}
"""

# KEYS: prefix, record. ARGV: token. Returns 1 released, 0 not ours.
RELEASE = f"""
{_UNLOCK}
return unlock(KEYS[1], key_of(KEYS[1], KEYS[2]), ARGV[1])
"""

# KEYS: lock. ARGV: token, lease ms. Returns 1 renewed, 0 not ours.
EXTEND = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

# Removes an unreadable record, unless it changed since it was read. ARGV: id, version.
_DROP = """
local rk = KEYS[2]
local cur = redis.call('HMGET', rk, 'id', 'version')
if (cur[1] or '') ~= ARGV[1] or (cur[2] or '') ~= ARGV[2] then return 0 end
redis.call('DEL', rk)
if cur[1] and redis.call('HGET', IDS, cur[1]) == rk then unindex(cur[1]) end
return 1
"""

# ARGV: id. Returns {key name, fields...} or {}; expiry is the caller's check.
_BY_ID = """
local out = {}
local rk, rec = resolve(ARGV[1])
if rk then push(out, rk, rec) end
return out
"""

# ARGV: now, limit, type or '', user id or ''. Active (or unreadable) sessions, oldest
# first. Stale entries are collected and dropped after the walk so indexes stay put.
_LIST = """
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local stype, user = ARGV[3], ARGV[4]
local out, stale = {}, {}
local n, start = 0, 0
while n < limit do
  local ids = redis.call('ZRANGE', CREATED, start, start + 255)
  if #ids == 0 then break end
  start = start + #ids
  for _, id in ipairs(ids) do
    local rk = redis.call('HGET', IDS, id)
    local rec = rk and load(rk)
    if not rec or rec[1] ~= id then
      stale[#stale + 1] = id
    elseif (stype == '' or rec[3] == stype)
        and (user == '' or string.match(rec[2] or '', '^[^:]*:[^:]*:([^:]*)') == user) then
      local exp = tonumber(rec[9])
      if not exp or exp > now then
        push(out, rk, rec)
        n = n + 1
        if n >= limit then break end
      end
    end
  end
end
for _, id in ipairs(stale) do unindex(id) end
return out
"""

# ARGV: now. Returns {type, count, ...} over active sessions.
_COUNT = """
local counts, order, stale = {}, {}, {}
for _, id in ipairs(redis.call('ZRANGE', EXP, '(' .. ARGV[1], '+inf', 'BYSCORE')) do
  local rk = redis.call('HGET', IDS, id)
  local rec = rk and redis.call('HMGET', rk, 'id', 'type')
  if not rec or rec[1] ~= id then
    stale[#stale + 1] = id
  elseif rec[2] then
    if not counts[rec[2]] then counts[rec[2]] = 0; order[#order + 1] = rec[2] end
    counts[rec[2]] = counts[rec[2]] + 1
  end
end
for _, id in ipairs(stale) do unindex(id) end
local out = {}
for _, t in ipairs(order) do out[#out + 1] = t; out[#out + 1] = counts[t] end
return out
"""

# ARGV: type or '', then ids. Removes those ids' sessions (of that type).
_DELETE_IDS = """
local out = {}
for i = 2, #ARGV do
  local rk, rec = resolve(ARGV[i])
  if rk and (ARGV[1] == '' or rec[3] == ARGV[1]) then
    redis.call('DEL', rk)
    unindex(ARGV[i])
    push(out, rk, rec)
  end
end
return out
"""

# ARGV: now, limit. Pops expired ids until ``limit`` sessions are removed or none is
# left. The stored expires_at is checked again: the index must never be the only word.
_SWEEP = """
local now, limit = ARGV[1], tonumber(ARGV[2])
local out, n = {}, 0
while n < limit do
  local ids = redis.call('ZRANGE', EXP, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit - n)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    redis.call('ZREM', EXP, id)
    local rk, rec = resolve(id)
    if rk then
      local exp = tonumber(rec[9])
      if exp and exp > tonumber(now) then
        redis.call('ZADD', EXP, rec[9], id)
      else
        redis.call('DEL', rk)
        unindex(id)
        push(out, rk, rec)
        n = n + 1
      end
    end
  end
end
return out
"""


async def run_script(script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
    """``script(keys=keys, args=args)`` without what redis-py's ``Script.__call__`` does
    on every call for pipelines and clusters (two imports, isinstance checks; measured
    ~40 µs of CPU a call here). A server that lost its script cache gets it again."""
    client = script.registered_client
    try:
        return await client.evalsha(script.sha, len(keys), *keys, *args)
    except NoScriptError:
        script.sha = await client.script_load(script.script)
        return await client.evalsha(script.sha, len(keys), *keys, *args)


def to_micros(value: datetime) -> int:
    """Microseconds since the epoch: exact, and ordered like the datetimes."""
    return (value - _EPOCH) // _MICROSECOND


def from_micros(value: bytes | str | int) -> datetime:
    """Inverse of ``to_micros``: an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=int(value))


def _text(value: bytes | str) -> str:
    # The client may or may not decode responses; both work.
    return value if isinstance(value, str) else value.decode()


def _optional_text(value: bytes | str | None) -> str | None:
    return None if value is None else _text(value)


def decode_record(fields: Sequence[bytes | str | None]) -> SessionRecord:
    """A session from the hash fields in ``FIELDS`` order.

    Raises:
        ValueError: a field is missing or undecodable.
    """
    if None in fields:
        missing = [name for name, value in zip(FIELDS, fields, strict=True) if value is None]
        raise ValueError(f"missing fields: {', '.join(missing)}")
    present = cast("Sequence[bytes | str]", fields)
    sid, key, stype, schema, step, data, created, updated, expires, version = present
    step_value = json.loads(step)
    if step_value is not None and not isinstance(step_value, str):
        raise ValueError("step is not a string")
    row = (_text(sid), _text(stype), schema, step_value, data, created,
           updated, expires, version)  # fmt: skip
    return session_from_row(SessionKey.parse(_text(key)), row, from_micros)


class InFlightLimit:
    """At most ``size`` commands at once; a free slot is taken at once, queue or not.

    Why not ``asyncio.Semaphore``: it is strictly FIFO, so a task between its ``get``
    and its ``save`` queues behind everyone else and loses more compare-and-set races
    (200 racing increments: 3.5-4 s, ~9500 conflicts, about as bad as no limit at all).
    Letting a free slot go to whoever asks first, as redis-py's
    ``BlockingConnectionPool`` does, took 1.3 s and ~3200 conflicts; that pool costs
    ~20 µs more per command than this. Bounding commands also bounds connections,
    like the PostgreSQL pool's ``max_size``.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def __aenter__(self) -> None:
        while self._free == 0:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                # Woken, then cancelled before running: hand the wake-up on.
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()
                raise
        self._free -= 1

    async def __aexit__(self, *exc_info: object) -> None:
        self._free += 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


@dataclass(frozen=True, slots=True)
class _Entry:
    """One session as a script returned it: key name, raw fields, decoded or None."""

    name: str
    fields: Sequence[bytes | str | None]
    session: SessionRecord | None


@dataclass(frozen=True, slots=True)
class RedisKeys:
    """The key names a store uses under one prefix."""

    prefix: str

    @property
    def indexes(self) -> list[str]:
        """The three index keys, in the order every script takes them."""
        p = self.prefix
        return [f"{p}:sessions:by-id", f"{p}:sessions:by-expiry", f"{p}:sessions:by-created"]

    def record(self, key: SessionKey) -> str:
        """The hash holding the session of ``key``."""
        return f"{self.prefix}:session:{key}"

    def lock(self, key: SessionKey) -> str:
        """The lock of ``key`` (``RedisKeyLocks``)."""
        return f"{self.prefix}:lock:{key}"

    def wake(self, key: SessionKey) -> str:
        """The list a waiter for ``key``'s lock blocks on."""
        return f"{self.prefix}:wake:{key}"

    def waiting(self, key: SessionKey) -> str:
        """Set while somebody waits for ``key``'s lock."""
        return f"{self.prefix}:waiting:{key}"

    def user_of(self, record: str) -> int | None:
        """The user id in a record's name; None for a name this layout did not write."""
        parts = record.removeprefix(f"{self.prefix}:session:").split(":", 3)
        try:
            return int(parts[2])
        except (IndexError, ValueError):
            return None


def server_of(client: Any) -> tuple[object, ...]:
    """Where ``client`` connects (host, port, socket path, database): a lock's read is
    only the store's read when both clients reach the same server and database."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
    return (kwargs.get("host"), kwargs.get("port"), kwargs.get("path"), kwargs.get("db") or 0)


class HeldLock:
    """A key's lock held by one update, handed from ``RedisKeyLocks`` to the store
    through a context variable (as ``postgres.HeldLock`` is).

    It carries the session hash the lock script read (the store's next ``get`` of the
    key is served from it, once) and the lock's token: the store's first write of the
    key releases the lock in the same script (``released``). The rest of the update runs
    under the process's local lock only; a later write of the key is an ordinary
    compare-and-set write. Only the task that took the lock uses it: a task the update
    spawns reads and writes on its own, so it never gets a stale read or a lock that
    is no longer held.
    """

    __slots__ = ("fields", "keys", "lock", "lost", "owner", "read", "released", "server",
                 "token", "unsure")  # fmt: skip

    def __init__(
        self,
        keys: RedisKeys,
        key: SessionKey,
        token: str,
        fields: Sequence[bytes | str | None],
        server: tuple[object, ...],
    ) -> None:
        self.keys = keys
        self.lock = keys.lock(key)
        self.token = token
        self.fields = fields  # the session hash as the lock script read it
        self.server = server
        self.owner = asyncio.current_task()
        self.read = False  # ``fields`` used by the store's ``get``, or stale after a write
        self.released = False  # a write released it (or is releasing it), or it was lost
        self.lost = False  # another holder had the lock when we wrote or renewed
        # A write meant to release it failed or was cancelled: whether it ran is unknown.
        self.unsure = False


_held: contextvars.ContextVar[dict[SessionKey, HeldLock] | None] = contextvars.ContextVar(
    "aiogram_durable_held_redis_locks", default=None
)


def hold(key: SessionKey, held: HeldLock) -> contextvars.Token[dict[SessionKey, HeldLock] | None]:
    """Hand the lock of ``key`` (and what it read) to the store in this context."""
    return _held.set({**(_held.get() or {}), key: held})


def let_go(token: contextvars.Token[dict[SessionKey, HeldLock] | None]) -> None:
    """Take back what ``hold`` handed over (the update is ending)."""
    _held.reset(token)


class RedisSessionStore(SessionStore):
    """Sessions in Redis, consistent through Lua scripts.

    A step (``get`` + ``save``) is two round trips: an ``HMGET`` and one ``EVALSHA``;
    under a ``RedisKeyLocks`` lock on the same server and prefix the ``HMGET`` comes with
    the lock and the write releases it (``HeldLock``), so a locked update is two round
    trips in all. Listing and counting walk the indexes on the server, which is fine for
    the few sessions a bot keeps open; the per-session paths never do.

    Args:
        client: a ``redis.asyncio.Redis``; the store closes it in ``close``.
        clock: the only source of "now".
        prefix: namespace of every key, so several bots or tests share a server.
        grace: how long after ``expires_at`` Redis itself deletes an unswept session.
        max_in_flight: commands this store runs at once (so connections it opens).
    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        clock: Clock,
        *,
        prefix: str = "durable",
        grace: timedelta = DEFAULT_GRACE,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        super().__init__(clock)
        if not prefix:
            raise ValueError("prefix must not be empty")
        self.client = client
        self.keys = RedisKeys(prefix)
        self._prefix_only = [prefix]  # the keys of a script that is not about one session
        self._grace_ms = grace // timedelta(milliseconds=1)
        self._in_flight = InFlightLimit(max_in_flight)
        self._server = server_of(client)
        # Registered once: calls are EVALSHA, and a server that lost its script cache
        # gets the script loaded again by redis-py.
        self._insert_script = self._script(_releasing(_INSERT))
        self._save_script = self._script(_releasing(_SAVE))
        self._delete_script = self._script(_releasing(_DELETE))
        self._drop_script = self._script(_DROP)
        self._by_id_script = self._script(_BY_ID)
        self._list_script = self._script(_LIST)
        self._count_script = self._script(_COUNT)
        self._delete_ids_script = self._script(_DELETE_IDS)
        self._sweep_script = self._script(_SWEEP)

    @classmethod
    async def connect(
        cls,
        url: str,
        clock: Clock,
        *,
        prefix: str = "durable",
        grace: timedelta = DEFAULT_GRACE,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> RedisSessionStore:
        """A store on a new client for ``url`` (``redis://host:port/db``).

        Raises:
            redis.exceptions.ConnectionError: the server is unreachable.
        """
        # Raw bytes: decode_responses=True measured the same per step; bytes skip a copy.
        client = redis.asyncio.Redis.from_url(
            url, decode_responses=False, max_connections=max_in_flight
        )
        try:
            await client.ping()  # fail at startup, as the PostgreSQL pool does
        except BaseException:
            await client.aclose()
            raise
        return cls(client, clock, prefix=prefix, grace=grace, max_in_flight=max_in_flight)

    # -- plumbing ----------------------------------------------------------------------

    def _script(self, body: str) -> AsyncScript:
        return self.client.register_script(_PRELUDE + body)

    async def _run(self, script: AsyncScript, record: str | None, args: Sequence[Any]) -> list[Any]:
        keys = self._prefix_only if record is None else [self.keys.prefix, record]
        async with self._in_flight:
            reply: list[Any] = await run_script(script, keys, args)
        return reply

    def _held_lock(self, key: SessionKey) -> HeldLock | None:
        """The unreleased lock of ``key`` this task holds on this store's server and
        prefix, or None."""
        held = (_held.get() or {}).get(key)
        if (
            held is None
            or held.released
            or held.owner is not asyncio.current_task()
            or held.keys != self.keys
            or held.server != self._server
        ):
            return None
        return held

    async def _write(self, script: AsyncScript, key: SessionKey, args: Sequence[Any]) -> list[Any]:
        """Run a keyed write script; the first write under this task's held lock of
        ``key`` also releases it (one round trip for both)."""
        shared = (_held.get() or {}).get(key)
        if shared is not None:
            # What the lock read is stale once the key is written, by whichever task.
            shared.read = True
        held = self._held_lock(key)
        if held is None:
            return (await self._run(script, self.keys.record(key), args))[1:]
        # Claimed before the call: a renewal or a second write meanwhile leaves it alone.
        held.released = True
        keys = [self.keys.prefix, self.keys.record(key), held.lock]
        try:
            async with self._in_flight:
                reply: list[Any] = await run_script(script, keys, [*args, held.token])
        except BaseException:
            held.unsure = True  # the lock's exit releases it, token-checked
            raise
        held.lost = reply[0] == 0
        return reply[1:]

    def _pexpire_ms(self, now: datetime, expires_at: datetime) -> int:
        # Never 0 or less: PEXPIRE would delete the key at once, before any sweep.
        return max(1, (expires_at - now) // timedelta(milliseconds=1) + self._grace_ms)

    def _decode_entries(self, reply: list[Any]) -> list[_Entry]:
        """Entries (key name + fields) from a script; unreadable ones logged, as None."""
        entries = []
        for i in range(0, len(reply), _ENTRY):
            name, fields = _text(reply[i]), reply[i + 1 : i + _ENTRY]
            entries.append(_Entry(name, fields, self._decode_quietly(name, fields)))
        return entries

    def _decode_quietly(
        self, name: str, fields: Sequence[bytes | str | None]
    ) -> SessionRecord | None:
        try:
            return decode_record(fields)
        except _CORRUPT as exc:
            log.error(
                "session.corrupt_row",
                backend="redis",
                record=name,
                session_id=_optional_text(fields[0]),
                reason=str(exc),
            )
            return None

    async def _drop(self, name: str, fields: Sequence[bytes | str | None]) -> None:
        """Remove an unreadable record and its index entries, if nobody rewrote it."""
        await self._run(self._drop_script, name, [fields[0] or "", fields[-1] or ""])

    # -- reading -----------------------------------------------------------------------

    async def get(self, key: SessionKey) -> SessionRecord | None:
        name = self.keys.record(key)
        held = self._held_lock(key)
        if held is not None and not held.read:
            # Read with the lock a moment ago: no round trip.
            held.read = True
            fields = held.fields
        else:
            async with self._in_flight:
                fields = await self.client.hmget(name, FIELDS)
        if all(value is None for value in fields):
            return None
        try:
            session = decode_record(fields)
            if session.key != key:
                raise ValueError(f"record holds key {session.key}")
        except _CORRUPT as exc:
            await self._drop(name, fields)
            raise CorruptSession(key, _optional_text(fields[0]), str(exc)) from None
        return None if session.is_expired(self.clock.now()) else session

    async def get_by_id(self, session_id: str) -> SessionRecord | None:
        reply = await self._run(self._by_id_script, None, [session_id])
        if not reply:
            return None
        name, fields = _text(reply[0]), reply[1:]
        session = self._decode_quietly(name, fields)
        if session is None:
            await self._drop(name, fields)
            return None
        return None if session.is_expired(self.clock.now()) else session

    async def list_active(
        self, *, session_type: str | None = None, user_id: int | None = None, limit: int = 1000
    ) -> list[SessionRecord]:
        user = "" if user_id is None else str(user_id)
        args = [to_micros(self.clock.now()), limit, session_type or "", user]
        reply = await self._run(self._list_script, None, args)
        found = []
        for entry in self._decode_entries(reply):
            if entry.session is None:
                await self._drop(entry.name, entry.fields)
            else:
                found.append(entry.session)
        return found

    async def count_by_type(self) -> dict[str, int]:
        reply = await self._run(self._count_script, None, [to_micros(self.clock.now())])
        return {_text(reply[i]): int(reply[i + 1]) for i in range(0, len(reply), 2)}

    # -- writing -----------------------------------------------------------------------

    async def _insert(
        self, session: SessionRecord, data_json: str, *, replace: bool
    ) -> SessionRecord | None:
        name = self.keys.record(session.key)
        now = self.clock.now()
        args = [
            to_micros(now), int(replace), self._pexpire_ms(now, session.expires_at),
            session.id, str(session.key), session.session_type, session.schema_version,
            json.dumps(session.step), data_json, to_micros(session.created_at),
            to_micros(session.updated_at), to_micros(session.expires_at), session.version,
        ]  # fmt: skip
        while True:
            reply = await self._write(self._insert_script, session.key, args)
            if reply[0] == 0:
                return None
            old = reply[1:]
            if reply[0] == 1:
                return self._decode_quietly(name, old)
            existing = self._decode_quietly(name, old)
            if existing is not None:
                raise SessionExists(existing)
            # An unreadable record cannot be "the active session": drop it, try again.
            await self._drop(name, old)

    async def _save(
        self,
        session: SessionRecord,
        step: str | None,
        data: JsonDict,
        data_json: str,
        now: datetime,
        expires_at: datetime,
    ) -> SessionRecord:
        args = [
            session.id, session.version, to_micros(now), json.dumps(step), data_json,
            to_micros(expires_at), session.version + 1, self._pexpire_ms(now, expires_at),
        ]  # fmt: skip
        reply = await self._write(self._save_script, session.key, args)
        if reply[0] == 2:
            raise VersionConflict(session.key, session.version, int(reply[1]))
        if reply[0] != 1:
            raise SessionNotFound(session.key, session.id)
        return session.with_changes(
            step=step, data=data, updated_at=now, expires_at=expires_at,
            version=session.version + 1,
        )  # fmt: skip

    async def delete(self, key: SessionKey, session_id: str | None = None) -> SessionRecord | None:
        name = self.keys.record(key)
        reply = await self._write(self._delete_script, key, [session_id or ""])
        return self._decode_quietly(name, reply) if reply else None

    async def delete_many(
        self, *, user_id: int | None = None, session_type: str | None = None
    ) -> list[SessionRecord]:
        # Page through the id index, deleting each page atomically: like a SQL DELETE, a
        # session inserted meanwhile may or may not be caught. HSCAN may repeat an id;
        # the script finds it gone the second time.
        removed: list[SessionRecord] = []
        cursor = 0
        while True:
            async with self._in_flight:
                cursor, page = await self.client.hscan(self.keys.indexes[0], cursor, count=500)
            pairs = cast("dict[bytes | str, bytes | str]", page).items()
            ids = [
                _text(sid)
                for sid, name in pairs
                if user_id is None or self.keys.user_of(_text(name)) == user_id
            ]
            if ids:
                reply = await self._run(self._delete_ids_script, None, [session_type or "", *ids])
                removed.extend(
                    e.session for e in self._decode_entries(reply) if e.session is not None
                )
            if cursor == 0:
                return removed

    async def sweep(self, limit: int) -> list[SessionRecord]:
        swept: list[SessionRecord] = []
        now = to_micros(self.clock.now())
        while len(swept) < limit:
            wanted = limit - len(swept)
            entries = self._decode_entries(await self._run(self._sweep_script, None, [now, wanted]))
            swept.extend(e.session for e in entries if e.session is not None)
            # A short batch means nothing expired is left; a full one that lost
            # unreadable records to decoding is topped up, so a batch is full while
            # expired sessions remain (the sweeper stops at the first short batch).
            if len(entries) < wanted:
                break
        return swept

    # -- lifecycle ---------------------------------------------------------------------

    async def ping(self) -> None:
        async with self._in_flight:
            await self.client.ping()

    async def close(self) -> None:
        await self.client.aclose()
