"""Errors the data-access layer raises in place of the driver's, so callers above it
never import SQLAlchemy to catch them."""

from __future__ import annotations


class ConstraintViolation(Exception):
    """An insert broke a unique (or other integrity) constraint; nothing was written.

    The driver's ``IntegrityError`` is the ``__cause__``.
    """


__all__ = ["ConstraintViolation"]
