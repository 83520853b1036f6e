"""Text that reaches the page from the database, made safe for Streamlit's markdown."""

from __future__ import annotations

MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>~$"


def escape_markdown(text: str) -> str:
    """`text` shown literally: an instruction is data, never markup or a link."""
    return "".join(f"\\{char}" if char in MARKDOWN_SPECIALS else char for char in text)
