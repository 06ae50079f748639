"""The admin flows as aiogram state groups, and their session types."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

from aiogram_durable import SessionStorage


class ChannelRegistration(StatesGroup):
    """➕ Añadir Canales: a channel reference, then confirmation."""

    ref = State()
    confirm = State()


class TariffCreation(StatesGroup):
    """➕ Crear Tarifa: (channel) → price → duration → name → confirm."""

    channel = State()
    price = State()
    duration = State()
    name = State()
    confirm = State()


class TariffEdit(StatesGroup):
    """✏ Editar …: a new value, then (on a concurrent change) whether to overwrite."""

    value = State()
    overwrite = State()


class Deactivation(StatesGroup):
    """🗑 Desactivar: confirm deactivating one tariff or channel (a one-step flow, so the
    ✅ Confirmar button carries a session token like every other destructive action)."""

    confirm = State()


FLOW_CHANNEL = "channel_registration"
FLOW_TARIFF_CREATE = "tariff_creation"
FLOW_TARIFF_EDIT = "tariff_edit"
FLOW_DEACTIVATION = "deactivation"

# Bump a flow's schema version whenever its steps or data change shape: sessions written
# by the previous release are then retired cleanly instead of misread.
SCHEMA_VERSIONS = {
    FLOW_CHANNEL: 1,
    FLOW_TARIFF_CREATE: 1,
    FLOW_TARIFF_EDIT: 1,
    FLOW_DEACTIVATION: 1,
}

# The step number an admin sees ("paso N"), per state.
STEP_NUMBERS: dict[str, int] = {
    ChannelRegistration.ref.state or "": 1,
    ChannelRegistration.confirm.state or "": 2,
    TariffCreation.channel.state or "": 1,
    TariffCreation.price.state or "": 1,
    TariffCreation.duration.state or "": 2,
    TariffCreation.name.state or "": 3,
    TariffCreation.confirm.state or "": 4,
    TariffEdit.value.state or "": 1,
    TariffEdit.overwrite.state or "": 2,
    Deactivation.confirm.state or "": 1,
}


def register_flows(storage: SessionStorage) -> None:
    """Declare the three flows as session types on the FSM storage."""
    storage.add_flow(
        ChannelRegistration, FLOW_CHANNEL, schema_version=SCHEMA_VERSIONS[FLOW_CHANNEL]
    )
    storage.add_flow(
        TariffCreation, FLOW_TARIFF_CREATE, schema_version=SCHEMA_VERSIONS[FLOW_TARIFF_CREATE]
    )
    storage.add_flow(TariffEdit, FLOW_TARIFF_EDIT, schema_version=SCHEMA_VERSIONS[FLOW_TARIFF_EDIT])
    storage.add_flow(
        Deactivation, FLOW_DEACTIVATION, schema_version=SCHEMA_VERSIONS[FLOW_DEACTIVATION]
    )
