"""English texts. Values are ``str.format`` templates; keep this a plain dict."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # Domain errors: "error." + DomainError.code.
    "error.price.empty": "Enter a price, for example 29.99.",
    "error.price.invalid": "“{value}” is not a valid price. Enter just the number, e.g. 29.99.",
    "error.price.negative": "The price cannot be negative.",
    "error.price.too_many_decimals": "The price can have at most {max_decimals} decimals.",
    "error.price.ambiguous_separator": (
        "“{value}” is ambiguous: if you mean {thousands}, write it without a thousands"
        " separator; for decimals, use at most 2 (e.g. 1.50)."
    ),
    "error.price.thousands_separator": (
        "“{value}”: do not use a thousands separator; write the number as e.g. 1500.50."
    ),
    "error.price.too_large": "The maximum price is {max}.",
    "error.duration.empty": "Enter a duration, for example 30 days.",
    "error.duration.invalid": (
        "“{value}” is not a valid duration. Examples: 30, 30 days, 2 weeks, 3 months, 1 year."
    ),
    "error.duration.negative": "The duration cannot be negative.",
    "error.duration.not_integer": "The duration must be a whole number.",
    "error.duration.unknown_unit": "Unknown unit “{unit}”. Use days, weeks, months or years.",
    "error.duration.too_short": "The minimum duration is {min} day.",
    "error.duration.too_long": "The maximum duration is {max} days.",
    "error.name.empty": "The name cannot be empty.",
    "error.name.too_long": "The name is {length} characters long; the maximum is {max}.",
    "error.name.control_chars": "The name contains control characters that are not allowed.",
    "error.description.too_long": (
        "The description is {length} characters long; the maximum is {max}."
    ),
    "error.description.control_chars": (
        "The description contains control characters that are not allowed."
    ),
    "error.channel_ref.empty": "Send the channel id (-100…) or its @username.",
    "error.channel_ref.invalid": (
        "“{value}” is not a channel. Send the id (-100…), the @username or a t.me/username link."
    ),
    "error.channel_ref.bad_id": (
        "“{value}” is not a channel id: it starts with -100 followed by 10 to 13 digits."
    ),
    "error.channel_ref.invite_link": (
        "An invite link does not identify the channel. Send its id (-100…) or its @username."
    ),
    "error.channel_ref.username_length": "The @username must be {min} to {max} characters long.",
    "error.channel_ref.username_chars": (
        "The @username may only contain letters, digits and underscores."
    ),
    "error.channel_ref.username_start": "The @username must start with a letter.",
    "error.channel.title_empty": "The channel title cannot be empty.",
    "error.channel.kind_invalid": "Unknown channel kind “{kind}” (use vip or free).",
    "error.channel.already_registered": "This channel is already registered (#{channel_id}).",
    "error.channel.not_found": "Channel #{channel_id} not found.",
    "error.channel.inactive": "Channel #{channel_id} is deactivated.",
    "error.channel.not_vip": "Channel #{channel_id} is not a VIP channel: it cannot have tariffs.",
    "error.tariff.not_found": "Tariff #{tariff_id} not found.",
    "error.tariff.inactive": "Tariff #{tariff_id} is deactivated.",
    "error.tariff.unknown_field": "A tariff has no field “{field}”.",
    "error.tariff.version_conflict": (
        "Someone else changed tariff #{tariff_id} while you were editing it."
        " Check the current values and try again."
    ),
    "error.value.wrong_type": "A value of type {type} is not valid for “{field}”.",
    "error.idempotency_key.invalid": "Invalid operation key (1 to {max} characters).",
    "error.idempotency_key.reused": (
        "This operation was already completed with different data; start again."
    ),
}
