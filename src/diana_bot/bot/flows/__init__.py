"""The admin flows, listed once, and what every flow shares through that list.

Adding a flow: write its module (see ``base.AdminFlow``), add its texts (``flow.<name>``
and its prompts) and put its ``FLOW`` in ``DEFAULT_FLOWS``. Nothing else names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from aiogram import Bot
from aiogram.fsm.context import FSMContext

from aiogram_durable import DEFAULT_SESSION_TYPE, SessionStorage
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import ENTRY_SEP, Start
from diana_bot.bot.flows import channel_registration, deactivation, tariff_creation, tariff_edit
from diana_bot.bot.flows.base import AdminFlow, Notes, title_of, token
from diana_bot.bot.menus import show_root
from diana_bot.bot.replies import Incoming, Screen, show
from diana_bot.bot.services import BotServices

__all__ = ["DEFAULT_FLOWS", "AdminFlow", "Flows"]


class Flows:
    """The flows a dispatcher serves, found by name (session type) or state."""

    def __init__(self, flows: Iterable[AdminFlow]) -> None:
        self._all = tuple(flows)
        self._by_name = {flow.name: flow for flow in self._all}
        if len(self._by_name) != len(self._all):
            raise ValueError("two flows share a name")
        self._by_state = {s.state: flow for flow in self._all for s in flow.steps}

    def __iter__(self) -> Iterator[AdminFlow]:
        return iter(self._all)

    def with_flow(self, flow: AdminFlow) -> Flows:
        """These flows plus ``flow``."""
        return Flows((*self._all, flow))

    def session_type_of(self, state: str) -> str:
        flow = self.of_state(state)
        return flow.name if flow else DEFAULT_SESSION_TYPE

    def of_state(self, state: str | None) -> AdminFlow | None:
        return self._by_state.get(state) if state is not None else None

    def register_on(self, storage: SessionStorage) -> None:
        """Declare each flow as a session type of the FSM storage."""
        for flow in self._all:
            storage.add_flow(
                flow.states, flow.name, schema_version=flow.schema_version, ttl=flow.ttl
            )

    async def open(
        self, bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, start: Start
    ) -> None:
        """Start the flow a Start button names; an unknown one shows the root menu."""
        flow = self._by_name.get(start.flow)
        if flow is None:
            await show_root(bot, event, svc)
            return
        await flow.start(bot, event, state, svc, start.args.split(ENTRY_SEP) if start.args else ())

    async def offer_resume(
        self, bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, then: Start
    ) -> bool:
        """If a flow is open, ask whether to continue it or discard it (and then do
        ``then``); True when asked."""
        current = await state.get_state()
        if current is None:
            return False
        flow = self.of_state(current)
        screen = Screen(
            svc.tr(
                "session.unfinished",
                flow=title_of(svc, flow.name if flow else DEFAULT_SESSION_TYPE),
                step=flow.step_number(current) if flow else 1,
            ),
            keyboards.resume(svc.tr, await token(state), then.entry),
        )
        await show(bot, event, screen)
        return True

    async def render_current(
        self, bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, notes: Notes = ()
    ) -> bool:
        """Show the open flow's current prompt again; False when no flow is open."""
        flow = self.of_state(await state.get_state())
        if flow is None:
            return False
        await flow.render(bot, event, state, svc, notes)
        return True


DEFAULT_FLOWS = Flows(
    [
        channel_registration.FLOW,
        tariff_creation.FLOW,
        tariff_edit.FLOW,
        deactivation.FLOW,
    ]
)
