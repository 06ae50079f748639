"""The compose file, the Dockerfile and the Caddyfile, as far as they can be checked
without a Docker daemon (none on the machines the tests run on: no image is built or
pulled here, see the README's "Deployment")."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from diana_bot.cli import main as cli
from diana_bot.composition import build_container
from diana_bot.config import load_settings
from diana_bot.metrics import Metrics
from diana_bot.web.server import build_web_app, start_site
from tests.deploy.deployfiles import (
    CADDYFILE,
    DOCKERFILE,
    bot_services,
    compose,
    dockerfile_instruction,
    service_environment,
)
from tests.deploy.promql import ROOT

DOCKERIGNORE = DOCKERFILE.with_name(DOCKERFILE.name + ".dockerignore")


def _uses_database(service: dict[str, Any]) -> bool:
    return "DATABASE_URL" in service_environment(service)


def _healthcheck_url(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    text = " ".join(test) if isinstance(test, list) else test
    match = re.search(r"https?://[^'\"\s]+", text)
    assert match, text
    return match.group(0)


def test_the_schema_is_migrated_once_before_any_bot_process() -> None:
    doc = compose()
    services = doc["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate.get("restart") == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    users = {name: s for name, s in services.items() if name != "migrate" and _uses_database(s)}
    assert set(users) == {"bot"}
    for name, service in users.items():
        assert service["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
        assert service_environment(service)["DATABASE_AUTO_MIGRATE"] == "false", name
    assert cli(["migrate", "--help"]) == 0


def test_several_webhook_processes_on_postgresql_and_redis() -> None:
    services = compose()["services"]
    bot = services["bot"]
    assert bot["command"] == ["run", "--webhook"]
    assert cli(["run", "--webhook", "--help"]) == 0
    assert bot["deploy"]["replicas"] >= 2
    env = service_environment(bot)
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert urlsplit(env["DATABASE_URL"]).hostname == "postgres"
    assert env["SESSION_BACKEND"] == "redis"
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"
    # Another container must reach it: every interface of its own network namespace.
    assert env["WEBHOOK_LISTEN_HOST"] == "0.0.0.0"  # noqa: S104
    for store in ("postgres", "redis"):
        assert bot["depends_on"][store]["condition"] == "service_healthy"
        assert services[store]["healthcheck"]["test"]
    # SIGTERM finishes the updates in hand (up to 30 s) before compose kills it.
    assert int(bot["stop_grace_period"].removesuffix("s")) > 30


def test_redis_persists_sessions_in_an_append_only_file() -> None:
    redis = compose()["services"]["redis"]
    command = redis["command"]
    flags = dict(zip(command[1::2], command[2::2], strict=True))
    assert command[0] == "redis-server"
    assert flags["--appendonly"] == "yes"
    assert flags["--appendfsync"] == "everysec"
    assert any(v.endswith(":/data") for v in redis["volumes"])


def test_the_bot_health_check_asks_readiness_on_the_webhook_port() -> None:
    for name, service in bot_services(compose()).items():
        if "healthcheck" not in service:
            assert name == "migrate"  # a one-shot job has nothing to check
            continue
        url = urlsplit(_healthcheck_url(service))
        assert url.path == "/health/ready", name
        assert str(url.port) == service_environment(service)["WEBHOOK_LISTEN_PORT"], name


@pytest.fixture
async def web_base_url(tmp_path: Path) -> AsyncIterator[str]:
    """The bot's web app (as webhook mode serves it, less the webhook) on a real port,
    over a real container on a SQLite file."""
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'diana.db'}", session_backend="sql"
    )
    container = await build_container(settings)
    try:
        site = await start_site(build_web_app(container, Metrics()), "127.0.0.1", 0)
        try:
            yield f"http://127.0.0.1:{site.addresses[0][1]}"
        finally:
            await site.cleanup()
    finally:
        await container.close()


async def test_the_health_check_paths_are_served(web_base_url: str) -> None:
    """Every path a health check asks is a route of the web app that answers 200 when
    the stores are up (and 404 is what an unknown path gets)."""
    paths = {
        urlsplit(_healthcheck_url(s)).path
        for s in compose()["services"].values()
        if "healthcheck" in s and "http" in json.dumps(s["healthcheck"])
    }
    assert paths == {"/health/ready"}
    async with aiohttp.ClientSession() as http:
        for path in paths:
            async with http.get(web_base_url + path) as resp:
                assert resp.status == 200, (path, await resp.text())
        async with http.get(web_base_url + "/health/readyz") as resp:
            assert resp.status == 404


def test_the_image_is_python_3_11_slim_unprivileged_with_both_packages() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert dockerfile_instruction("FROM") == "${PYTHON_IMAGE}"
    user = dockerfile_instruction("USER").split(":")[0]
    assert user.isdigit() and int(user) != 0
    # As scripts/bootstrap: the hash-pinned runtime lock, then the local session library
    # and the bot without dependencies, and pip check.
    lock = "pip install --require-hashes --only-binary :all: -r requirements/runtime.lock"
    locals_ = "pip install --no-deps --no-build-isolation ./packages/aiogram-durable ."
    assert lock in text
    assert locals_ in text
    assert text.index(lock) < text.index(locals_) < text.index("bin/pip check")
    # The entrypoint is the console script the bot's distribution declares.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    entrypoint = json.loads(dockerfile_instruction("ENTRYPOINT"))
    assert entrypoint == ["diana-bot"]
    assert "diana-bot" in pyproject["project"]["scripts"]
    assert json.loads(dockerfile_instruction("CMD")) == ["run"]


def test_the_build_context_holds_what_the_image_copies() -> None:
    """Each COPY source exists, and the .dockerignore next to the Dockerfile (an
    allow-list) lets it through."""
    rules = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    sources = [
        source
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") in allowed, source


def test_the_compose_file_builds_the_image_from_the_repository() -> None:
    compose_dir = Path(__file__).resolve().parents[2] / "deploy"
    for name, service in bot_services(compose()).items():
        build = service["build"]
        assert (compose_dir / build["context"]).resolve() == ROOT, name
        assert (compose_dir / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_the_proxy_sends_the_webhook_to_every_bot_replica() -> None:
    services = compose()["services"]
    bot_env = service_environment(services["bot"])
    text = CADDYFILE.read_text(encoding="utf-8")
    upstream = re.search(r"dynamic a (\S+) (\d+)", text)
    assert upstream is not None
    assert upstream.group(1) == "bot"
    assert upstream.group(2) == bot_env["WEBHOOK_LISTEN_PORT"]
    assert f"handle {bot_env['WEBHOOK_PATH']} {{" in text
    assert urlsplit(bot_env["WEBHOOK_URL"]).path == bot_env["WEBHOOK_PATH"]
    proxy = services["proxy"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert proxy["depends_on"]["bot"]["condition"] == "service_healthy"


def _caddy_validate(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("caddy")
    assert exe is not None, "caddy is missing: run scripts/system-deps"
    env = {
        **os.environ,
        "DIANA_DOMAIN": "bot.example.com",
        # Caddy keeps its state under the home directory: a throwaway one.
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    return subprocess.run(
        [exe, "validate", "--adapter", "caddyfile", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_the_caddyfile_is_valid(tmp_path: Path) -> None:
    result = _caddy_validate(CADDYFILE, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
    broken = tmp_path / "Caddyfile"
    broken.write_text(CADDYFILE.read_text().replace("round_robin", "round_robbin"))
    assert _caddy_validate(broken, tmp_path).returncode != 0
