"""Data access: repositories returning frozen records, the unit of work that commits a use
case once, outage classification, ORM models, the engine factory and migrations."""
