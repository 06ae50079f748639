"""Masking secrets out of text that leaves the process (logs, error pages).

Two layers, because a secret can reach a log line from anywhere (our code,
aiogram's request URL, asyncpg's connect arguments, redis-py, alembic):

* the exact values the process was configured with (`Redactor.known`): the bot
  token and its secret part, the webhook secret, the password of every URL, each
  also as a URL would percent-encode it;
* shapes that are secrets whatever their value: a bot token (``123:AA…``), the
  password of any ``scheme://user:password@host`` URL, ``password=…`` pairs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, unquote, urlsplit

MASK: Final = "***"
# Shorter values are not worth masking (and would mask ordinary words).
_MIN_SECRET_LEN: Final = 4
_PATTERNS: Final = (
    # A Telegram bot token, alone or in /bot<token>/ URLs.
    (re.compile(r"(?<![0-9])\d{5,20}:[A-Za-z0-9_-]{30,100}"), MASK),
    # The password of user:password@ in any URL.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@"), r"\1" + MASK + "@"),
    # password=..., password: '...' (libpq DSNs, reprs of connect arguments).
    (
        re.compile(
            r"(?i)\b(password|passwd|pwd|secret(?:_token)?)(['\"]?\s*[=:]\s*['\"]?)[^\s'\",;)}&]+"
        ),
        r"\1\2" + MASK,
    ),
)


def url_password(url: str) -> str | None:
    """The password part of ``url`` (decoded), or None when it has none."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


class Redactor:
    """Replaces secrets in text with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.known: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these exact values too (and their percent-encoded spelling)."""
        values = set(self.known)
        for secret in secrets:
            if len(secret) >= _MIN_SECRET_LEN:
                values.update({secret, quote(secret, safe="")})
        # Longest first: a token is masked whole before its secret part is looked for.
        self.known = tuple(sorted(values, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self.known:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


__all__ = ["MASK", "Redactor", "url_password"]
