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
