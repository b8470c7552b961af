"""The web app (``qdml app``): Predict, Rank, Your data, Dataset and Model card pages in Streamlit.

The stage sits between the CLI and the workflows: it may import workflows and everything below,
never :mod:`qdml.cli`. Page logic that needs no browser lives in plain modules
(:mod:`qdml.app.evidence`, :mod:`qdml.app.workspace`) so it can be tested without Streamlit; the
page modules only lay widgets out. ``scripts/`` holds the files Streamlit executes.
"""
