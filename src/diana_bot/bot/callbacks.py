"""Callback data of every button. Each must fit Telegram's 64 bytes.

Flow buttons carry ``t``, a short token of their session: a press whose token is not
the open session's answers "no longer active" and changes nothing.

aiogram joins fields with ``:`` and refuses a value that contains it, so a value made of
parts (a flow's entry arguments) joins them with ``.`` instead.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

TOKEN_LENGTH = 8
ENTRY_SEP = "."


def token_of(session_id: str | None) -> str:
    """The short token of a session id carried by its buttons."""
    return (session_id or "")[:TOKEN_LENGTH]


class Menu(CallbackData, prefix="m"):
    """Navigation between menus (no session)."""

    to: str  # root | vip | tariffs | config | channels | sessions


class Open(CallbackData, prefix="o"):
    """One tariff's or channel's screen."""

    what: str  # tariff | channel
    id: int


class Start(CallbackData, prefix="go"):
    """Start a flow: its code and its entry arguments (see ``AdminFlow.entry``)."""

    flow: str
    args: str = ""

    @property
    def entry(self) -> str:
        """The same start as one string, for ``Resume.then``."""
        return ENTRY_SEP.join([self.flow, self.args]) if self.args else self.flow

    @classmethod
    def from_entry(cls, entry: str) -> Start:
        code, _, args = entry.partition(ENTRY_SEP)
        return cls(flow=code, args=args)


class FlowButton(CallbackData, prefix="f"):
    """A button inside an open flow."""

    t: str
    act: str  # cancel | back | confirm | kind | pick
    v: str = ""


class Resume(CallbackData, prefix="r"):
    """The answer to "you have an unfinished flow"."""

    t: str
    act: str  # continue | discard
    # What the admin asked for before being asked: a ``Start.entry``.
    then: str = ""


class SessionsAct(CallbackData, prefix="s"):
    """🧹 Sesiones: the sessions monitor."""

    act: str  # list | clear | all_ask | all_yes | events
    id: str = ""
