"""Charts of a run, drawn from the JSON results alone (so ``--from-json`` redraws them).

PNG files, written next to the report:

* ``dispatch_throughput.png``: updates per second per Dispatcher configuration,
  sequential and concurrent; bars at the median, error bars from the slowest to the
  fastest run.
* ``store_step_latency.png``: store-step p50 and p99 per backend (median, min–max over
  the runs, each run as a dot) and one bare round trip where the store has a server.
* ``sweep_time.png``: sweep time against stored sessions (log–log), one line per
  backend; the bare ``DELETE`` baseline dashed when the results have it.
* ``sweep_latency_timeline.png``: each store step's latency against its arrival time,
  before and during the sweep of the largest size, when the results keep the steps.

A chart whose figures are not in the results is skipped. Drawn on Agg through
``Figure`` (no pyplot): nothing interactive, no global state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from bench.report import round_trips_cell

Results = dict[str, Any]

DISPATCH = "dispatch_throughput.png"
STORE_STEP = "store_step_latency.png"
SWEEP_TIME = "sweep_time.png"
SWEEP_TIMELINE = "sweep_latency_timeline.png"

# One colour per backend across charts, so a backend reads the same everywhere.
_COLOURS = {
    "memory": "tab:gray",
    "sqlite": "tab:blue",
    "postgresql": "tab:green",
    "redis": "tab:red",
}
_MODE_COLOURS = {"sequential": "tab:blue", "concurrent": "tab:orange"}
_DPI = 110


def _machine_line(results: Results) -> str:
    """``2 cores (CPU model), 2026-12-04``: what every chart's title ends with."""
    meta = results.get("meta", {})
    machine = meta.get("machine", {})
    cores = machine.get("cores (os.cpu_count)", "?")
    cpu = str(machine.get("cpu", "")).strip()
    started = str(meta.get("started", "date unknown"))
    date = started.split(" ", 1)[0] if started else "date unknown"
    return f"{cores} cores{f' ({cpu})' if cpu and cpu != 'unknown' else ''}, run of {date}"


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    # No date in the metadata: the same results give the same file.
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def _spread(summary: dict[str, Any]) -> tuple[float, float, float]:
    """``(median, below, above)``: the median and its distances to the min and max."""
    median = float(summary["median"])
    return median, median - float(summary["low"]), float(summary["high"]) - median


def _title(ax: Axes | Figure, text: str, results: Results) -> None:
    line = f"{text}\n{_machine_line(results)}"
    if isinstance(ax, Figure):
        ax.suptitle(line)
    else:
        ax.set_title(line)


# -- (a) Dispatcher throughput ---------------------------------------------------------


def _config_label(config: dict[str, Any]) -> str:
    name = str(config["name"])
    counted = round_trips_cell(config.get("round_trips"))
    return name if counted == "–" else f"{name}\n{counted} round trips / update"


