"""Streamlit page script (executed by Streamlit, not imported)."""

from qdml.app.modelcard_page import render

render()
