"""What the alert rules and the dashboard ask Prometheus for: their PromQL, the metric
names in it and the label values they match on."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "diana-rules.yml"
RULE_TESTS = DEPLOY / "prometheus" / "diana-rules.test.yml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "diana-bot.json"

# Series Prometheus makes itself for every target, not the bot.
PROMETHEUS_OWN = frozenset({"up"})
# Labels of the scrape target, not of the bot's series.
TARGET_LABELS = frozenset({"job", "instance"})

_KEYWORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "inf",
        "nan",
    }
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GROUPING = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE
)
_IDENT = re.compile(r"(?<![\w.:])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])(?!\s*\()")
_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}")
_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_LABEL_VALUES = re.compile(r"label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)")


@dataclass(frozen=True)
class Matcher:
    """``metric{label="value"}`` (or ``=~"a|b"``) in an expression."""

    metric: str
    label: str
    values: tuple[str, ...]


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression selects (not functions, keywords or labels)."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = _GROUPING.sub(" ", text)
    text = re.sub(r"\boffset\s+\w+", " ", text)
    return {
        name
        for name in _IDENT.findall(text)
        if name.lower() not in _KEYWORDS and not name.startswith("$")
    }


def equality_matchers(expr: str) -> list[Matcher]:
    """Matchers that name label values (``=`` and plain ``=~"a|b"``), not target labels
    or Grafana variables."""
    found: list[Matcher] = []
    for metric, body in _SELECTOR.findall(expr):
        for label, op, value in _MATCHER.findall(body):
            if label in TARGET_LABELS or "$" in value or op not in ("=", "=~"):
                continue
            values = tuple(value.split("|")) if op == "=~" else (value,)
            if all(re.fullmatch(r"[\w.+-]+", v) for v in values):
                found.append(Matcher(metric, label, values))
    return found


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def rule_expressions() -> dict[str, str]:
    """``{alert name: expr}`` of every rule in the rules file."""
    doc = load_yaml(RULES)
    return {
        str(rule.get("alert") or rule.get("record")): str(rule["expr"])
        for group in doc["groups"]
        for rule in group["rules"]
    }


def load_dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def dashboard_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, those inside collapsed rows included."""
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def dashboard_expressions(dashboard: dict[str, Any]) -> dict[str, str]:
    """``{"panel title/refId": expr}`` of every query of every panel."""
    return {
        f"{panel['title']}/{target['refId']}": str(target["expr"])
        for panel in dashboard_panels(dashboard)
        for target in panel.get("targets", [])
    }


def variable_metric_names(dashboard: dict[str, Any]) -> set[str]:
    """The metrics the dashboard's variables read their values from (label_values)."""
    names: set[str] = set()
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        names.update(_LABEL_VALUES.findall(text))
    return names


def as_prometheus_expr(expr: str) -> str:
    """A dashboard query as Prometheus would receive it: Grafana's variables filled in."""
    expr = re.sub(r"\$__\w+|\$\{__\w+\}", "5m", expr)
    return re.sub(r"\$\{\w+\}|\$\w+", ".*", expr)
