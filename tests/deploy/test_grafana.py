"""The Grafana dashboard: provisionable as a file, on any Prometheus data source, and
showing what an operator of the bot looks at."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from tests.deploy.promql import (
    DEPLOY,
    dashboard_expressions,
    dashboard_panels,
    load_dashboard,
    load_yaml,
    metric_names,
)

PROVIDER = DEPLOY / "grafana" / "provisioning" / "dashboards" / "diana-bot.yaml"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def _queried(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard_panels(dashboard) if p["type"] != "row"]


def test_the_dashboard_is_a_file_grafana_provisions_as_is() -> None:
    dashboard = load_dashboard()
    # "__inputs" only works through the import dialog; a provisioned file has no id.
    assert "__inputs" not in dashboard
    assert dashboard["id"] is None
    assert dashboard["uid"] == "diana-bot" and dashboard["title"]
    provider = load_yaml(PROVIDER)
    assert provider["apiVersion"] == 1
    [entry] = provider["providers"]
    assert entry["type"] == "file" and entry["options"]["path"]


def test_every_query_runs_on_the_chosen_prometheus_data_source() -> None:
    dashboard = load_dashboard()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    source = variables["datasource"]
    assert source["type"] == "datasource" and source["query"] == "prometheus"
    for name in ("job", "instance"):
        assert variables[name]["datasource"] == DATASOURCE, name
    panels = _queried(dashboard)
    assert panels
    for panel in panels:
        assert panel["datasource"] == DATASOURCE, panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]
            # Every query is narrowed to the chosen job and processes.
            assert 'job=~"$job"' in target["expr"], (panel["title"], target["refId"])
            assert 'instance=~"$instance"' in target["expr"], (panel["title"], target["refId"])


def test_panels_have_unique_ids_and_do_not_overlap() -> None:
    panels = dashboard_panels(load_dashboard())
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    boxes = [(p["title"], p["gridPos"]) for p in panels]
    for _, pos in boxes:
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24 and pos["h"] > 0
    for (a, pa), (b, pb) in combinations(boxes, 2):
        apart = (
            pa["x"] + pa["w"] <= pb["x"]
            or pb["x"] + pb["w"] <= pa["x"]
            or pa["y"] + pa["h"] <= pb["y"]
            or pb["y"] + pb["h"] <= pa["y"]
        )
        assert apart, f"{a!r} overlaps {b!r}"


def test_the_dashboard_shows_updates_latency_sessions_sweeper_and_refusals() -> None:
    queries = dashboard_expressions(load_dashboard())
    joined = "\n".join(queries.values())
    # Updates per second by outcome.
    assert any("sum by (outcome) (rate(diana_updates_total" in q for q in queries.values()), joined
    # Update latency quantiles from the histogram.
    quantiles = [
        q for q in queries.values() if q.startswith("histogram_quantile(") and "_bucket" in q
    ]
    assert {q.split(",")[0] for q in quantiles} >= {
        "histogram_quantile(0.5",
        "histogram_quantile(0.9",
        "histogram_quantile(0.99",
    }
    # Open sessions by type.
    assert any("by (type) (diana_sessions_open" in q for q in queries.values()), joined
    names = set().union(*(metric_names(q) for q in queries.values()))
    assert {
        "diana_sweeper_runs_total",
        "diana_sweeper_errors_total",
        "diana_sweeper_expired_total",
        "diana_refusals_dropped_total",
        "diana_sessions_alert",
        "diana_sessions_alert_threshold",
    } <= names
    assert any('outcome="refused"' in q for q in queries.values()), joined
