"""``diana-sandbox``: the sandbox from the command line (was ``diana-bot sandbox``)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from diana_bot.config import ConfigError
from diana_bot.log_setup import configure_logging
from diana_devtools.sandbox.server import DEFAULT_HOST, DEFAULT_PORT, run_sandbox

EXIT_CONFIG = 2

app = typer.Typer(
    name="diana-sandbox",
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def sandbox(
    host: str = typer.Option(DEFAULT_HOST, help="Address of the sandbox page."),
    port: int = typer.Option(DEFAULT_PORT, help="Port of the sandbox page."),
    db: str | None = typer.Option(
        None,
        "--db",
        help="SQLite file for the sandbox's data, created if missing and kept. "
        "Default: sandbox.db in a fresh temporary directory, deleted on exit.",
    ),
) -> None:
    """Try the admin panel without Telegram: a local Bot API, the bot and a chat page.

    The sandbox always uses its own SQLite file (--db) and ignores DATABASE_URL,
    SESSION_BACKEND and REDIS_URL, also from .env: it can never touch a real
    deployment. Its page answers on 127.0.0.1 and localhost only.
    """
    configure_logging("WARNING", "console")
    try:
        asyncio.run(
            run_sandbox(
                host=host, port=port, db_path=Path(db) if db else None, open_message=typer.echo
            )
        )
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    except OSError as exc:
        typer.echo(f"cannot serve the sandbox on {host}:{port}: {exc}", err=True)
        raise typer.Exit(1) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``diana-sandbox``; returns the process exit code."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="diana-sandbox")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
