"""Every series the alert rules and the dashboard name exists in a live /metrics.

The bot runs in this process as `diana-bot run --webhook` runs it (BotRuntime, its web
app on a real port, a SQLite file, the local Bot API standing in for Telegram and
posting to the webhook). An admin's update, a stranger's update and one sweeper round
go through it first, so the labelled and the histogram series exist; then /metrics is
read over HTTP.

Names are compared as scraped samples (``diana_updates_total``,
``diana_update_handling_seconds_bucket``), which is what Prometheus stores and what
PromQL selects: a rule naming ``diana_updates_count`` would share its base name with
``diana_updates_total`` and still match nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from diana_bot.composition import build_web
from diana_bot.config import load_settings
from diana_bot.metrics import Metrics
from diana_bot.runtime import BotRuntime
from diana_bot.web.server import start_site
from diana_devtools.localapi import BotApiUser, LocalBotApi
from tests.deploy.promql import (
    PROMETHEUS_OWN,
    dashboard_expressions,
    equality_matchers,
    load_dashboard,
    metric_names,
    rule_expressions,
    variable_metric_names,
)

TOKEN = "123456:" + "E" * 35
ADMIN = 1001
STRANGER = 2002
SECRET = "deploy-test-secret"


@dataclass
class Scrape:
    """One /metrics page: ``{sample name: [labels of each sample]}``."""

    samples: dict[str, list[dict[str, str]]]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        samples: dict[str, list[dict[str, str]]] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples.setdefault(sample.name, []).append(dict(sample.labels))
        return cls(samples)

    def value_of(self, text: str, name: str, **labels: str) -> float:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and dict(sample.labels) == labels:
                    return float(sample.value)
        raise AssertionError(f"{name}{labels} not scraped")


@pytest.fixture
async def metrics_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """The text of /metrics after two updates and one sweeper round."""
    api = LocalBotApi()
    await api.start()
    for user_id in (ADMIN, STRANGER):
        api.add_user(user_id)
    settings = load_settings(
        bot_token=TOKEN,
        admin_ids=str(ADMIN),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'diana.db'}",
        session_backend="sql",
        telegram_api_url=api.base_url,
        # One round at start, then none during the test.
        session_sweep_interval_seconds=3600,
    )
    runtime = BotRuntime(settings)
    # Told when the sweeper's round has been counted (observed, not replaced).
    swept = asyncio.Event()
    count_round = Metrics.on_sweep_round

    async def on_sweep_round(self: Metrics, expired: int, ok: bool) -> None:
        await count_round(self, expired, ok)
        swept.set()

    monkeypatch.setattr(Metrics, "on_sweep_round", on_sweep_round)
    try:
        await runtime.start()
        parts = runtime.running()
        site = await start_site(build_web(parts, webhook_secret=SECRET), "127.0.0.1", 0)
        try:
            port = site.addresses[0][1]
            base = f"http://127.0.0.1:{port}"
            await parts.bot.set_webhook(f"{base}{settings.webhook_path}", secret_token=SECRET)
            async with BotApiUser(api.base_url, timeout=60) as user:
                # Confirmed = the webhook answered 2xx, which it does once it handled it.
                for user_id in (ADMIN, STRANGER):
                    await user.wait_confirmed(await user.send_text(user_id, "/admin"))
            async with aiohttp.ClientSession() as http:
                try:
                    async with asyncio.timeout(60):
                        await swept.wait()
                except TimeoutError:
                    raise AssertionError(
                        "no sweeper round reached Metrics.on_sweep_round within 60 s"
                    ) from None
                async with http.get(f"{base}/metrics") as resp:
                    assert resp.status == 200
                    yield await resp.text()
        finally:
            await site.cleanup()
    finally:
        await runtime.stop()
        await api.stop()


async def test_every_series_the_rules_and_the_dashboard_name_is_exported(
    metrics_page: str,
) -> None:
    scrape = Scrape.parse(metrics_page)
    # What the two updates and the round did, so the page is the one we think it is.
    assert scrape.value_of(metrics_page, "diana_updates_total", outcome="ok") == 1
    assert scrape.value_of(metrics_page, "diana_updates_total", outcome="refused") == 1
    assert scrape.value_of(metrics_page, "diana_update_handling_seconds_count") == 1
    assert scrape.value_of(metrics_page, "diana_sweeper_runs_total") == 1
    assert scrape.samples["diana_sessions_open"], "no open-session series by type"

    used: dict[str, str] = {}  # series name -> where it is used
    expressions = {f"rule {k}": v for k, v in rule_expressions().items()}
    expressions |= {f"panel {k}": v for k, v in dashboard_expressions(load_dashboard()).items()}
    for where, expr in expressions.items():
        for name in metric_names(expr):
            used.setdefault(name, where)
    for name in variable_metric_names(load_dashboard()):
        used.setdefault(name, "dashboard variable")
    assert len(used) >= 10, used

    missing = {
        name: where
        for name, where in used.items()
        if name not in scrape.samples and name not in PROMETHEUS_OWN
    }
    assert missing == {}, f"named but not exported: {missing}"


async def test_every_label_value_the_rules_and_the_dashboard_match_is_exported(
    metrics_page: str,
) -> None:
    scrape = Scrape.parse(metrics_page)
    expressions = list(rule_expressions().values())
    expressions += dashboard_expressions(load_dashboard()).values()
    matchers = [m for expr in expressions for m in equality_matchers(expr)]
    assert any(m.label == "outcome" for m in matchers)
    for matcher in matchers:
        exported = {labels.get(matcher.label) for labels in scrape.samples[matcher.metric]}
        for value in matcher.values:
            assert value in exported, f"{matcher.metric}{{{matcher.label}={value!r}}}"
