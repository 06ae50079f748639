"""Middlewares: admin gate, duplicate updates, metrics."""
