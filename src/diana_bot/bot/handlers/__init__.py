"""The router tree, assembled in one place, fresh for every dispatcher."""

from __future__ import annotations

from aiogram import Router

from diana_bot.bot.flows import Flows
from diana_bot.bot.handlers import fallbacks, menu, resume, sessions_monitor
from diana_bot.bot.middlewares.answers import AnswerPresses


def build_router(flows: Flows) -> Router:
    """Every router. Only admins' private updates get here: the dispatcher's
    ``AdminGate`` refuses the rest before any handler, lock or store access."""
    admin = Router(name="admin")
    admin.callback_query.middleware(AnswerPresses())
    # Order matters: /cancel before the flows (a step would take it as input), the
    # flows before the fallbacks.
    admin.include_routers(
        resume.build_router(),
        menu.build_router(),
        sessions_monitor.build_router(),
        *(flow.router() for flow in flows),
        fallbacks.build_router(),
    )
    return admin


def describe(router: Router, depth: int = 0) -> list[str]:
    """The router tree as indented names, for the start-up log."""
    lines = [f"{'  ' * depth}{router.name}"]
    for child in router.sub_routers:
        lines.extend(describe(child, depth + 1))
    return lines
