"""Keyword-only query functions; callers own the session and the transaction."""
