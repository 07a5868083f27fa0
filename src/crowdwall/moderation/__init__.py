"""Moderation: the state a new post starts in (``rules``), and decisions after ingest (``actions``)."""
