"""Diana Bot: a Telegram bot for selling VIP channel access, with durable admin sessions."""

__version__ = "0.1.0"
