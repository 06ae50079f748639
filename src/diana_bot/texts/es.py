"""Spanish texts: the default language of the bot's admins.

Values are ``str.format`` templates. Keep this a plain dict: other modules add keys here.
"""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # Domain errors: "error." + DomainError.code.
    "error.price.empty": "Escribe un precio, por ejemplo 29.99.",
    "error.price.invalid": (
        "«{value}» no es un precio válido. Escribe solo el número, p. ej. 29.99."
    ),
    "error.price.negative": "El precio no puede ser negativo.",
    "error.price.too_many_decimals": "El precio admite como máximo {max_decimals} decimales.",
    "error.price.ambiguous_separator": (
        "«{value}» es ambiguo: si quieres decir {thousands}, escríbelo sin separador de miles;"
        " si son decimales, usa como máximo 2 (p. ej. 1.50)."
    ),
    "error.price.thousands_separator": (
        "«{value}»: no uses separador de miles; escribe el número sin puntos ni comas de miles,"
        " p. ej. 1500.50."
    ),
    "error.price.too_large": "El precio máximo es {max}.",
    "error.duration.empty": "Escribe una duración, por ejemplo 30 días.",
    "error.duration.invalid": (
        "«{value}» no es una duración válida. Ejemplos: 30, 30 días, 2 semanas, 3 meses, 1 año."
    ),
    "error.duration.negative": "La duración no puede ser negativa.",
    "error.duration.not_integer": "La duración debe ser un número entero.",
    "error.duration.unknown_unit": (
        "No conozco la unidad «{unit}». Usa días, semanas, meses o años."
    ),
    "error.duration.too_short": "La duración mínima es {min} día.",
    "error.duration.too_long": "La duración máxima es {max} días.",
    "error.name.empty": "El nombre no puede estar vacío.",
    "error.name.too_long": "El nombre tiene {length} caracteres; el máximo es {max}.",
    "error.name.control_chars": "El nombre contiene caracteres de control no permitidos.",
    "error.description.too_long": "La descripción tiene {length} caracteres; el máximo es {max}.",
    "error.description.control_chars": (
        "La descripción contiene caracteres de control no permitidos."
    ),
    "error.channel_ref.empty": "Envía el ID del canal (-100…) o su @usuario.",
    "error.channel_ref.invalid": (
        "«{value}» no es un canal. Envía el ID (-100…), el @usuario o el enlace t.me/usuario."
    ),
    "error.channel_ref.bad_id": (
        "«{value}» no es un ID de canal: empieza por -100 y le siguen 10 a 13 cifras."
    ),
    "error.channel_ref.invite_link": (
        "Un enlace de invitación no identifica el canal. Envía su ID (-100…) o su @usuario."
    ),
    "error.channel_ref.username_length": ("El @usuario debe tener entre {min} y {max} caracteres."),
    "error.channel_ref.username_chars": (
        "El @usuario solo puede tener letras, números y guion bajo."
    ),
    "error.channel_ref.username_start": "El @usuario debe empezar por una letra.",
    "error.channel.title_empty": "El título del canal no puede estar vacío.",
    "error.channel.kind_invalid": "Tipo de canal desconocido: «{kind}» (usa vip o free).",
    "error.channel.already_registered": "Este canal ya está registrado (n.º {channel_id}).",
    "error.channel.not_found": "No encuentro el canal n.º {channel_id}.",
    "error.channel.inactive": "El canal n.º {channel_id} está desactivado.",
    "error.channel.not_vip": "El canal n.º {channel_id} no es VIP: no puede tener tarifas.",
    "error.tariff.not_found": "No encuentro la tarifa n.º {tariff_id}.",
    "error.tariff.inactive": "La tarifa n.º {tariff_id} está desactivada.",
    "error.tariff.unknown_field": "La tarifa no tiene el campo «{field}».",
    "error.tariff.version_conflict": (
        "Otra persona modificó la tarifa n.º {tariff_id} mientras la editabas."
        " Revisa los valores actuales e inténtalo de nuevo."
    ),
    "error.value.wrong_type": "Valor de tipo {type} no válido para «{field}».",
    "error.idempotency_key.invalid": ("Clave de operación no válida (de 1 a {max} caracteres)."),
    "error.idempotency_key.reused": (
        "Esta operación ya se completó con otros datos; empieza de nuevo."
    ),
}

