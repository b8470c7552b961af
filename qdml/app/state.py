"""What the app loads once per process (bundle, dataset) and what each session keeps (its workspace).

The model is named by ``$QDML_APP_MODEL`` (``qdml app --model`` sets it; unset = the shipped
``default``); a session that retrained on its own data may switch to that bundle for its pages.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from qdml.app.evidence import dataset_keys
from qdml.app.workspace import Workspace
from qdml.data import bundled_models_dir
from qdml.learn.bundle import Bundle, load_bundle, resolve_bundle_dir, verify_bundle
from qdml.validation import load_dataset

MODEL_ENV = "QDML_APP_MODEL"
#: session_state key of a bundle the session retrained and chose to use (a folder path).
SESSION_MODEL = "qdml_session_model"


def configured_model() -> str | None:
    return os.environ.get(MODEL_ENV) or None


def configured_model_path() -> str:
    """Path of the bundle ``qdml app`` was started with (not a session's retrained one)."""
    return str(resolve_bundle_dir(configured_model()))


def active_model() -> str:
    """Path of the bundle this session's pages use."""
    chosen = st.session_state.get(SESSION_MODEL)
    if chosen:
        return str(chosen)
    return configured_model_path()


@st.cache_resource(max_entries=8, show_spinner="Loading the model...")
def bundle(path: str) -> Bundle:
    """A verified bundle, loaded once per process and shared by every session (never mutated)."""
    return load_bundle(Path(path))


@st.cache_data(max_entries=8, show_spinner=False)
def bundle_metadata(path: str) -> dict:
    """Metadata alone (checksums verified): the Model card works even where the predictor is stale."""
    return verify_bundle(Path(path))


@st.cache_resource(show_spinner=False)
def dataset() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundled literature table (validated, indexed by file line) and its chemistry keys."""
    data = load_dataset()
    return data, dataset_keys(data)


def workspace() -> Workspace:
    """This session's workspace, made on first use; its folder goes when the session object does."""
    ws = st.session_state.get("qdml_workspace")
    if ws is None:
        ws = Workspace()
        st.session_state["qdml_workspace"] = ws
    return ws


def model_caption(path: str) -> str:
    if st.session_state.get(SESSION_MODEL):
        return f"Model: your retrained bundle ({Path(path).name}, this session only)"
    shipped = Path(path).resolve().parent == bundled_models_dir().resolve()
    return f"Model: bundle '{Path(path).name}' ({'shipped with qdml' if shipped else path})"
