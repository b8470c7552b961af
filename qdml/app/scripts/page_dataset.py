"""Streamlit page script (executed by Streamlit, not imported)."""

from qdml.app.dataset_page import render

render()
