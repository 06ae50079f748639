"""Row ids as they arrive from outside (button data, the CLI): checked before any query.

Both databases store ids as signed 64-bit integers; a larger number makes SQLite raise
OverflowError and PostgreSQL a DBAPIError. No row has such an id, so it is "not found".
"""

from __future__ import annotations

MAX_ROW_ID = 2**63 - 1


def is_row_id(value: int) -> bool:
    """True when ``value`` can be the id of a stored row."""
    return 1 <= value <= MAX_ROW_ID
