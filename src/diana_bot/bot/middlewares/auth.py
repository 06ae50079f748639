"""The admin gate: who may reach the handlers, decided before any lock or store access.

The dispatcher asks the gate about every update before aiogram's FSM middleware runs
(that middleware takes the key's lock and reads the session). So a stranger's flood
costs no database connection, no lock and no session read: only, at most once a
minute per user, one short refusal.

The admin panel lives in the private chat with the bot: in a group an admin's command
gets "use me in private" and nothing else, and group messages are never flow input.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from aiogram.types import CallbackQuery, Message, Update

Outcome = Literal["pass", "refused", "ignored"]

# Refusals are answered once per user per this many seconds; the rest are dropped.
REFUSAL_WINDOW_S = 60.0
# Users remembered by the rate limit; past it the oldest are forgotten (bounded memory).
REFUSAL_MEMORY = 10_000


@dataclass(frozen=True)
class Verdict:
    """What to do with one update."""

    outcome: Outcome
    user_id: int | None = None
    # The text key to answer with, when the update deserves an answer.
    reply: str | None = None


def _sender(update: Update) -> tuple[Message | CallbackQuery | None, int | None]:
    event: Message | CallbackQuery | None = update.message or update.callback_query
    user = event.from_user if event is not None else None
    return event, (user.id if user is not None else None)


def _is_private(event: Message | CallbackQuery) -> bool:
    if isinstance(event, Message):
        return event.chat.type == "private"
    # A press on a message in a chat: that chat decides. An inline-mode message has
    # none, and the bot never sends those.
    message = event.message
    return message is not None and message.chat.type == "private"


def _is_command(event: Message | CallbackQuery) -> bool:
    return isinstance(event, CallbackQuery) or (event.text or "").startswith("/")


class AdminGate:
    """Decides, from the update alone, whether it reaches the handlers."""

    def __init__(
        self,
        admin_ids: frozenset[int],
        *,
        clock: Callable[[], float] = time.monotonic,
        window_s: float = REFUSAL_WINDOW_S,
        memory: int = REFUSAL_MEMORY,
    ) -> None:
        self.admin_ids = admin_ids
        self._clock = clock
        self._window_s = window_s
        self._memory = memory
        # user id -> when they were last answered, oldest first.
        self._answered: OrderedDict[int, float] = OrderedDict()

    def check(self, update: Update) -> Verdict:
        event, user_id = _sender(update)
        if event is None or user_id is None:
            return Verdict("ignored")
        if user_id not in self.admin_ids:
            return Verdict("refused", user_id, "auth.refused" if _is_command(event) else None)
        if not _is_private(event):
            return Verdict("refused", user_id, "auth.private_only" if _is_command(event) else None)
        return Verdict("pass", user_id)

    def may_answer(self, user_id: int) -> bool:
        """True at most once per user per window: refusals never become a flood of
        our own Bot API calls."""
        now = self._clock()
        while self._answered:
            oldest, at = next(iter(self._answered.items()))
            if now - at < self._window_s and len(self._answered) < self._memory:
                break
            del self._answered[oldest]
        last = self._answered.get(user_id)
        if last is not None and now - last < self._window_s:
            return False
        self._answered[user_id] = now
        self._answered.move_to_end(user_id)
        return True
