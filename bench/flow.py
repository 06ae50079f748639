"""The admin flow every Dispatcher configuration runs: the same handlers and filters.

``/newtariff`` → price → duration → name (finishes). Filters are ``Command`` and
``StateFilter``, both async: aiogram 3.31 runs synchronous filters (``F.text``, a bare
``State``) in a worker thread, which would measure thread hops instead of storage.
Each handler answers through the Bot, as the real flows do; the Bot's session is a
stub, so no network is timed.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

FLOW_NAME = "bench_tariff"
# The texts one admin sends, in order: four updates, three of them inside the flow.
SCRIPT = ("/newtariff", "9.99", "30", "Gold")


class TariffFlow(StatesGroup):
    """The flow's three steps."""

    price = State()
    duration = State()
    name = State()


@dataclass
class FlowCounters:
    """What the handlers saw, checked after each run: every flow must complete."""

    started: int = 0
    completed: int = 0
    unexpected: int = 0


def build_router(counters: FlowCounters) -> Router:
    """A fresh router (a router joins one Dispatcher only) with the flow's handlers."""
    router = Router(name="bench_flow")

    @router.message(Command("newtariff"))
    async def start(message: Message, state: FSMContext) -> None:
        await state.set_state(TariffFlow.price)
        await state.update_data(channel=1)
        counters.started += 1
        await message.answer("Price?")

    @router.message(StateFilter(TariffFlow.price))
    async def price(message: Message, state: FSMContext) -> None:
        await state.update_data(price=message.text)
        await state.set_state(TariffFlow.duration)
        await message.answer("Duration in days?")

    @router.message(StateFilter(TariffFlow.duration))
    async def duration(message: Message, state: FSMContext) -> None:
        await state.update_data(duration=message.text)
        await state.set_state(TariffFlow.name)
        await message.answer("Name?")

    @router.message(StateFilter(TariffFlow.name))
    async def name(message: Message, state: FSMContext) -> None:
        data = await state.get_data()
        await state.clear()
        if data.get("price") != "9.99" or data.get("duration") != "30":
            counters.unexpected += 1
        counters.completed += 1
        await message.answer(f"Created {message.text}: {data.get('price')}")

    @router.message()
    async def no_flow(message: Message) -> None:
        counters.unexpected += 1

    return router
