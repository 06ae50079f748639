"""A local stand-in for the Telegram Bot API, for tests and a sandbox.

`LocalBotApi` serves the Bot API over HTTP from an in-memory `World`;
`BotApiUser` drives the user side (write, forward, press buttons) and waits for
the bot's reactions without sleeping.
"""

from diana_devtools.localapi.actions import UserActions
from diana_devtools.localapi.client import BotApiUser, LocalApiError
from diana_devtools.localapi.errors import ApiError, WorldError
from diana_devtools.localapi.records import (
    BotIdentity,
    Event,
    EventFilter,
    EventKind,
    RecordedRequest,
    StoredMessage,
    UserAction,
)
from diana_devtools.localapi.server import LocalBotApi
from diana_devtools.localapi.state import World
from diana_devtools.localapi.views import (
    BotMessage,
    Button,
    CallbackAnswer,
    RecordedCall,
    Sent,
    UpdatesState,
    WorldEvent,
)
from diana_devtools.localapi.webhook import SECRET_HEADER

__all__ = [
    "SECRET_HEADER",
    "ApiError",
    "BotApiUser",
    "BotIdentity",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "Event",
    "EventFilter",
    "EventKind",
    "LocalApiError",
    "LocalBotApi",
    "RecordedCall",
    "RecordedRequest",
    "Sent",
    "StoredMessage",
    "UpdatesState",
    "UserAction",
    "UserActions",
    "World",
    "WorldError",
    "WorldEvent",
]