# Bot screens: menus keep the seed's emoji and words.
TEXTS.update(
    {
        "auth.refused": "⛔ Este panel es solo para administradores.",
        "auth.private_only": "ℹ Úsame en privado: abre un chat conmigo y escribe /admin.",
        "btn.vip": "💎 VIP",
        "btn.config": "⚙ Configuración Global",
        "btn.sessions": "🧹 Sesiones",
        "btn.manage_tariffs": "🏷 Gestionar Tarifas",
        "btn.create_tariff": "➕ Crear Tarifa",
        "btn.add_channels": "➕ Añadir Canales",
        "btn.manage_channels": "🎚 Administrar canales",
        "btn.edit_price": "✏ Editar Precio",
        "btn.edit_duration": "⏰ Editar Duración",
        "btn.edit_name": "📝 Editar Nombre",
        "btn.edit_description": "📄 Editar Descripción",
        "btn.deactivate": "🗑 Desactivar",
        "btn.back": "⬅ Volver",
        "btn.back_step": "⬅ Atrás",
        "btn.menu": "🏠 Menú",
        "btn.confirm": "✅ Confirmar",
        "btn.cancel": "❌ Cancelar",
        "btn.continue": "▶ Continuar",
        "btn.discard": "🗑 Descartar",
        "btn.make_free": "🔄 Cambiar a Free",
        "btn.make_vip": "🔄 Cambiar a VIP",
        "btn.clear_all": "🧹 Cerrar todas",
        "btn.events": "📜 Últimos eventos",
        "btn.refresh": "🔄 Actualizar",
        "menu.root": "🛠 <b>Panel de administración</b>\nElige una sección:",
        "menu.vip": "💎 <b>VIP</b>",
        "menu.tariffs": "🏷 <b>Tarifas activas</b>\nElige una para editarla o crea una nueva.",
        "menu.tariffs_empty": "🏷 <b>Tarifas</b>\nTodavía no hay tarifas activas.",
        "menu.config": "⚙ <b>Configuración Global</b>",
        "menu.channels": "🎚 <b>Canales registrados</b>",
        "menu.channels_empty": "🎚 <b>Canales</b>\nTodavía no hay canales registrados.",
        "flow.channel_registration": "registro de canal",
        "flow.tariff_creation": "creación de tarifa",
        "flow.tariff_edit": "edición de tarifa",
        "flow.deactivation": "desactivación",
        "flow.fsm": "otra conversación",
        "flow.use_buttons": "👆 Este paso se responde con los botones del mensaje.",
        "session.unfinished": (
            "⏸ Tienes sin terminar: <b>{flow}</b> (paso {step}).\n¿Quieres continuar o descartarlo?"
        ),
        "session.not_active": "Esta sesión ya no está activa.",
        "session.discarded": "Descartado.",
        "session.cancelled": "❌ Cancelado: {flow}.",
        "session.nothing_to_cancel": "No tienes nada en curso que cancelar.",
        "session.hint_no_flow": "No tienes ninguna operación en curso. Usa /admin para abrir el panel.",
        "session.expired": (
            "⌛ Tu sesión de {flow} expiró tras {minutes} min sin actividad. "
            "Usa /admin para empezar de nuevo."
        ),
        "session.cleared_by_admin": "🧹 Un administrador cerró tu sesión de {flow}.",
        "channel.ask_ref": (
            "➕ <b>Añadir canal</b> — Paso 1 de 2\n"
            "Reenvía aquí cualquier mensaje del canal, o escribe su ID (-100…) o su @usuario."
        ),
        "channel.forward_not_channel": (
            "⚠ Ese mensaje no viene de un canal (viene de un usuario o un grupo). "
            "Reenvía un mensaje publicado en el canal."
        ),
        "channel.not_found": "⚠ No encuentro ese canal. Comprueba el ID o el @usuario.",
        "channel.id_not_found": (
            "⚠ Telegram dice que ese canal no existe para el bot. Añade el bot al canal como "
            "administrador y vuelve a enviar el ID."
        ),
        "channel.lookup_failed": "⚠ No pude consultar a Telegram ahora mismo. Inténtalo de nuevo.",
        "channel.not_a_channel": "⚠ Eso no es un canal (es un grupo o un usuario).",
        "channel.already_registered": "⚠ El canal «{title}» ya está registrado.",
        "channel.warn_not_admin": (
            "⚠ El bot no es administrador de este canal: añádelo como administrador "
            "para que pueda gestionar el acceso."
        ),
        "channel.warn_admin_unknown": "ℹ No pude comprobar si el bot es administrador del canal.",
        "channel.warn_unverified": (
            "ℹ Telegram no me dio los datos del canal: se registrará con su ID como título."
        ),
        "channel.confirm": (
            "➕ <b>Añadir canal</b> — Paso 2 de 2\n"
            "ID: <code>{chat_id}</code>\nTítulo: {title}\nTipo: {kind}\n\n¿Lo registro?"
        ),
        "channel.kind.vip": "💎 VIP",
        "channel.kind.free": "🆓 Free",
        "channel.registered": "✅ Canal «{title}» registrado como {kind}.",
        "channel.details": "📣 <b>{title}</b>\nID: <code>{chat_id}</code>\nTipo: {kind}",
        "channel.deactivate_ask": "🗑 ¿Desactivar el canal «{title}»?",
        "channel.deactivated": "🗑 Canal «{title}» desactivado.",
        "channel.inactive": "⚠ Ese canal ya no está activo.",
        "tariff.no_vip_channel": (
            "⚠ No hay ningún canal VIP activo. Registra uno antes de crear tarifas."
        ),
        "tariff.pick_channel": "➕ <b>Crear tarifa</b>\n¿Para qué canal VIP?",
        "tariff.ask_price": (
            "➕ <b>Crear tarifa</b> — Paso 1 de 3: Precio\nEscribe el precio en USD, p. ej. 29.99."
        ),
        "tariff.ask_duration": (
            "➕ <b>Crear tarifa</b> — Paso 2 de 3: Duración\n"
            "¿Cuántos días da acceso? Ej.: 30, 30 días, 3 meses, 1 año."
        ),
        "tariff.ask_name": (
            "➕ <b>Crear tarifa</b> — Paso 3 de 3: Nombre\nEscribe el nombre de la tarifa."
        ),
        "tariff.summary": (
            "➕ <b>Crear tarifa</b> — Resumen\nCanal: {channel}\nPrecio: {price}\n"
            "Duración: {duration}\nNombre: {name}\n\n¿La creo?"
        ),
        "tariff.created": "✅ Tarifa «{name}» creada: {price} por {duration}.",
        "tariff.details": (
            "🏷 <b>{name}</b>\nPrecio: {price}\nDuración: {duration}\nDescripción: {description}"
        ),
        "tariff.no_description": "—",
        "tariff.inactive": "⚠ Esa tarifa ya no está activa.",
        "tariff.deactivate_ask": "🗑 ¿Desactivar la tarifa «{name}»?",
        "tariff.deactivated": "🗑 Tarifa «{name}» desactivada.",
        "edit.ask.price": "✏ <b>{name}</b>\nPrecio actual: {current}\nEscribe el nuevo precio.",
        "edit.ask.duration_days": (
            "⏰ <b>{name}</b>\nDuración actual: {current}\nEscribe la nueva duración."
        ),
        "edit.ask.name": "📝 <b>{name}</b>\nNombre actual: {current}\nEscribe el nuevo nombre.",
        "edit.ask.description": (
            "📄 <b>{name}</b>\nDescripción actual: {current}\n"
            "Escribe la nueva descripción («-» para dejarla vacía)."
        ),
        "edit.conflict": (
            "⚠ <b>{name}</b> cambió mientras editabas: ahora vale {current}.\n"
            "¿Sobrescribir con «{new}»?"
        ),
        "edit.saved": "✅ Guardado.",
        "sessions.title": "🧹 <b>Sesiones abiertas</b>",
        "sessions.list_header": "<b>Admin · flujo · paso · edad · expira en</b>",
        "sessions.line": "• {user} · {flow} · {step} · {age} · {expires}",
        "sessions.none": "No hay sesiones abiertas.",
        "sessions.clear_one": "🗑 {user} · {flow}",
        "sessions.clear_all_ask": "🧹 ¿Cerrar las {count} sesiones abiertas?",
        "sessions.cleared": "Sesiones cerradas: {count}.",
        "sessions.events_title": "📜 <b>Últimos eventos</b>",
        "sessions.by": "por {by}",
        "service.unavailable": "⏳ Servicio no disponible temporalmente, inténtalo de nuevo en un momento.",
        "update.failed": "⚠ Algo salió mal, inténtalo de nuevo.",
    }
)
