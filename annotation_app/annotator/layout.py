"""The CSS that makes a whole item fit a laptop screen (1280x800) without scrolling.

Streamlit's default spacing is made for documents; an annotation item is a single screen.
The images get whatever height is left after the fixed rows (instruction, questions,
Submit), so they are as large as the viewport allows at any size. Verdicts are told apart
by their marks (check, cross, question mark) first and by colour second.
"""

from __future__ import annotations

import streamlit as st

# Height of everything on an item that is not an image (progress, instruction, captions,
# questions, preference row, Submit, key hints, padding), measured in the browser at
# 1280x800 with a one-line instruction. The images take the rest.
FIXED_ROWS_PX = 330


def item_css(fixed_px: int) -> str:
    return f"""
<style>
[data-testid="stMainBlockContainer"] {{
    padding: 0.6rem 1.5rem 0.4rem 1.5rem; max-width: 100%;
}}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {{ gap: 0.35rem; }}
[data-testid="stImage"] img {{
    max-height: calc(100vh - {fixed_px}px); width: 100% !important; height: auto;
    max-width: 100%; object-fit: contain; margin: 0 auto; display: block;
}}
[data-testid="stImage"] {{ align-items: center; }}
[data-testid="stImageCaption"] {{ font-size: 0.9rem; margin: 0; padding: 0; }}
.st-key-annotate_instruction h2 {{
    font-size: 1.7rem; font-weight: 700; line-height: 1.3;
}}
[data-testid="stButton"] button {{ min-height: 2.2rem; padding: 0.2rem 0.5rem; }}
[class*="st-key-annotate_"][class*="_yes"] button[data-testid="stBaseButton-primary"] {{
    background: #1b7f3b; border-color: #1b7f3b; color: white;
}}
[class*="st-key-annotate_"][class*="_no"] button[data-testid="stBaseButton-primary"] {{
    background: #b3261e; border-color: #b3261e; color: white;
}}
[class*="st-key-annotate_"][class*="_cant"] button[data-testid="stBaseButton-primary"] {{
    background: #5f6368; border-color: #5f6368; color: white;
}}
[data-testid="stCaptionContainer"] {{ font-size: 0.78rem; }}
</style>
"""


# A can't-judge reason field under an edit takes this much more height.
REASON_ROW_PX = 46


def apply_item_layout(*, reason_rows: int = 0) -> None:
    """The item's CSS; `reason_rows` reason fields are open, so the images give way."""
    st.html(item_css(FIXED_ROWS_PX + REASON_ROW_PX * reason_rows))
