"""Navigation between the pages (Predict first) and the sidebar every page shares."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from qdml import __version__
from qdml.exceptions import QdmlError

SCRIPTS = Path(__file__).parent / "scripts"
#: (script, title, url path); the first is the page a visitor lands on.
PAGES = [
    ("page_predict.py", "Predict", "predict"),
    ("page_rank.py", "Rank", "rank"),
    ("page_yourdata.py", "Your data", "your-data"),
    ("page_dataset.py", "Dataset", "dataset"),
    ("page_modelcard.py", "Model card", "model-card"),
]


def main() -> None:
    pages = [st.Page(str(SCRIPTS / script), title=title, url_path=url, default=(i == 0))
             for i, (script, title, url) in enumerate(PAGES)]
    nav = st.navigation(pages)
    with st.sidebar:
        st.caption(f"qdml {__version__}: inorganic surface ligands for quantum dots, predicted from a small "
                   "curated literature table with honest cross-validation.")
    try:
        nav.run()
    except QdmlError as exc:  # a missing or stale bundle: one line, no traceback
        st.error(str(exc))
