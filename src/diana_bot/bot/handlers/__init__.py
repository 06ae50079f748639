"""The router tree, assembled in one place."""

from __future__ import annotations

from aiogram import Router

from diana_bot.bot.handlers import (
    channel_flow,
    common,
    deactivation,
    menu,
    resume,
    sessions_admin,
    tariff_create,
    tariff_edit,
)


def build_router() -> Router:
    """Every router. Only admins' private updates get here: the dispatcher's
    ``AdminGate`` refuses the rest before any handler, lock or store access."""
    admin = Router(name="admin")
    # Order matters: flows before the catch-alls in ``common``.
    admin.include_routers(
        resume.router,
        menu.router,
        sessions_admin.router,
        channel_flow.router,
        tariff_create.router,
        tariff_edit.router,
        deactivation.router,
        common.router,
    )
    return admin


def describe(router: Router, depth: int = 0) -> list[str]:
    """The router tree as indented names, for the start-up log."""
    lines = [f"{'  ' * depth}{router.name}"]
    for child in router.sub_routers:
        lines.extend(describe(child, depth + 1))
    return lines


def release_routers(dispatcher: Router) -> None:
    """Give the module-level flow routers back after a dispatcher is done with them.

    A router has one parent, and each flow module keeps one router (the aiogram idiom),
    so a second bot in the same process (the sandbox's restart button) needs them back.
    aiogram has no public detach; ``_parent_router`` is what ``include_router`` checks.
    """
    for gate in dispatcher.sub_routers:
        for module_router in gate.sub_routers:
            module_router._parent_router = None
        gate.sub_routers.clear()
