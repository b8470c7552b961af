"""Entry script of ``qdml app``: Streamlit executes it on every interaction (it is not imported)."""

import streamlit as st

from qdml.app.layout import main

st.set_page_config(page_title="qdml", page_icon="🔬", layout="wide")
main()
