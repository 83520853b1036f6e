"""Entry script of the annotation app: draws the frame and routes, nothing else.

Run with `handsoff app` (or `streamlit run annotation_app/app.py`). Annotators open their
personal link `/?token=...`; administrators open `/admin`. The page menu (sidebar
navigation) and Streamlit's header bar are hidden on every page, so annotators and
administrators see only their page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# Not "pages": Streamlit treats a `pages/` folder beside the entry script as the old
# multipage layout, and until this script has run once in the process it serves `/admin`
# straight from that folder, without this frame and with a page menu of every script.
PAGES = Path(__file__).parent / "screens"

# A neutral title: the browser tab must not say what is being compared.
st.set_page_config(page_title="Image edit study", layout="wide")
# No page menu anywhere, and no header bar taking a row of an annotator's screen.
st.html(
    "<style>[data-testid='stSidebarNav'], [data-testid='stSidebarCollapsedControl'], "
    "[data-testid='stSidebar'], header[data-testid='stHeader'], #MainMenu "
    "{display: none !important;}</style>"
)
navigation = st.navigation(
    [
        st.Page(PAGES / "annotate.py", title="Annotate", url_path="annotate", default=True),
        st.Page(PAGES / "admin.py", title="Admin", url_path="admin"),
    ],
    position="hidden",
)
navigation.run()
