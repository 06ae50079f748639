"""What a flow is: one object holding its states, session type, steps, screens and handlers.

A flow module defines its ``StatesGroup``, its handlers, a ``start`` (what its entry
button does), a ``render`` (shows the prompt of whichever step is open: used after a
step, on ▶ Continuar and on bad input) and one ``AdminFlow`` that ties them together.
The flows are listed once (``diana_bot.bot.flows.DEFAULT_FLOWS``); everything generic —
the session type, the resume question, /cancel, re-prompting — reads that list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery

from aiogram_durable import session_id_of
from diana_bot.bot.callbacks import ENTRY_SEP, FlowButton, Resume, Start, token_of
from diana_bot.bot.replies import Incoming
from diana_bot.bot.services import BotServices

Notes = tuple[str, ...]
# Shows the open step's prompt (with notes above it: an error, a warning).
Renderer = Callable[[Bot, Incoming, FSMContext, BotServices, Notes], Awaitable[None]]
# Opens the flow from its entry button; the arguments come from callback data, so a
# starter checks them (a forged button must change nothing).
Starter = Callable[[Bot, Incoming, FSMContext, BotServices, Sequence[str]], Awaitable[None]]


@dataclass(frozen=True)
class AdminFlow:
    """One admin flow, whole."""

    # The session type, and the flow's name in Start buttons (menus start a flow by
    # naming it, as they name texts); the admin-facing title is the text ``flow.<name>``.
    name: str
    states: type[StatesGroup]
    # The step number the admin sees ("paso N") of each state.
    steps: Mapping[State, int]
    start: Starter
    render: Renderer
    # Registers the flow's handlers on the router it is given.
    handlers: Callable[[Router], None]
    # Bump whenever the steps or data change shape: sessions of the previous release
    # are then retired cleanly instead of misread.
    schema_version: int = 1
    # Inactivity timeout; None: SESSION_TTL_SECONDS.
    ttl: timedelta | None = None
    _step_of: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if ENTRY_SEP in self.name or ":" in self.name:
            raise ValueError(f"flow name {self.name!r} may not contain {ENTRY_SEP!r} or ':'")
        object.__setattr__(self, "_step_of", {s.state or "": n for s, n in self.steps.items()})

    def step_number(self, state: str) -> int:
        return self._step_of.get(state, 1)

    def entry(self, *args: int | str) -> Start:
        """The callback data of a button that starts this flow with ``args``."""
        return Start(flow=self.name, args=ENTRY_SEP.join(map(str, args)))

    def router(self) -> Router:
        """A fresh router with the flow's handlers (one per dispatcher)."""
        router = Router(name=f"flow:{self.name}")
        self.handlers(router)
        return router


def per_step(renderers: Mapping[State, Renderer], default: Renderer) -> Renderer:
    """A flow's ``render`` from one renderer per step (``default`` for the others)."""
    by_state = {state.state: renderer for state, renderer in renderers.items()}

    async def render(
        bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, notes: Notes
    ) -> None:
        current = await state.get_state()
        await by_state.get(current, default)(bot, event, state, svc, notes)

    return render


def title_of(svc: BotServices, session_type: str) -> str:
    """A session type's name as the admin reads it (``flow.fsm`` for plain aiogram
    states outside any flow)."""
    return svc.tr(f"flow.{session_type}")


async def token(state: FSMContext) -> str:
    """The open flow's button token ('' when none is open)."""
    return token_of(await session_id_of(state))


class OpenSessionButton(Filter):
    """Passes a flow or resume button only when it belongs to the open session.

    A button of an older session then matches no flow handler and reaches the fallback
    that answers "no longer active" (``handlers/fallbacks.py``).
    """

    async def __call__(self, query: CallbackQuery, state: FSMContext, **data: Any) -> bool:
        pressed = data.get("callback_data")
        if not isinstance(pressed, FlowButton | Resume):
            return False
        current = await token(state)
        return bool(current) and pressed.t == current


def on_button(
    router: Router, handler: Callable[..., Awaitable[None]], act: str, *states: State
) -> None:
    """Register ``handler`` for the flow button ``act`` pressed at one of ``states``."""
    router.callback_query.register(
        handler, StateFilter(*states), FlowButton.filter(F.act == act), OpenSessionButton()
    )
