"""Model card: what each model was trained on, its CV against baselines, and what it cannot know."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qdml.app import state
from qdml.app.evidence import cv_table, honest_limits
from qdml.targets import TARGETS


def trained_on(metadata: dict) -> pd.DataFrame:
    """One row per model of the bundle (absolute, then paired): rows, estimator, inner CV MAE, fallback."""
    rows = []
    for key, info in (metadata.get("target_models") or {}).items():
        paired = key.startswith("paired_")
        target = key.removeprefix("paired_")
        inner = info.get("inner_cv_mae")
        if isinstance(inner, dict):  # one inner MAE per candidate: show the chosen one's
            inner = inner.get(info.get("estimator"))
        rows.append({
            "target": target,
            "model": "paired (from a control)" if paired else "absolute",
            "unit": TARGETS[target].unit if target in TARGETS else "",
            "rows": info.get("rows"),
            "estimator": info.get("estimator"),
            "inner_cv_mae": inner,
            "training_mean": info.get("mean"),
            "training_sd": info.get("sd"),
            "fallback": info.get("fallback") or "",
        })
    table = pd.DataFrame(rows)
    if not table.empty:
        order = {t: i for i, t in enumerate(metadata.get("targets") or [])}
        table = table.sort_values(["model", "target"], key=lambda c: c.map(order) if c.name == "target" else c,
                                  kind="mergesort").reset_index(drop=True)
    return table


def render() -> None:
    st.title("Model card")
    path = state.active_model()
    meta = state.bundle_metadata(path)
    st.caption(state.model_caption(path))
    st.subheader("What it was trained on")
    files = ", ".join(f"{f.get('path')} ({f.get('rows_used', f.get('rows'))} of {f.get('rows')} rows used, "
                      f"sha256 {str(f.get('sha256', ''))[:12]})" for f in meta.get("files") or [])
    st.markdown(f"{meta.get('rows')} rows: {files or 'unknown files'}. Flagged rows "
                f"{'included' if meta.get('include_flagged') else 'left out'}; random state "
                f"{meta.get('random_state')}; scikit-learn {(meta.get('versions') or {}).get('scikit-learn')}.")
    st.dataframe(trained_on(meta), hide_index=True, width="stretch")
    st.caption("inner_cv_mae: the MAE by which the estimator was chosen (inner CV, optimistic); a fallback "
               "means the chosen estimator lost to the training mean and the mean was shipped instead.")
    st.subheader("Cross-validation against baselines")
    table = cv_table(meta)
    if table.empty:
        st.info("This bundle was trained without cross-validation (qdml train with no schemes); run "
                "'qdml evaluate' for scores.")
    else:
        st.caption("Outer-fold MAE of the model beside each baseline scored on the same folds (training mean, "
                   "per-family mean, nearest neighbour; for the peak also the band-gap prior). The model counts "
                   "as better only when its whole bootstrap 95 % interval lies below the best baseline. "
                   "Coverage: share of held-out values inside the intervals.")
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.2f") for c in table.columns
                                    if table[c].dtype.kind == "f"})
    st.subheader("What it cannot know")
    data, keys = state.dataset()
    for line in honest_limits(meta, data, keys):
        st.markdown(f"- {line}")
    domain = meta.get("domain") or {}
    if domain:
        st.caption("Applicability domain: QD families " + ", ".join(domain.get("families") or [])
                   + f"; feature-space distance threshold {domain.get('threshold', float('nan')):.2f}.")
