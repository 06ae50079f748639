"""Relational storage: ORM models, engine factory and migrations."""
