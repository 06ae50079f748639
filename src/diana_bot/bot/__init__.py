"""The Telegram side: routers, keyboards, middlewares. Handlers translate; services decide."""
