"""Business rules for channels and tariffs: parsers, services and their errors.

Services return frozen records and raise ``DomainError`` subclasses (a code and parameters;
``texts`` words them). They import neither aiogram nor SQLAlchemy: storage goes through the
repositories and the unit of work in ``diana_bot.db``, and handlers translate updates into
calls and errors into texts.
"""

from __future__ import annotations

from diana_bot.domain.channels import CHANNEL_KINDS, Channel, ChannelKind, ChannelService
from diana_bot.domain.errors import (
    ERROR_CODES,
    ChannelAlreadyRegistered,
    DomainError,
    NoActiveVipChannel,
    NotFound,
    TariffInactive,
    TariffVersionConflict,
    ValidationError,
)
from diana_bot.domain.parsing import (
    CURRENCY,
    MAX_DESCRIPTION_LENGTH,
    MAX_DURATION_DAYS,
    MAX_NAME_LENGTH,
    MAX_PRICE,
    MIN_DURATION_DAYS,
    check_duration,
    check_price,
    parse_channel_ref,
    parse_description,
    parse_duration,
    parse_name,
    parse_price,
)
from diana_bot.domain.tariffs import EDITABLE_FIELDS, FieldValue, Tariff, TariffField, TariffService

__all__ = [
    "CHANNEL_KINDS",
    "CURRENCY",
    "EDITABLE_FIELDS",
    "ERROR_CODES",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_DURATION_DAYS",
    "MAX_NAME_LENGTH",
    "MAX_PRICE",
    "MIN_DURATION_DAYS",
    "Channel",
    "ChannelAlreadyRegistered",
    "ChannelKind",
    "ChannelService",
    "DomainError",
    "FieldValue",
    "NoActiveVipChannel",
    "NotFound",
    "Tariff",
    "TariffField",
    "TariffInactive",
    "TariffService",
    "TariffVersionConflict",
    "ValidationError",
    "check_duration",
    "check_price",
    "parse_channel_ref",
    "parse_description",
    "parse_duration",
    "parse_name",
    "parse_price",
]
