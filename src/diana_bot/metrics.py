"""Prometheus metrics on an explicit registry (a fresh one per test)."""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from aiogram_durable import EVENT_KINDS, AuditEvent, SessionManager

log = structlog.get_logger(__name__)


class Metrics:
    """Every metric the bot exposes; see the README's metrics list."""

    def __init__(
        self, registry: CollectorRegistry | None = None, *, alert_threshold: int = 100
    ) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.sessions_open = Gauge(
            "diana_sessions_open", "Open admin sessions by type", ["type"], registry=r
        )
        self.session_events = Counter(
            "diana_session_events_total", "Session lifecycle events by kind", ["event"], registry=r
        )
        for kind in EVENT_KINDS:
            self.session_events.labels(kind)
        self.update_seconds = Histogram(
            "diana_update_handling_seconds",
            "Time to handle one Telegram update",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.updates = Counter(
            "diana_updates_total", "Updates handled, by outcome", ["outcome"], registry=r
        )
        # refused: not from an admin, or an admin outside the private chat; ignored: no
        # sender (nothing to answer). Neither touches the session store.
        for outcome in ("ok", "error", "unavailable", "refused", "ignored"):
            self.updates.labels(outcome)
        self.refusals_dropped = Counter(
            "diana_refusals_dropped_total",
            "Refusals not answered: each user gets at most one reply per minute",
            registry=r,
        )
        self.sweeper_runs = Counter("diana_sweeper_runs_total", "Sweeper rounds", registry=r)
        self.sweeper_errors = Counter(
            "diana_sweeper_errors_total", "Sweeper rounds that failed", registry=r
        )
        self.sweeper_expired = Counter(
            "diana_sweeper_expired_total", "Sessions expired by the sweeper", registry=r
        )
        self.alert_threshold = alert_threshold
        self.alert = Gauge(
            "diana_sessions_alert",
            "1 while open sessions exceed SESSION_ALERT_THRESHOLD",
            registry=r,
        )
        Gauge("diana_sessions_alert_threshold", "SESSION_ALERT_THRESHOLD", registry=r).set(
            alert_threshold
        )
        self._alerting = False

    def watch_reads(self, manager: SessionManager) -> None:
        """Expose ``manager.reads`` as ``diana_session_reads_total``."""
        self.registry.register(_SessionReads(manager))

    def on_event(self, event: AuditEvent) -> None:
        """SessionManager listener: count lifecycle events."""
        self.session_events.labels(event.event).inc()

    async def on_sweep_round(self, swept: int, ok: bool) -> None:
        """Sweeper hook: count rounds, errors and expiries."""
        self.sweeper_runs.inc()
        if not ok:
            self.sweeper_errors.inc()
        self.sweeper_expired.inc(swept)

    async def refresh(self, manager: SessionManager) -> int:
        """Read open-session counts into the gauges; warn once per threshold crossing."""
        counts = await manager.count_by_type()
        for name, count in counts.items():
            self.sessions_open.labels(name).set(count)
        total = sum(counts.values())
        over = total > self.alert_threshold
        if over and not self._alerting:
            log.warning(
                "sessions.alert_threshold_crossed",
                open_sessions=total,
                threshold=self.alert_threshold,
                by_type=counts,
            )
        elif not over and self._alerting:
            log.info("sessions.alert_cleared", open_sessions=total, threshold=self.alert_threshold)
        self._alerting = over
        self.alert.set(1 if over else 0)
        return total


class _SessionReads(Collector):
    """The session manager's read count, read at scrape time (no hook on the hot path)."""

    def __init__(self, manager: SessionManager) -> None:
        self.manager = manager

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(
            "diana_session_reads",
            "Session reads by key: at most one per update an admin sent",
            value=self.manager.reads,
        )
