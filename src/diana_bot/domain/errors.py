"""Domain errors: a dotted code plus parameters; the texts catalogue renders them.

The domain renders no sentence in any language: handlers show ``tr.error(err)``, built
from ``code`` and ``params`` alone (a ``Decimal`` parameter is an amount of money in the
error's ``currency`` parameter, written the admin's way), and ``str(err)`` is the code and
parameters as they are, for logs and tracebacks.
"""

from __future__ import annotations

from diana_bot.db.records import Tariff

# Every code a DomainError may carry. Each one has an ``error.<code>`` text in every
# catalogue of texts/locales (a test checks them all), so no error reaches a user
# untranslated.
ERROR_CODES: frozenset[str] = frozenset(
    {
        "price.empty",
        "price.invalid",
        "price.negative",
        "price.too_many_decimals",
        "price.ambiguous_separator",
        "price.thousands_separator",
        "price.too_large",
        "duration.empty",
        "duration.invalid",
        "duration.negative",
        "duration.not_integer",
        "duration.unknown_unit",
        "duration.too_short",
        "duration.too_long",
        "name.empty",
        "name.too_long",
        "name.control_chars",
        "description.too_long",
        "description.control_chars",
        "channel_ref.empty",
        "channel_ref.invalid",
        "channel_ref.bad_id",
        "channel_ref.invite_link",
        "channel_ref.username_length",
        "channel_ref.username_chars",
        "channel_ref.username_start",
        "channel.title_empty",
        "channel.kind_invalid",
        "channel.already_registered",
        "channel.not_found",
        "channel.inactive",
        "channel.not_vip",
        "tariff.not_found",
        "tariff.inactive",
        "tariff.unknown_field",
        "tariff.version_conflict",
        "value.wrong_type",
        "idempotency_key.invalid",
        "idempotency_key.reused",
    }
)


class DomainError(Exception):
    """A business rule was broken; the user can be told why.

    Attributes:
        code: Dotted identifier such as ``"price.too_many_decimals"``; the texts key is
            ``"error." + code``.
        params: Values for the message template.
    """

    def __init__(self, code: str, /, **params: object) -> None:
        # A typo in a code would surface as an untranslated key in the bot: fail loudly.
        if code not in ERROR_CODES:
            raise ValueError(f"unknown domain error code {code!r}")
        self.code = code
        self.params: dict[str, object] = params
        super().__init__(code)

    def __str__(self) -> str:
        if not self.params:
            return self.code
        params = ", ".join(f"{name}={value!r}" for name, value in self.params.items())
        return f"{self.code} ({params})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, **{self.params!r})"


# The names below are the agreed public API (no "Error" suffix), hence the N818 waivers.


class ValidationError(DomainError):
    """User input (or a value passed to a service) is malformed or out of range."""


class ChannelAlreadyRegistered(DomainError):
    """The chat is already registered.

    Attributes:
        existing_id: The id of the channel that holds this chat.
    """

    def __init__(self, *, chat_id: int, existing_id: int, is_active: bool) -> None:
        super().__init__(
            "channel.already_registered",
            chat_id=chat_id,
            channel_id=existing_id,
            is_active=is_active,
        )
        self.existing_id = existing_id


class NotFound(DomainError):
    """The channel or tariff does not exist."""


class NoActiveVipChannel(DomainError):
    """The channel exists but cannot sell tariffs (inactive, or not a VIP channel)."""


class TariffInactive(DomainError):
    """The tariff was deactivated and can no longer be edited."""


class TariffVersionConflict(DomainError):
    """Someone else changed the tariff since it was read.

    Attributes:
        current: The tariff as it is stored now, so the caller can show it and retry.
    """

    def __init__(self, *, expected: int, current: Tariff) -> None:
        super().__init__(
            "tariff.version_conflict",
            tariff_id=current.id,
            expected=expected,
            actual=current.version,
        )
        self.current = current
