"""Streamlit page script (executed by Streamlit, not imported)."""

from qdml.app.predict_page import render

render()
