"""Small helpers shared by the pages: values that survive a page switch, markdown-safe text, numbers."""

from __future__ import annotations

import math
import re

import streamlit as st

_KEEP = "_keep_"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~$])")


def remember(key: str, default) -> None:
    """Give widget ``key`` its last value (Streamlit forgets widget state when the page changes)."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(_KEEP + key, default)


def keep(key: str) -> None:
    """``on_change`` callback: store the widget's value where a page switch does not erase it."""
    st.session_state[_KEEP + key] = st.session_state[key]


def put(key: str, value) -> None:
    """Callback: set a widget's value (a suggestion clicked, an option picked)."""
    st.session_state[key] = value
    st.session_state[_KEEP + key] = value


def md(text) -> str:
    """Text shown literally in markdown (evidence quotes hold ``|``, ``$``, ``*`` and subscripts)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def fmt(value, decimals: int = 1, unit: str = "") -> str:
    """A number for reading ('' when missing)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if math.isnan(v):
        return ""
    text = f"{v:.{decimals}f}"
    return f"{text} {unit}".strip() if unit else text


def pick(source: str, target: str) -> None:
    """Callback of a "...or pick" list: copy the choice into the text field, then clear the list."""
    if st.session_state.get(source):
        put(target, st.session_state[source])
        st.session_state[source] = ""
