"""Callback data of every button. Each must fit Telegram's 64 bytes.

Flow buttons carry ``t``, a short token of their session: a press whose token is not
the open session's answers "no longer active" and changes nothing.

aiogram joins fields with ``:`` and refuses a value that contains it, so a value made of
parts (the follow-up action of 🗑 Descartar) joins them with ``.`` instead.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

TOKEN_LENGTH = 8
FOLLOW_UP_SEP = "."


def follow_up(action: str, *args: int | str) -> str:
    """A follow-up action for ``Resume.then``: ``follow_up("e", 7, "price")`` -> ``e.7.price``."""
    return FOLLOW_UP_SEP.join([action, *map(str, args)])


def split_follow_up(then: str) -> tuple[str, list[str]]:
    """The action and its arguments of a ``Resume.then`` value."""
    action, *args = then.split(FOLLOW_UP_SEP)
    return action, args


def token_of(session_id: str | None) -> str:
    """The short token of a session id carried by its buttons."""
    return (session_id or "")[:TOKEN_LENGTH]


class Menu(CallbackData, prefix="m"):
    """Navigation between menus (no session)."""

    to: str  # root | vip | tariffs | config | channels | sessions


class TariffAct(CallbackData, prefix="t"):
    """Actions on one tariff from the menus."""

    act: str  # open | edit | deact (asks first: see handlers/deactivation.py)
    id: int
    field: str = ""


class ChannelAct(CallbackData, prefix="c"):
    """Actions on one channel from the menus."""

    act: str  # open | deact
    id: int


class Flow(CallbackData, prefix="f"):
    """A button inside an open flow."""

    t: str
    act: str  # cancel | back | confirm | kind | pick | overwrite
    v: str = ""


class Resume(CallbackData, prefix="r"):
    """The answer to "you have an unfinished flow"."""

    t: str
    act: str  # continue | discard
    # What the admin asked for before being asked: "add_channels", or a ``follow_up``.
    then: str = ""


class SessionsAct(CallbackData, prefix="s"):
    """🧹 Sesiones: the sessions monitor."""

    act: str  # list | clear | all_ask | all_yes | events
    id: str = ""
