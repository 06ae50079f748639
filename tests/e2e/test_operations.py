"""Operations end to end: webhook scale-out on two processes, SIGTERM, store outages,
metrics and health."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from functools import partial
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from aiogram_durable.schema import sessions as session_rows
from aiogram_durable.testing import PostgresServer, RedisServer, free_port
from diana_bot.db.models import ChannelRow, TariffRow
from diana_devtools.localapi import BotApiUser, LocalBotApi
from tests.support.botproc import ADMIN, OTHER_ADMIN, BotProcess, bot_env
from tests.support.chat import AdminChat
from tests.support.db import records, rows
from tests.support.proxy import RoundRobinProxy
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

VIP_ID = -1007777777777
SECRET = "s3cret-token_for-tests"


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, await resp.text()


async def _metric(port: int, name: str) -> float:
    _, body = await _get(f"http://127.0.0.1:{port}/metrics")
    for line in body.splitlines():
        if line.startswith((name + " ", name + "{")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.fixture(params=["postgresql", "redis"])
async def shared_backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """Environment for processes sharing PostgreSQL (sessions in SQL or in Redis)."""
    url = str(request.getfixturevalue("pg_url"))
    env = {"DATABASE_URL": url}
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        db = 40 + (hash(url) % 20)
        env.update({"SESSION_BACKEND": "redis", "REDIS_URL": redis.url(db)})
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(redis.url(db))
        await client.flushdb()
        await client.aclose()
    return env


async def test_two_webhook_processes_share_the_work(
    api: LocalBotApi, user: BotApiUser, shared_backend: dict[str, str], tmp_path: Path
) -> None:
    ports = [free_port(), free_port()]
    proxy = RoundRobinProxy([f"http://127.0.0.1:{p}/webhook" for p in ports])
    await proxy.start()
    procs = [
        BotProcess(
            bot_env(
                api.base_url,
                shared_backend["DATABASE_URL"],
                **shared_backend,
                WEBHOOK_URL=proxy.url,
                WEBHOOK_SECRET=SECRET,
                WEBHOOK_LISTEN_PORT=str(port),
                SESSION_TTL_SECONDS="3",
                SESSION_SWEEP_INTERVAL_SECONDS="0.2",
                # Only the first process migrates; the second waits for it.
                DATABASE_AUTO_MIGRATE="true" if i == 0 else "false",
            ),
            tmp_path / f"bot{i}.log",
            args=("run", "--webhook"),
            ready_method="setWebhook",
        )
        for i, port in enumerate(ports)
    ]
    try:
        await procs[0].start(user)
        await procs[1].start(user)
        api.add_channel(VIP_ID, "VIP")
        chat = AdminChat(user, ADMIN)
        # Every update alternates between the processes: each step's session is
        # written by one and read by the other.
        menu = await chat.send("/admin")
        config = await chat.press(menu, "⚙ Configuración Global")
        await chat.press(config, "➕ Añadir Canales")
        confirm = await chat.forward_channel(VIP_ID, "VIP")
        await chat.press(confirm, "✅ Confirmar")
        menu = await chat.send("/admin")
        vip = await chat.press(menu, "💎 VIP")
        tariffs = await chat.press(vip, "🏷 Gestionar Tarifas")
        await chat.press(tariffs, "➕ Crear Tarifa")
        assert "Paso 2" in (await chat.send("7")).text
        # The same update again lands on the other process: acknowledged, not applied
        # (neither twice nor to the duration step).
        shown = await chat.last()
        await chat.redeliver_last()
        assert proxy.sent[-1] != proxy.sent[-2]
        assert await chat.last() == shown
        assert "Paso 3" in (await chat.send("30")).text
        summary = await chat.send("Mes")
        # Both processes get a press of ✅ Confirmar: one creates, one finds it done.
        data = summary.button("✅ Confirmar").callback_data
        assert data is not None
        presses = await asyncio.gather(
            *(user.press(ADMIN, summary.message_id, data) for _ in range(2))
        )
        for sent in presses:
            assert sent.callback_query_id is not None
            await user.wait_callback_answer(sent.callback_query_id)
        created = await chat.last()
        listing = await chat.press(created, "🏷 Gestionar Tarifas")
        detail = await chat.press(listing, listing.buttons[0].text)
        await chat.press(detail, "📝 Editar Nombre")
        saved = await chat.send("Mes Plus")
        assert "✅ Guardado" in saved.text
        assert set(proxy.sent) == set(proxy.backends)

        url = shared_backend["DATABASE_URL"]
        assert len(await rows(url, select(ChannelRow))) == 1
        stored = await rows(url, select(TariffRow))
        assert [(t.name, str(t.price), t.duration_days) for t in stored] == [
            ("Mes Plus", "7.00", 30)
        ]
        # Both sweepers run; an expired flow is announced once.
        other = AdminChat(user, OTHER_ADMIN)
        menu = await other.send("/admin")
        config = await other.press(menu, "⚙ Configuración Global")
        await other.press(config, "➕ Añadir Canales")
        told = await user.wait_bot_message(OTHER_ADMIN, timeout=30)
        while "expiró" not in told.text:
            told = await user.wait_bot_message(OTHER_ADMIN, timeout=30)
        rounds = [await _metric(p, "diana_sweeper_runs_total") for p in ports]
        for port, seen in zip(ports, rounds, strict=True):
            await user.wait_until(partial(_more_rounds, port, seen), timeout=30)
        expired = [m for m in await user.messages(OTHER_ADMIN) if "expiró" in m.text]
        assert len(expired) == 1
        if shared_backend.get("SESSION_BACKEND") != "redis":
            assert await records(url, select(session_rows)) == []
    finally:
        for proc in procs:
            if proc.proc is not None:
                assert await proc.terminate() == 0, proc.tail()
        await proxy.stop()


async def _more_rounds(port: int, seen: float) -> bool:
    return await _metric(port, "diana_sweeper_runs_total") >= seen + 2


async def test_webhook_refuses_a_wrong_secret_and_serves_health_and_metrics(
    api: LocalBotApi, user: BotApiUser, pg_url: str, tmp_path: Path
) -> None:
    port = free_port()
    proc = BotProcess(
        bot_env(
            api.base_url,
            pg_url,
            WEBHOOK_URL=f"http://127.0.0.1:{port}/webhook",
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_LISTEN_PORT=str(port),
        ),
        tmp_path / "bot.log",
        args=("run", "--webhook"),
        ready_method="setWebhook",
    )
    await proc.start(user)
    try:
        hook = api.calls("setWebhook")[-1]
        assert hook.params["secret_token"] == SECRET
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": ADMIN, "type": "private"},
                "from": {"id": ADMIN, "is_bot": False, "first_name": "A"},
                "text": "/admin",
            },
        }
        hook_url = f"http://127.0.0.1:{port}/webhook"
        header = "X-Telegram-Bot-Api-Secret-Token"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {header: "wrong"}, {header: "clave-ñ"}):
                async with http.post(hook_url, json=update, headers=headers) as resp:
                    assert resp.status == 401
            right = {header: SECRET, "Content-Type": "application/json"}
            too_big = b'{"update_id": 2, "x": "' + b"a" * (1024 * 1024) + b'"}'
            for raw, status in ((too_big, 413), (b"not json", 400), (b'{"x": 1}', 400)):
                async with http.post(hook_url, data=io.BytesIO(raw), headers=right) as resp:
                    assert resp.status == status, raw[:20]
        assert api.calls("sendMessage") == []  # nothing was done
        assert "Traceback" not in proc.log_path.read_text()
        assert await _get(f"http://127.0.0.1:{port}/health/live") == (200, '{"status": "ok"}')
        status, body = await _get(f"http://127.0.0.1:{port}/health/ready")
        assert status == 200 and '"database": "ok"' in body
        _, metrics = await _get(f"http://127.0.0.1:{port}/metrics")
        for name in (
            "diana_sessions_open",
            "diana_session_events_total",
            "diana_update_handling_seconds",
            "diana_sweeper_runs_total",
            "diana_sweeper_errors_total",
            "diana_sessions_alert",
        ):
            assert name in metrics
    finally:
        assert await proc.terminate() == 0


async def test_sigterm_finishes_the_update_in_hand(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    menu = await chat.send("/admin")
    config = await chat.press(menu, "⚙ Configuración Global")
    gate = api.hold("editMessageText")
    mark = await user.mark()
    await chat.press_only(config, "➕ Añadir Canales")
    await user.wait_event(kinds=["request_received"], method="editMessageText", after=mark)
    assert bot.proc is not None
    bot.proc.terminate()  # SIGTERM while the update is in hand
    gate.set()
    assert await bot.terminate_wait() == 0
    shown = await chat.last()
    assert "Paso 1 de 2" in shown.text
    sessions = await records(e2e_db_url, select(session_rows))
    assert [(s.session_type, s.current_step) for s in sessions] == [
        ("channel_registration", "ref"),
    ]


@pytest.mark.parametrize("down", ["postgresql", "redis"])
async def test_store_outage_answers_try_again_and_recovers(
    api: LocalBotApi, user: BotApiUser, tmp_path: Path, down: str
) -> None:
    # Servers of this test's own: stopping them must not disturb other tests.
    pg = PostgresServer().start()
    redis = RedisServer(persistent=True).start() if down == "redis" else None
    metrics_port = free_port()
    extra = {"METRICS_PORT": str(metrics_port)}
    if redis is not None:
        extra.update({"SESSION_BACKEND": "redis", "REDIS_URL": redis.url(0)})
    proc = BotProcess(
        bot_env(api.base_url, pg.create_database("outage"), **extra), tmp_path / "bot.log"
    )
    try:
        await proc.start(user)
        api.add_channel(VIP_ID, "VIP")
        chat = AdminChat(user, ADMIN)
        menu = await chat.send("/admin")
        config = await chat.press(menu, "⚙ Configuración Global")
        await chat.press(config, "➕ Añadir Canales")
        ready = f"http://127.0.0.1:{metrics_port}/health/ready"
        assert (await _get(ready))[0] == 200

        server = redis if redis is not None else pg
        server.stop()
        unavailable = await chat.send("-1007777777777")
        assert "no disponible temporalmente" in unavailable.text
        status, body = await _get(ready)
        assert status == 503
        # What is down, by name; not the exception's text (hosts, users, databases).
        expected = ["sessions"] if down == "redis" else ["database", "sessions"]
        assert json.loads(body)["down"] == expected
        assert "127.0.0.1" not in body and "postgres" not in body and "Error" not in body
        sent = await user.send_text(ADMIN, "/admin")  # the bot is still polling
        again = await user.wait_bot_message(ADMIN, after=sent.seq)
        assert "no disponible temporalmente" in again.text

        server.start()
        await user.wait_until(lambda: _is_ready(ready), timeout=60)
        # The open session survived: the same step continues.
        confirm = await chat.forward_channel(VIP_ID, "VIP")
        assert "Paso 2 de 2" in confirm.text
        done = await chat.press(confirm, "✅ Confirmar")
        assert "registrado" in done.text
        assert await _metric(metrics_port, 'diana_updates_total{outcome="unavailable"}') >= 2
    finally:
        if proc.proc is not None:
            await proc.terminate()
        pg.cleanup()
        if redis is not None:
            redis.cleanup()


async def _is_ready(url: str) -> bool:
    return (await _get(url))[0] == 200


async def test_a_busy_metrics_port_never_stops_the_bot(
    api: LocalBotApi, user: BotApiUser, e2e_db_url: str, tmp_path: Path
) -> None:
    # What a deploy does: the old process still holds the port when the new one starts.
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    proc = BotProcess(
        bot_env(api.base_url, e2e_db_url, METRICS_PORT=str(port)), tmp_path / "bot.log"
    )
    try:
        await proc.start(user)
        menu = await AdminChat(user, ADMIN).send("/admin")
        assert "Panel" in menu.text or menu.buttons  # updates are handled meanwhile
        log = proc.log_path.read_text()
        [busy] = [line for line in log.splitlines() if "web.port_busy" in line]
        assert str(port) in busy
        holder.close()  # the old process goes away
        await eventually(lambda: "web.listening" in proc.log_path.read_text(), "bound")
        [bound] = [
            line for line in proc.log_path.read_text().splitlines() if "web.listening" in line
        ]
        assert str(port) in bound
        assert await _get(f"http://127.0.0.1:{port}/health/live") == (200, '{"status": "ok"}')
        assert proc.log_path.read_text().count("web.port_busy") == 1  # one warning, not one per try
    finally:
        holder.close()
        if proc.proc is not None:
            assert await proc.terminate() == 0, proc.tail()
