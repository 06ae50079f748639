"""Ids as they arrive from outside (button data, the CLI, callers' retry keys): checked
before any query.

Both databases store row ids as signed 64-bit integers; a larger number makes SQLite
raise OverflowError and PostgreSQL a DBAPIError. No row has such an id, so it is "not
found". Idempotency keys live in a 64-character column.
"""

from __future__ import annotations

from diana_bot.domain.errors import ValidationError

MAX_ROW_ID = 2**63 - 1
MAX_IDEMPOTENCY_KEY_LENGTH = 64


def is_row_id(value: int) -> bool:
    """True when ``value`` can be the id of a stored row."""
    return 1 <= value <= MAX_ROW_ID


def check_idempotency_key(key: str | None) -> None:
    """Check that a key fits the 64-character column.

    Raises:
        ValidationError: ``idempotency_key.invalid``.
    """
    if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValidationError("idempotency_key.invalid", max=MAX_IDEMPOTENCY_KEY_LENGTH)
