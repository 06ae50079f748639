"""``diana-bot sessions ...``: the operator's view of admin sessions (monitor, recovery).

Works against the same DATABASE_URL / SESSION_BACKEND as the bot, while it runs.
Exit codes: 0 done, 1 nothing found or declined, 2 usage or configuration error,
3 a store is unreachable.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from aiogram_durable import AuditEvent, SessionRecord
from diana_bot.composition import build_container
from diana_bot.config import ConfigError, load_settings
from diana_bot.container import Container
from diana_bot.db.outages import is_outage
from diana_bot.log_setup import configure_logging

app = typer.Typer(help="Inspect and repair admin sessions.", no_args_is_help=True)

EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3

T = TypeVar("T")
JSON_OPTION = typer.Option(False, "--json", help="Machine-readable output.")


def _console() -> Console:
    console = Console()
    # Piped output (scripts, logs) gets whole ids rather than a terminal-width cut.
    return console if console.is_terminal else Console(width=250)


def _run(work: Callable[[Container], Awaitable[T]]) -> T:
    """Open the stores (no migration), run ``work``, close them; map failures to exits."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None

    async def main() -> T:
        container = await build_container(settings, migrate=False)
        try:
            return await work(container)
        finally:
            await container.close()

    configure_logging("WARNING", settings.log_format, settings.secret_values())
    try:
        return asyncio.run(main())
    except Exception as exc:
        text = str(exc)
        if "no such table" in text or "does not exist" in text:
            typer.echo("the database has no schema yet: run `diana-bot migrate`", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        if is_outage(exc):
            typer.echo(f"store unavailable: {type(exc).__name__}: {text[:200]}", err=True)
            raise typer.Exit(EXIT_UNAVAILABLE) from None
        raise


def _session_json(s: SessionRecord, now: datetime) -> dict[str, Any]:
    return {
        "id": s.id,
        "user_id": s.key.user_id,
        "chat_id": s.key.chat_id,
        "bot_id": s.key.bot_id,
        "type": s.session_type,
        "schema_version": s.schema_version,
        "step": s.step,
        "version": s.version,
        "created_at": s.created_at.isoformat(),
        "updated_at": s.updated_at.isoformat(),
        "expires_at": s.expires_at.isoformat(),
        "age_seconds": round((now - s.created_at).total_seconds(), 1),
        "expires_in_seconds": round((s.expires_at - now).total_seconds(), 1),
    }


def _event_json(e: AuditEvent) -> dict[str, Any]:
    return {
        "at": e.at.isoformat(),
        "event": e.event,
        "session_id": e.session_id,
        "user_id": e.user_id,
        "type": e.session_type,
        "step": e.step,
        "detail": e.detail,
    }


def _sessions_table(sessions: list[SessionRecord], now: datetime) -> Table:
    table = Table("id", "user", "chat", "type", "step", "age", "expires in")
    for s in sessions:
        table.add_row(
            s.id,
            str(s.key.user_id),
            str(s.key.chat_id),
            s.session_type,
            s.step or "-",
            f"{(now - s.created_at).total_seconds():.0f}s",
            f"{(s.expires_at - now).total_seconds():.0f}s",
        )
    return table


def _echo_json(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


@app.command("list")
def list_sessions(
    session_type: str | None = typer.Option(None, "--type", help="Only this session type."),
    user: int | None = typer.Option(None, "--user", help="Only this admin's sessions."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List open sessions, oldest first."""

    async def work(c: Container) -> tuple[list[SessionRecord], datetime]:
        return await c.sessions.list_active(session_type=session_type, user_id=user), c.clock.now()

    sessions, now = _run(work)
    if as_json:
        _echo_json([_session_json(s, now) for s in sessions])
    elif sessions:
        _console().print(_sessions_table(sessions, now))
    else:
        typer.echo("no open sessions")


@app.command("show")
def show(session_id: str, as_json: bool = JSON_OPTION) -> None:
    """Show one session, with its data."""

    async def work(c: Container) -> tuple[SessionRecord | None, datetime]:
        return await c.sessions.get_by_id(session_id), c.clock.now()

    session, now = _run(work)
    if session is None:
        typer.echo(f"no open session {session_id}", err=True)
        raise typer.Exit(EXIT_NOT_FOUND)
    payload = {**_session_json(session, now), "data": session.data}
    if as_json:
        _echo_json(payload)
        return
    for key, value in payload.items():
        typer.echo(
            f"{key:>18}: {json.dumps(value, ensure_ascii=False) if key == 'data' else value}"
        )


@app.command("stats")
def stats(as_json: bool = JSON_OPTION) -> None:
    """Open sessions per type."""

    async def work(c: Container) -> dict[str, int]:
        return await c.sessions.count_by_type()

    counts = _run(work)
    total = sum(counts.values())
    if as_json:
        _echo_json({"by_type": counts, "total": total})
        return
    table = Table("type", "open")
    for name, count in sorted(counts.items()):
        table.add_row(name, str(count))
    table.add_row("[b]total[/b]", f"[b]{total}[/b]")
    _console().print(table)


@app.command("clear")
def clear(
    user: int | None = typer.Option(None, "--user", help="Clear this admin's sessions."),
    session_type: str | None = typer.Option(None, "--type", help="Clear sessions of a type."),
    everything: bool = typer.Option(False, "--all", help="Clear every session."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Recovery: remove sessions (audited as cleared by the CLI)."""
    chosen = [x for x in (user is not None, session_type is not None, everything) if x]
    if len(chosen) != 1:
        typer.echo("give exactly one of --user, --type or --all", err=True)
        raise typer.Exit(EXIT_USAGE)
    what = (
        f"user {user}"
        if user is not None
        else (f"type {session_type}" if session_type else "ALL sessions")
    )
    if not yes and not typer.confirm(f"Clear the open sessions of {what}?", default=False):
        typer.echo("nothing cleared", err=True)
        raise typer.Exit(EXIT_NOT_FOUND)

    async def work(c: Container) -> list[SessionRecord]:
        return await c.sessions.clear(
            user_id=user, session_type=session_type, everything=everything, by="cli"
        )

    removed = _run(work)
    if as_json:
        _echo_json({"cleared": [s.id for s in removed], "count": len(removed)})
    else:
        typer.echo(f"cleared {len(removed)} session(s)")


@app.command("sweep")
def sweep(as_json: bool = JSON_OPTION) -> None:
    """Expire every session past its time now (the bot's sweeper also tells the admins)."""

    async def work(c: Container) -> int:
        total = 0
        while batch := await c.sessions.sweep(batch_size=500):
            total += len(batch)
        return total

    total = _run(work)
    if as_json:
        _echo_json({"expired": total})
    else:
        typer.echo(f"expired {total} session(s)")


@app.command("events")
def events(
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="How many, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The newest audit events."""

    async def work(c: Container) -> list[AuditEvent]:
        return await c.sessions.recent_events(limit)

    found = _run(work)
    if as_json:
        _echo_json([_event_json(e) for e in found])
        return
    table = Table("at", "event", "type", "user", "step", "session", "detail")
    for e in found:
        table.add_row(
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.event,
            e.session_type,
            str(e.user_id),
            e.step or "-",
            e.session_id[:8],
            json.dumps(e.detail, ensure_ascii=False) if e.detail else "",
        )
    _console().print(table)
