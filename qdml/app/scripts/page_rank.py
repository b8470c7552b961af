"""Streamlit page script (executed by Streamlit, not imported)."""

from qdml.app.rank_page import render

render()
