"""Alembic migrations of the handsoff schema."""