def dispatch_chart(results: Results, out: Path) -> Path | None:
    """Updates per second per configuration, both modes (``None`` without the section)."""
    dispatch = results.get("dispatch") or {}
    configs = [
        c
        for c in dispatch.get("configs", [])
        if any("updates_per_second" in (c.get(m) or {}) for m in _MODE_COLOURS)
    ]
    if not configs:
        return None
    concurrency = dispatch.get("concurrency", "?")
    labels = {"sequential": "sequential", "concurrent": f"{concurrency} concurrent admins"}
    fig = _figure(10, 1.1 * len(configs) + 2.2)
    ax = fig.add_subplot()
    height = 0.38
    # Top to bottom in the report's order.
    positions = list(range(len(configs)))[::-1]
    for offset, mode in ((height / 2, "sequential"), (-height / 2, "concurrent")):
        ys: list[float] = []
        medians: list[float] = []
        below: list[float] = []
        above: list[float] = []
        for y, config in zip(positions, configs, strict=True):
            summary = (config.get(mode) or {}).get("updates_per_second")
            if summary is None:
                continue
            median, lo, hi = _spread(summary)
            ys.append(y + offset)
            medians.append(median)
            below.append(lo)
            above.append(hi)
        if not ys:
            continue
        ax.barh(
            ys,
            medians,
            height=height,
            xerr=[below, above],
            capsize=3,
            color=_MODE_COLOURS[mode],
            label=labels[mode],
        )
        for bar_y, median, hi in zip(ys, medians, above, strict=True):
            # Past the error bar's end, so the number is not drawn over it.
            ax.annotate(
                f"{median:,.0f}",
                (median + hi, bar_y),
                xytext=(4, -3 if offset > 0 else 3),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
    ax.set_yticks(positions, [_config_label(c) for c in configs], fontsize=8)
    ax.set_xlabel("updates per second (median of the runs; error bar: min–max)")
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_xlim(left=0)
    ax.margins(x=0.15)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    admins = dispatch.get("admins")
    what = f"{admins:,} admins × 4 updates per pass" if isinstance(admins, int) else ""
    _title(ax, f"Updates through aiogram's Dispatcher ({what})", results)
    return _save(fig, out / DISPATCH)


# -- (b) store-step latency ------------------------------------------------------------


def store_step_chart(results: Results, out: Path) -> Path | None:
    """p50 and p99 of the store step per backend (``None`` without the section)."""
    backends = [b for b in (results.get("store_step") or {}).get("backends", []) if "p50_us" in b]
    if not backends:
        return None
    fig = _figure(9, 5.5)
    ax = fig.add_subplot()
    series = (
        ("p50_us", "p50", "o", -0.15),
        ("p99_us", "p99", "^", 0.15),
    )
    for x, entry in enumerate(backends):
        colour = _COLOURS.get(entry["backend"], "tab:purple")
        for key, name, marker, dx in series:
            if key not in entry:
                continue
            median, lo, hi = _spread(entry[key])
            ax.errorbar(
                [x + dx],
                [median],
                yerr=[[lo], [hi]],
                fmt=marker,
                color=colour,
                markersize=8,
                capsize=4,
                label=f"{name} (median, min–max)" if x == 0 else None,
            )
            runs = [r[key] for r in entry.get("runs", []) if key in r]
            ax.scatter([x + dx + 0.06] * len(runs), runs, s=10, color=colour, alpha=0.45, zorder=3)
            ax.annotate(
                f"{median:,.0f}",
                (x + dx, median),
                xytext=(-8, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                fontsize=8,
            )
        if "round_trip_p50_us" in entry:
            rt = float(entry["round_trip_p50_us"]["median"])
            ax.hlines(rt, x - 0.3, x + 0.3, colors="black", linestyles="dotted")
            ax.annotate(
                f"one bare round trip {rt:,.0f}",
                (x + 0.3, rt),
                xytext=(0, -10),
                textcoords="offset points",
                ha="right",
                fontsize=7,
            )
    ax.set_xticks(range(len(backends)), [b["backend"] for b in backends])
    ax.set_xlim(-0.6, len(backends) - 0.4)
    ax.set_yscale("log")
    ax.set_ylabel("latency of one get + save (µs, log scale)")
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    steps = (results.get("store_step") or {}).get("steps_per_run")
    per_run = f", {steps:,} steps per run; dots: each run" if isinstance(steps, int) else ""
    _title(ax, f"Store step latency per backend{per_run}", results)
    return _save(fig, out / STORE_STEP)


# -- (c) sweep time against sessions ---------------------------------------------------


def baseline_of(entry: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The bare ``DELETE`` baseline of one sweep result, ``(label, seconds summary)``,
    when the sweep measured it (``bench.sweep`` keeps it as ``bare_delete``)."""
    bare = entry.get("bare_delete")
    if not isinstance(bare, dict):
        return None
    seconds = bare.get("seconds")
    if not isinstance(seconds, dict) or "median" not in seconds:
        return None
    return str(bare.get("label", "bare DELETE")), seconds


def sweep_time_chart(results: Results, out: Path) -> Path | None:
    """Sweep seconds against sessions per backend (``None`` without the section)."""
    sweep = results.get("sweep") or {}
    entries = [r for r in sweep.get("results", []) if "seconds" in r and "size" in r]
    if not entries:
        return None
    fig = _figure(9, 6)
    ax = fig.add_subplot()
    backends = sorted({r["backend"] for r in entries}, key=list(_COLOURS).index)
    for backend in backends:
        colour = _COLOURS.get(backend, "tab:purple")
        rows = sorted((r for r in entries if r["backend"] == backend), key=lambda r: r["size"])
        done = [r for r in rows if not r.get("timed_out")]
        if done:
            medians = [_spread(r["seconds"]) for r in done]
            ax.errorbar(
                [r["size"] for r in done],
                [m[0] for m in medians],
                yerr=[[m[1] for m in medians], [m[2] for m in medians]],
                fmt="-o",
                color=colour,
                capsize=4,
                label=f"{backend}: Sweeper.run_once",
            )
        for r in rows:
            if r.get("timed_out"):
                seconds = float(r["seconds"]["median"])
                ax.scatter(
                    [r["size"]], [seconds], marker="^", s=70, facecolors="none", color=colour
                )
                ax.annotate(
                    f"stopped at the limit ({r.get('swept_before_limit', 0):,} swept)",
                    (r["size"], seconds),
                    xytext=(-6, 8),
                    textcoords="offset points",
                    ha="right",
                    fontsize=7,
                    color=colour,
                )
        baselines = [(r["size"], found) for r in rows if (found := baseline_of(r)) is not None]
        if baselines:
            spreads = [_spread(seconds) for _, (_, seconds) in baselines]
            ax.errorbar(
                [size for size, _ in baselines],
                [m[0] for m in spreads],
                yerr=[[m[1] for m in spreads], [m[2] for m in spreads]],
                fmt="--s",
                color=colour,
                alpha=0.7,
                markersize=4,
                capsize=3,
                label=f"{backend}: {baselines[0][1][0]} (baseline)",
            )
    if "limit_s" in sweep:
        ax.axhline(float(sweep["limit_s"]), color="black", linewidth=0.8, linestyle=":")
        ax.annotate(
            f"limit {float(sweep['limit_s']):.0f} s",
            (0.01, float(sweep["limit_s"])),
            xycoords=("axes fraction", "data"),
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=7,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("stored sessions (log scale)")
    ax.set_ylabel("sweep time (s, log scale; median, error bar: min–max)")
    ax.grid(which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    expired = sweep.get("expired_fraction")
    half = f", {expired:.0%} expired" if isinstance(expired, int | float) else ""
    batch = f", batches of {sweep['batch']}" if "batch" in sweep else ""
    _title(ax, f"Sweep time against stored sessions{half}{batch}", results)
    return _save(fig, out / SWEEP_TIME)


# -- (d) step latency during the sweep -------------------------------------------------


def _timeline(entry: dict[str, Any]) -> tuple[dict[str, Any], list[float], list[float]] | None:
    """The first loaded run of a latency entry that kept its steps: (run, t, µs)."""
    for run in entry.get("runs", []):
        samples = run.get("samples") or {}
        t, lat = samples.get("t_s"), samples.get("latency_us")
        if t and lat and len(t) == len(lat):
            return run, [float(x) for x in t], [float(x) for x in lat]
    return None


def sweep_timeline_chart(results: Results, out: Path) -> Path | None:
    """Latency of each step against its arrival, one panel per backend (``None`` when
    no loaded run kept its steps)."""
    sweep = results.get("sweep") or {}
    panels = [
        (entry, found)
        for entry in sweep.get("latency", [])
        if (found := _timeline(entry)) is not None
    ]
    if not panels:
        return None
    fig = _figure(10, 3.4 * len(panels) + 1.2)
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, (entry, (run, t, lat)) in zip(axes, panels, strict=True):
        backend = entry["backend"]
        colour = _COLOURS.get(backend, "tab:purple")
        ax.scatter(t, [v / 1000 for v in lat], s=3, color=colour, alpha=0.5, linewidths=0)
        end = float(run.get("sweep_seconds", max(t)))
        ax.axvspan(0, end, color="tab:orange", alpha=0.12)
        ax.axvline(0, color="black", linewidth=0.8)
        stopped = " (stopped at the limit)" if run.get("timed_out") else ""
        ax.annotate(
            f"sweep of {entry['size']:,} sessions{stopped}: {end:.2f} s",
            (0, 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            fontsize=8,
        )
        for key, style in (("idle_p99_us", ":"), ("sweep_p99_us", "--")):
            if key in run:
                ax.axhline(
                    float(run[key]) / 1000,
                    color="black",
                    linewidth=0.8,
                    linestyle=style,
                    label=f"{'idle' if key.startswith('idle') else 'sweeping'} p99 "
                    f"{float(run[key]) / 1000:,.2f} ms",
                )
        ax.set_yscale("log")
        ax.set_ylabel(f"{backend}\nstep latency (ms, log)")
        ax.grid(which="both", alpha=0.3)
        ax.legend(loc="upper right", fontsize=7)
    axes[-1].set_xlabel("arrival time relative to the start of the sweep (s)")
    rate = sweep.get("arrivals_per_second")
    arriving = f", {rate} steps/s arriving (open loop)" if rate else ""
    _title(fig, f"Store-step latency before and during the sweep{arriving}", results)
    return _save(fig, out / SWEEP_TIMELINE)


CHARTS: Sequence[Callable[[Results, Path], Path | None]] = (
    dispatch_chart,
    store_step_chart,
    sweep_time_chart,
    sweep_timeline_chart,
)


def render_charts(results: Results, out: Path) -> list[Path]:
    """Every chart the results have figures for, written into ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    return [path for chart in CHARTS if (path := chart(results, out)) is not None]
