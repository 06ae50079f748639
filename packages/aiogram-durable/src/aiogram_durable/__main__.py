"""``python -m aiogram_durable migrate URL``: apply the library's migrations."""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiogram_durable.schema import downgrade, upgrade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aiogram_durable")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("migrate", help="create or upgrade the session tables")
    up.add_argument("url", help="sqlite:///path or postgresql://…")
    up.add_argument("--revision", default="head")
    down = commands.add_parser("downgrade", help="revert the session tables to a revision")
    down.add_argument("url")
    down.add_argument("revision", help="a revision id, or 'base' to drop the tables")
    args = parser.parse_args(argv)
    try:
        if args.command == "migrate":
            asyncio.run(upgrade(args.url, args.revision))
        else:
            asyncio.run(downgrade(args.url, args.revision))
    except ValueError as exc:  # a URL of no SQL backend
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
