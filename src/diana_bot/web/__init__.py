"""The HTTP side: webhook, health and Prometheus metrics on one aiohttp app."""
