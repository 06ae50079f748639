"""The alert rules and the dashboard's queries, checked by Prometheus's own promtool.

promtool comes from Debian's prometheus package (scripts/system-deps installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.promql import (
    PROMETHEUS_CONFIG,
    RULE_TESTS,
    RULES,
    as_prometheus_expr,
    dashboard_expressions,
    equality_matchers,
    load_dashboard,
    load_yaml,
    metric_names,
    rule_expressions,
)


def promtool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool")
    assert exe is not None, "promtool is missing: run scripts/system-deps"
    return subprocess.run(
        [exe, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def _rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(RULES)["groups"] for rule in group["rules"]]


def test_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", RULES)
    _ok(result)
    assert f"SUCCESS: {len(_rules())} rules found" in result.stdout


def test_rules_pass_their_unit_tests() -> None:
    _ok(promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent))


def test_the_unit_tests_catch_a_weakened_rule(tmp_path: Path) -> None:
    """The same unit tests fail on rules that fire too early, too late or never."""
    original = RULES.read_text(encoding="utf-8")
    for old, new in (
        ("for: 15m", "for: 1m"),  # the sessions alert fires before its time
        ('outcome="unavailable"}[5m]', 'outcome="refused"}[5m]'),  # the wrong outcome
        ("min_over_time(up{", "max_over_time(up{"),  # a process that was down counts
    ):
        assert old in original
        (tmp_path / RULES.name).write_text(original.replace(old, new), encoding="utf-8")
        shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
        result = promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path)
        assert result.returncode != 0, f"the unit tests pass with {new!r} instead of {old!r}"
        assert "FAILED" in result.stdout + result.stderr


def test_every_alert_has_a_duration_a_severity_and_what_to_do() -> None:
    rules = _rules()
    assert rules
    for rule in rules:
        name = rule["alert"]
        assert rule.get("for"), f"{name}: no for:"
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), name
        annotations = rule["annotations"]
        assert annotations["summary"].strip() and annotations["description"].strip(), name


def test_every_alert_is_unit_tested_firing_and_quiet() -> None:
    """Each alert has a unit test where it fires and one where it must not."""
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in load_yaml(RULE_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    alerts = {rule["alert"] for rule in _rules()}
    assert alerts - firing == set(), "never shown to fire"
    assert alerts - quiet == set(), "never shown to stay quiet"


def test_the_example_prometheus_config_loads_the_rules() -> None:
    config = load_yaml(PROMETHEUS_CONFIG)
    assert RULES.name in config["rule_files"]
    # The job name the rules' `up` selectors expect.
    assert [job["job_name"] for job in config["scrape_configs"]] == ["diana-bot"]
    result = promtool("check", "config", PROMETHEUS_CONFIG.name, cwd=PROMETHEUS_CONFIG.parent)
    _ok(result)
    assert "SUCCESS" in result.stdout


def test_up_is_selected_by_the_scrape_job_of_the_example_config() -> None:
    for name, expr in rule_expressions().items():
        if "up" in metric_names(expr):
            assert 'up{job="diana-bot"}' in expr, name


def test_the_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Each query, with Grafana's variables filled in, parsed by promtool (as a
    recording rule, the one way promtool parses an expression without a server)."""
    queries = dashboard_expressions(load_dashboard())
    assert len(queries) >= 10
    rules = [
        {"record": f"dashboard:query_{i}", "expr": as_prometheus_expr(expr)}
        for i, expr in enumerate(queries.values())
    ]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    _ok(promtool("check", "rules", path))
    # And the same check refuses a broken query.
    rules.append({"record": "dashboard:broken", "expr": "sum(rate(diana_updates_total[5m])"})
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert promtool("check", "rules", path).returncode != 0


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            'sum by (job, instance) (increase(diana_updates_total{outcome="error"}[10m])) >= 3',
            {"diana_updates_total"},
        ),
        (
            "histogram_quantile(0.99, sum by (le) (rate(diana_update_handling_seconds_bucket"
            '{job=~"$job"}[$__rate_interval])))',
            {"diana_update_handling_seconds_bucket"},
        ),
        (
            "x_total / on (instance) group_left y and on (job) (up offset 30m) == 1 "
            "or vector(1) unless z bool > inf",
            {"x_total", "y", "up", "z"},
        ),
    ],
)
def test_metric_names_are_read_from_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_label_values_are_read_from_matchers() -> None:
    expr = (
        'rate(diana_updates_total{job="diana-bot", outcome=~"ok|error"}[5m])'
        ' + diana_x{instance=~"$instance", type="tariff"}'
    )
    found = {(m.metric, m.label, m.values) for m in equality_matchers(expr)}
    assert found == {
        ("diana_updates_total", "outcome", ("ok", "error")),
        ("diana_x", "type", ("tariff",)),
    }
