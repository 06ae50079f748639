"""Command line: ``diana-bot run | migrate | ...``. A thin shell over the composition root."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

import typer

from diana_bot.cli.backup import backup
from diana_bot.cli.sessions import app as sessions_app
from diana_bot.config import ConfigError, Settings, load_settings
from diana_bot.db.migrate import upgrade
from diana_bot.log_setup import configure_logging
from diana_bot.runtime import run_bot

app = typer.Typer(
    name="diana-bot",
    help="Diana Bot: sell VIP channel access; admin conversations in a durable session store.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_CONFIG = 2


app.add_typer(sessions_app, name="sessions")
app.command()(backup)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None


@app.command()
def migrate() -> None:
    """Bring the database in DATABASE_URL up to the latest schema."""
    settings = _settings()
    configure_logging(settings.log_level, settings.log_format, settings.secret_values())
    upgrade(settings.database_url.get_secret_value())
    typer.echo("database is up to date")


@app.command()
def run(
    webhook: bool = typer.Option(False, "--webhook", help="Serve a webhook instead of polling."),
) -> None:
    """Run the bot (long polling by default)."""
    settings = _settings()
    try:
        settings.require_token()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    configure_logging(settings.log_level, settings.log_format, settings.secret_values())
    asyncio.run(run_bot(settings, webhook=webhook))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="diana-bot")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
