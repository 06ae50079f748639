"""Settings: the only module that reads the environment.

Variable names are a contract with operators (see README, "Configuration").
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from diana_bot.redaction import url_password

TELEGRAM_OFFICIAL_API = "https://api.telegram.org"
# DATABASE_POOL_SIZE: the default lets 4 processes share PostgreSQL's default 100
# connections; fewer than the minimum cannot be split between the pools (db/budget.py).
DEFAULT_POOL_SIZE: Final = 20
MIN_POOL_SIZE: Final = 4
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,100}$")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line naming the variable."""


class Settings(BaseSettings):
    """Every knob of the bot, read once at start."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./diana.db")
    database_auto_migrate: bool = True
    # PostgreSQL connections per process, all pools together (see db/budget.py).
    database_pool_size: int = Field(default=DEFAULT_POOL_SIZE, ge=MIN_POOL_SIZE, le=1000)
    telegram_api_url: str = TELEGRAM_OFFICIAL_API
    session_backend: Literal["sql", "redis"] = "sql"
    redis_url: SecretStr | None = None
    session_ttl_seconds: int = Field(default=600, ge=1, le=7 * 24 * 3600)
    session_sweep_interval_seconds: float = Field(default=60, gt=0, le=3600)
    session_alert_threshold: int = Field(default=100, ge=1)
    # The fallback language: admins whose Telegram app is in another language than
    # those the texts cover (each admin is otherwise answered in their own).
    locale: Literal["es", "en"] = "es"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/webhook"
    webhook_listen_host: str = "127.0.0.1"
    webhook_listen_port: int = Field(default=8080, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # 0 turns the polling-mode HTTP endpoint (metrics, health) off.
    metrics_port: int = Field(default=9108, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError(
                    "must be comma-separated Telegram user ids, e.g. 12345,67890"
                ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("locale", "log_format", "session_backend", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower().strip() if isinstance(value, str) else value

    @field_validator("bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("does not look like a Telegram bot token (digits:letters)")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _check_db_url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                "(SQLAlchemy async URL)"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError("must be a redis:// URL")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for secret_token: 1-256 of A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _check_webhook_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with /")
        return value

    def require_token(self) -> str:
        """The bot token, or a ConfigError saying it is needed."""
        if self.bot_token is None:
            raise ConfigError("BOT_TOKEN: required to run the bot (get one from @BotFather)")
        return self.bot_token.get_secret_value()

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log's redaction: the token and its secret
        part, the webhook secret and the password of each URL."""
        values: list[str] = []
        if self.bot_token is not None:
            token = self.bot_token.get_secret_value()
            values += [token, token.partition(":")[2]]
        if self.webhook_secret is not None:
            values.append(self.webhook_secret.get_secret_value())
        for url in (self.database_url, self.redis_url):
            password = url_password(url.get_secret_value()) if url is not None else None
            if password is not None:
                values.append(password)
        return values

    def require_redis_url(self) -> str:
        """The Redis URL, or a ConfigError when the redis backend lacks it."""
        if self.redis_url is None:
            raise ConfigError("REDIS_URL: required when SESSION_BACKEND=redis")
        return self.redis_url.get_secret_value()


def require_webhook(settings: Settings) -> tuple[str, str]:
    """``(WEBHOOK_URL, WEBHOOK_SECRET)``, or a ConfigError naming what is missing."""
    if not settings.webhook_url:
        raise ConfigError("WEBHOOK_URL: required for webhook mode (the public https URL)")
    if settings.webhook_secret is None:
        raise ConfigError("WEBHOOK_SECRET: required for webhook mode (1-256 of A-Za-z0-9_-)")
    return settings.webhook_url, settings.webhook_secret.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line per the contract."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "settings"
        msg = str(err["msg"]).removeprefix("Value error, ")
        # Never echo the offending value: it may be a secret.
        raise ConfigError(f"{name}: {msg}") from None
    if settings.session_backend == "redis":
        settings.require_redis_url()
    return settings
