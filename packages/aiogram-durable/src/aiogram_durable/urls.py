"""Backend URLs: ``sqlite:///path``, ``postgresql://…``, ``redis://…`` (and the
SQLAlchemy spellings ``sqlite+aiosqlite://``, ``postgresql+asyncpg://``)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.engine import make_url

Backend = Literal["sqlite", "postgresql", "redis"]


def backend_of(url: str) -> Backend:
    """Which backend ``url`` names; ValueError for anything else."""
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    if scheme in ("redis", "rediss", "unix"):
        return "redis"
    raise ValueError("a session store URL starts with sqlite://, postgresql:// or redis://")


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> str:
    """The file path of a SQLite URL (``:memory:`` is refused: sessions must be durable)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("SQLite needs a file path, not an in-memory database")
    return database


def sqlalchemy_url(url: str) -> str:
    """``url`` with the async driver SQLAlchemy needs (aiosqlite, asyncpg)."""
    parsed = make_url(url)
    backend = backend_of(url)
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError("Redis has no SQL tables")
    return parsed.render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """A libpq DSN from a ``postgresql://`` or ``postgresql+asyncpg://`` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
