"""The `/_test` routes and the Bot API routes refuse what another web site could send.

A page on another origin can make the browser POST ``text/plain`` or a form to any
address without a CORS preflight; these tests send exactly that and check that the
world did not change. Clients without an Origin (the tests' `BotApiUser`, aiogram)
keep working.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from diana_devtools.localapi import BotApiUser, LocalBotApi

TOKEN = "123456:TEST-token_abc"
USER = 42
SEND_TEXT = '{"user_id": 42, "text": "hola"}'


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    server = LocalBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def port_of(api: LocalBotApi) -> int:
    return int(api.base_url.rsplit(":", 1)[1])


def unchanged(api: LocalBotApi, seq: int) -> bool:
    world = api.world
    return world.seq == seq and not world.queue and not world.messages(USER, include_user=True)


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        # What a foreign page's form or no-cors fetch sends.
        ({"Origin": "http://evil.example", "Content-Type": "text/plain"}, SEND_TEXT, 403),
        ({"Origin": "http://evil.example", "Content-Type": "application/json"}, SEND_TEXT, 403),
        ({"Origin": "null", "Content-Type": "application/json"}, SEND_TEXT, 403),
        (
            {"Origin": "http://127.0.0.1.nip.io:{port}", "Content-Type": "application/json"},
            SEND_TEXT,
            403,
        ),
        (
            {"Origin": "http://127.0.0.1:{other}", "Content-Type": "application/json"},
            SEND_TEXT,
            403,
        ),
        ({"Content-Type": "text/plain"}, SEND_TEXT, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "user_id=42&text=hola", 415),
        ({"Origin": "http://127.0.0.1:{port}", "Content-Type": "text/plain"}, SEND_TEXT, 415),
    ],
)
async def test_cross_site_and_non_json_posts_change_nothing(
    api: LocalBotApi,
    http: aiohttp.ClientSession,
    headers: dict[str, str],
    body: str,
    status: int,
) -> None:
    port = port_of(api)
    sent = {k: v.format(port=port, other=port + 1) for k, v in headers.items()}
    seq = api.world.seq
    for name in ("send_text", "users", "reset", "fail"):
        url = f"{api.base_url}/_test/{name}?user_id={USER}&method=getMe"
        async with http.post(url, data=body, headers=sent) as response:
            assert response.status == status, name
            assert (await response.json())["ok"] is False
    assert unchanged(api, seq) and USER not in api.world.users


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{port}", "http://localhost:{port}"])
async def test_json_from_its_own_origin_is_taken(
    api: LocalBotApi, http: aiohttp.ClientSession, origin: str
) -> None:
    headers = {"Origin": origin.format(port=port_of(api))}
    url = f"{api.base_url}/_test/send_text"
    async with http.post(url, json={"user_id": USER, "text": "hola"}, headers=headers) as r:
        assert r.status == 200, await r.text()
    [message] = api.world.messages(USER, include_user=True)
    assert message.text == "hola"


async def test_the_client_without_an_origin_is_taken(api: LocalBotApi) -> None:
    async with BotApiUser(api.base_url, timeout=5.0) as user:
        await user.send_text(USER, "hola")
        await user.reset()
    assert api.world.seq > 0 and not api.world.queue


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        # An <img> or <form method=get> of another site: no Origin, but marked as such.
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
async def test_bot_methods_refuse_other_sites(
    api: LocalBotApi, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    api.world.add_user(USER)
    seq = api.world.seq
    url = f"{api.base_url}/bot{TOKEN}/sendMessage?chat_id={USER}&text=hi"
    for method in ("GET", "POST"):
        async with http.request(method, url, headers=headers) as response:
            assert response.status == 403, method
            assert (await response.json())["error_code"] == 403
    assert api.world.seq == seq and api.requests == []
    async with http.post(f"{api.base_url}/bot{TOKEN}/getMe", data={"x": "1"}) as response:
        assert response.status == 200  # the bot's own form posts, no Origin


@pytest.mark.parametrize("host", ["127.0.0.1.nip.io:{port}", "evil.example", "127.0.0.2:{port}"])
async def test_a_foreign_host_is_refused_everywhere(
    api: LocalBotApi, http: aiohttp.ClientSession, host: str
) -> None:
    # DNS rebinding: another site's name, resolved to 127.0.0.1, is same-origin to it.
    headers = {"Host": host.format(port=port_of(api))}
    api.world.add_user(USER)
    seq = api.world.seq
    for method, path in (
        ("GET", "/_test/state"),
        ("POST", "/_test/reset"),
        ("GET", f"/bot{TOKEN}/getMe"),
    ):
        async with http.request(method, f"{api.base_url}{path}", headers=headers) as response:
            assert response.status == 403, path
            assert "Host" in (await response.json())["description"]
    assert api.world.seq == seq and api.requests == []
    localhost = {"Host": f"localhost:{port_of(api)}"}
    async with http.get(f"{api.base_url}/bot{TOKEN}/getMe", headers=localhost) as response:
        assert response.status == 200
