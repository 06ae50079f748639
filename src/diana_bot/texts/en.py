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

# Bot screens.
TEXTS.update(
    {
        "auth.refused": "⛔ This panel is for administrators only.",
        "auth.private_only": "ℹ Use me in private: open a chat with me and send /admin.",
        "btn.vip": "💎 VIP",
        "btn.config": "⚙ Global Config",
        "btn.sessions": "🧹 Sessions",
        "btn.manage_tariffs": "🏷 Manage Tariffs",
        "btn.create_tariff": "➕ Create Tariff",
        "btn.add_channels": "➕ Add Channels",
        "btn.manage_channels": "🎚 Manage channels",
        "btn.edit_price": "✏ Edit Price",
        "btn.edit_duration": "⏰ Edit Duration",
        "btn.edit_name": "📝 Edit Name",
        "btn.edit_description": "📄 Edit Description",
        "btn.deactivate": "🗑 Deactivate",
        "btn.back": "⬅ Back",
        "btn.back_step": "⬅ Back",
        "btn.menu": "🏠 Menu",
        "btn.confirm": "✅ Confirm",
        "btn.cancel": "❌ Cancel",
        "btn.continue": "▶ Continue",
        "btn.discard": "🗑 Discard",
        "btn.make_free": "🔄 Make it Free",
        "btn.make_vip": "🔄 Make it VIP",
        "btn.clear_all": "🧹 Close all",
        "btn.events": "📜 Recent events",
        "btn.refresh": "🔄 Refresh",
        "menu.root": "🛠 <b>Admin panel</b>\nChoose a section:",
        "menu.vip": "💎 <b>VIP</b>",
        "menu.tariffs": "🏷 <b>Active tariffs</b>\nPick one to edit it, or create a new one.",
        "menu.tariffs_empty": "🏷 <b>Tariffs</b>\nNo active tariffs yet.",
        "menu.config": "⚙ <b>Global Config</b>",
        "menu.channels": "🎚 <b>Registered channels</b>",
        "menu.channels_empty": "🎚 <b>Channels</b>\nNo channels registered yet.",
        "flow.channel_registration": "channel registration",
        "flow.tariff_creation": "tariff creation",
        "flow.tariff_edit": "tariff edit",
        "flow.deactivation": "deactivation",
        "flow.fsm": "other conversation",
        "flow.use_buttons": "👆 This step is answered with the message's buttons.",
        "session.unfinished": (
            "⏸ Unfinished: <b>{flow}</b> (step {step}).\nContinue it or discard it?"
        ),
        "session.not_active": "This session is no longer active.",
        "session.discarded": "Discarded.",
        "session.cancelled": "❌ Cancelled: {flow}.",
        "session.nothing_to_cancel": "Nothing in progress to cancel.",
        "session.hint_no_flow": "Nothing in progress. Use /admin to open the panel.",
        "session.expired": (
            "⌛ Your {flow} session expired after {minutes} min of inactivity. "
            "Use /admin to start again."
        ),
        "session.cleared_by_admin": "🧹 An administrator closed your {flow} session.",
        "channel.ask_ref": (
            "➕ <b>Add channel</b> — Step 1 of 2\n"
            "Forward any message from the channel here, or type its id (-100…) or @username."
        ),
        "channel.forward_not_channel": (
            "⚠ That message does not come from a channel (it comes from a user or a group). "
            "Forward a message posted in the channel."
        ),
        "channel.not_found": "⚠ I can't find that channel. Check the id or the @username.",
        "channel.id_not_found": (
            "⚠ Telegram says that channel does not exist for the bot. Add the bot to the channel "
            "as an administrator, then send the id again."
        ),
        "channel.lookup_failed": "⚠ I could not ask Telegram right now. Please try again.",
        "channel.not_a_channel": "⚠ That is not a channel (it is a group or a user).",
        "channel.already_registered": "⚠ The channel “{title}” is already registered.",
        "channel.warn_not_admin": (
            "⚠ The bot is not an administrator of this channel: add it as an administrator "
            "so it can manage access."
        ),
        "channel.warn_admin_unknown": "ℹ I could not check whether the bot is an administrator there.",
        "channel.warn_unverified": (
            "ℹ Telegram gave me no details of the channel: it will be registered with its id as title."
        ),
        "channel.confirm": (
            "➕ <b>Add channel</b> — Step 2 of 2\n"
            "ID: <code>{chat_id}</code>\nTitle: {title}\nKind: {kind}\n\nRegister it?"
        ),
        "channel.kind.vip": "💎 VIP",
        "channel.kind.free": "🆓 Free",
        "channel.registered": "✅ Channel “{title}” registered as {kind}.",
        "channel.details": "📣 <b>{title}</b>\nID: <code>{chat_id}</code>\nKind: {kind}",
        "channel.deactivate_ask": "🗑 Deactivate the channel “{title}”?",
        "channel.deactivated": "🗑 Channel “{title}” deactivated.",
        "channel.inactive": "⚠ That channel is no longer active.",
        "tariff.no_vip_channel": "⚠ There is no active VIP channel. Register one before creating tariffs.",
        "tariff.pick_channel": "➕ <b>Create tariff</b>\nFor which VIP channel?",
        "tariff.ask_price": (
            "➕ <b>Create tariff</b> — Step 1 of 3: Price\nType the price in USD, e.g. 29.99."
        ),
        "tariff.ask_duration": (
            "➕ <b>Create tariff</b> — Step 2 of 3: Duration\n"
            "How many days of access? E.g. 30, 30 days, 3 months, 1 year."
        ),
        "tariff.ask_name": "➕ <b>Create tariff</b> — Step 3 of 3: Name\nType the tariff's name.",
        "tariff.summary": (
            "➕ <b>Create tariff</b> — Summary\nChannel: {channel}\nPrice: {price}\n"
            "Duration: {duration}\nName: {name}\n\nCreate it?"
        ),
        "tariff.created": "✅ Tariff “{name}” created: {price} for {duration}.",
        "tariff.details": (
            "🏷 <b>{name}</b>\nPrice: {price}\nDuration: {duration}\nDescription: {description}"
        ),
        "tariff.no_description": "—",
        "tariff.inactive": "⚠ That tariff is no longer active.",
        "tariff.deactivate_ask": "🗑 Deactivate the tariff “{name}”?",
        "tariff.deactivated": "🗑 Tariff “{name}” deactivated.",
        "edit.ask.price": "✏ <b>{name}</b>\nCurrent price: {current}\nType the new price.",
        "edit.ask.duration_days": (
            "⏰ <b>{name}</b>\nCurrent duration: {current}\nType the new duration."
        ),
        "edit.ask.name": "📝 <b>{name}</b>\nCurrent name: {current}\nType the new name.",
        "edit.ask.description": (
            "📄 <b>{name}</b>\nCurrent description: {current}\n"
            "Type the new description (“-” to leave it empty)."
        ),
        "edit.conflict": (
            "⚠ <b>{name}</b> changed while you were editing: it is now {current}.\n"
            "Overwrite it with “{new}”?"
        ),
        "edit.saved": "✅ Saved.",
        "sessions.title": "🧹 <b>Open sessions</b>",
        "sessions.list_header": "<b>Admin · flow · step · age · expires in</b>",
        "sessions.line": "• {user} · {flow} · {step} · {age} · {expires}",
        "sessions.none": "No open sessions.",
        "sessions.clear_one": "🗑 {user} · {flow}",
        "sessions.clear_all_ask": "🧹 Close all {count} open sessions?",
        "sessions.cleared": "Sessions closed: {count}.",
        "sessions.events_title": "📜 <b>Recent events</b>",
        "sessions.by": "by {by}",
        "service.unavailable": "⏳ Temporarily unavailable, please try again in a moment.",
        "update.failed": "⚠ Something went wrong, please try again.",
    }
)
