"""Streamlit page script (executed by Streamlit, not imported)."""

from qdml.app.yourdata_page import render

render()
