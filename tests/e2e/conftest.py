"""End-to-end fixtures: the local Bot API, a database, and the real bot process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from diana_devtools.localapi import BotApiUser, LocalBotApi
from tests.support.botproc import ADMIN, OTHER_ADMIN, STRANGER, BotProcess, bot_env

pytestmark = pytest.mark.e2e


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    server = LocalBotApi()
    await server.start()
    for user_id in (ADMIN, OTHER_ADMIN, STRANGER):
        server.add_user(user_id)
    yield server
    await server.stop()


@pytest.fixture
async def user(api: LocalBotApi) -> AsyncIterator[BotApiUser]:
    client = BotApiUser(api.base_url, timeout=30)
    yield client
    await client.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def e2e_db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
async def bot(
    api: LocalBotApi,
    user: BotApiUser,
    e2e_db_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[BotProcess]:
    """A running bot process (polling), on SQLite and on PostgreSQL."""
    marker = request.node.get_closest_marker("bot_env")
    extra = {k: str(v) for k, v in (marker.kwargs if marker else {}).items()}
    process = BotProcess(bot_env(api.base_url, e2e_db_url, **extra), tmp_path / "bot.log")
    await process.start(user)
    yield process
    if process.proc is not None:
        await process.terminate()
