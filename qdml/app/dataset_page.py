"""Dataset: the literature rows with their evidence, filtered; counts by ligand class, QD family, treatment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qdml.app import state
from qdml.targets import TARGETS
from qdml.workflows.summary import role_counts

SHOWN = ["line", "ligand", "qd", "role", "treatment", "eqe", "plqy", "peak_nm", "fwhm_nm", "von_v",
         "lmax_cd_m2", "lifetime_ns", "size_nm", "abs_peak_nm", "reference", "doi", "evidence", "flags", "pair_id", "sample", "peak_type"]


def render() -> None:
    st.title("Dataset")
    data, keys = state.dataset()
    frame = data.copy()
    frame["line"] = frame.index
    frame["ligand class"] = keys["ligand_class"].fillna("unresolved")
    frame["QD family"] = keys["qd_family"].fillna("unresolved")
    role = frame["role"].replace("", "treated")
    st.caption(f"{len(frame)} rows of datasets/qd_ligand_literature.csv from "
               f"{frame['reference'].replace('', pd.NA).nunique()} references; every row carries a verbatim "
               "evidence quote holding its numbers. Line = line in the file (header = 1).")
    has_treatment = "treatment" in frame.columns and frame["treatment"].astype(str).str.strip().ne("").any()
    c1, c2, c3 = st.columns(3)
    classes = c1.multiselect("Ligand class", sorted(frame["ligand class"].unique()), key="ds_class")
    families = c2.multiselect("QD family", sorted(frame["QD family"].unique()), key="ds_family")
    treatments = []
    if has_treatment:
        treatments = c3.multiselect("Treatment", sorted(frame["treatment"].astype(str).unique()), key="ds_treatment")
    c4, c5, c6 = st.columns(3)
    role_pick = c4.selectbox("Role", ["all", "treated", "control"], key="ds_role")
    measured = c5.multiselect("Has a value for", [t for t in TARGETS if t in frame.columns], key="ds_has",
                              format_func=lambda t: TARGETS[t].header)
    text = c6.text_input("Search ligand, QD, reference or evidence", key="ds_text")
    keep = pd.Series(True, index=frame.index)
    if classes:
        keep &= frame["ligand class"].isin(classes)
    if families:
        keep &= frame["QD family"].isin(families)
    if treatments:
        keep &= frame["treatment"].astype(str).isin(treatments)
    if role_pick != "all":
        keep &= role == role_pick
    for t in measured:
        keep &= frame[t].notna()
    if text.strip():
        needle = text.strip().casefold()
        hay = frame[["ligand", "qd", "reference", "evidence"]].astype(str).agg(" ".join, axis=1).str.casefold()
        keep &= hay.str.contains(needle, regex=False)
    shown = frame[keep]
    st.write(f"**{len(shown)}** of {len(frame)} rows")
    cols = [c for c in SHOWN if c in shown.columns] + ["ligand class", "QD family"]
    st.dataframe(shown[cols], hide_index=True, width="stretch",
                 column_config={"evidence": st.column_config.TextColumn(width="large"),
                                "reference": st.column_config.TextColumn(width="medium")})
    st.subheader("Counts" + (" (of the rows shown)" if len(shown) < len(frame) else ""))
    r = role[keep]
    tabs = st.columns(3)
    with tabs[0]:
        st.markdown("**By ligand class**")
        st.dataframe(role_counts(shown["ligand class"], r, "ligand class"), hide_index=True, width="stretch")
    with tabs[1]:
        st.markdown("**By QD family**")
        st.dataframe(role_counts(shown["QD family"], r, "QD family"), hide_index=True, width="stretch")
    with tabs[2]:
        st.markdown("**By treatment**")
        if has_treatment:
            st.dataframe(role_counts(shown["treatment"].astype(str).replace("", "unspecified"), r, "treatment"),
                         hide_index=True, width="stretch")
        else:
            st.caption("This dataset has no `treatment` column yet.")
