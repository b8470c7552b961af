"""Nested cross-validation of one target under one scheme, beside baselines on the same folds.

Outer folds come from :mod:`qdml.evaluation.splits`; on each training side an inner CV picks the
estimator (:func:`qdml.models.select_estimator`), whose inner fold models also give CV+ intervals
for the held-out rows. Nothing fitted ever sees its own test rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from qdml.evaluation import baselines as B
from qdml.evaluation.metrics import bootstrap_mae_ci, score, spread
from qdml.evaluation.splits import Fold
from qdml.models import DEFAULT_CONFIDENCE, cv_plus_interval, select_estimator


@dataclass
class TargetData:
    """Rows of one target: features, values, and what each row is (for grouping and baselines)."""

    target: str
    X: pd.DataFrame
    y: np.ndarray
    family: np.ndarray
    lines: np.ndarray
    control: np.ndarray | None = None  # paired mode: the control's value of the same target
    qd: np.ndarray | None = None  # compositions, to keep peaks inside their band-gap window


def _run_fold(data: TargetData, fold: Fold, fold_id: int, random_state: int, confidence: float, mode: str) -> pd.DataFrame:
    tr, te = fold.train, fold.test
    X_tr, X_te = data.X.iloc[tr], data.X.iloc[te]
    y_tr = data.y[tr]
    sel = select_estimator(X_tr, y_tr, data.target, random_state=random_state, X_test=X_te, mode=mode)
    model = clone(sel.estimator).fit(X_tr, y_tr)
    pred = model.predict(X_te)
    lo, hi = cv_plus_interval(sel.test_fold_predictions, sel.oof_residuals, confidence)
    if data.target == "peak_nm" and data.qd is not None:
        from qdml.workflows import _clip_to_window

        pred, lo, hi = _clip_to_window(pd.Series(data.qd[te]), pred, lo, hi)
    out = pd.DataFrame(
        {
            "line": data.lines[te],
            "fold": fold_id,
            "repeat": fold.repeat,
            "group": fold.group,
            "y": data.y[te],
            "pred": pred,
            "lo": np.minimum(lo, pred),
            "hi": np.maximum(hi, pred),
            "estimator": sel.name,
            "family": data.family[te],
            "baseline:mean": B.training_mean(y_tr, len(te)),
            "baseline:family-mean": B.family_mean(y_tr, data.family[tr], data.family[te]),
            "baseline:nearest-neighbour": B.nearest_neighbour(X_tr, y_tr, X_te),
        }
    )
    if data.target == "peak_nm" and mode == "absolute" and B.BANDGAP_PEAK_COLUMN in X_te.columns:
        out["baseline:band-gap-prior"] = B.bandgap_prior(X_te)
    if data.control is not None:
        out["baseline:no-change"] = data.control[te]
    return out


def predictions_for(
    data: TargetData,
    folds: list[Fold],
    random_state: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    mode: str = "absolute",
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Held-out predictions of the model and every baseline, one row per (row, fold)."""
    if not folds:
        return pd.DataFrame()
    if n_jobs == 1:
        parts = [_run_fold(data, f, i, random_state, confidence, mode) for i, f in enumerate(folds)]
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(
            delayed(_run_fold)(data, f, i, random_state, confidence, mode) for i, f in enumerate(folds)
        )
    return pd.concat(parts, ignore_index=True)


def summarize_predictions(preds: pd.DataFrame, random_state: int = 0) -> dict:
    """The metrics of one (target, scheme, mode, features) entry, baselines beside the model."""
    if preds.empty:
        return {
            "n": 0, "mae": None, "rmse": None, "r2": None, "spearman": None, "mae_sd": None,
            "baseline_mae": None, "baselines": {}, "mae_ci": [None, None], "coverage": None,
            "estimator": None, "n_folds": 0, "skill": None,
        }
    y, p = preds["y"].to_numpy(float), preds["pred"].to_numpy(float)
    err = np.abs(p - y)
    entry = score(y, p)
    entry["mae_sd"] = spread(err, preds["fold"].to_numpy(), preds["repeat"].to_numpy())
    entry["mae_ci"] = bootstrap_mae_ci(err, random_state=random_state)
    baselines = {}
    for col in [c for c in preds.columns if c.startswith("baseline:")]:
        b = preds[col].to_numpy(float)
        ok = np.isfinite(b)
        baselines[col.split(":", 1)[1]] = float(np.abs(b[ok] - y[ok]).mean()) if ok.any() else None
    entry["baselines"] = baselines
    entry["baseline_mae"] = baselines.get("mean")
    reference = baselines.get("no-change", entry["baseline_mae"])
    entry["skill"] = (1 - entry["mae"] / reference) if reference else None
    inside = (preds["lo"] <= preds["y"]) & (preds["y"] <= preds["hi"])
    entry["coverage"] = float(inside.mean())
    entry["interval_width"] = float((preds["hi"] - preds["lo"]).median())
    counts = Counter(preds.drop_duplicates("fold")["estimator"])
    entry["estimator"] = counts.most_common(1)[0][0]
    entry["estimator_counts"] = dict(counts)
    entry["n_folds"] = int(preds["fold"].nunique())
    entry["n_rows"] = int(preds["line"].nunique())
    lo_ci, hi_ci = entry["mae_ci"]
    base = reference
    if base is None or lo_ci is None:
        verdict = "not enough held-out rows to judge"
    elif hi_ci < base:
        verdict = "beats the baseline (whole 95% interval below it)"
    elif lo_ci > base:
        verdict = "worse than the baseline beyond the 95% interval"
    else:
        verdict = "indistinguishable from the baseline at this sample size"
    entry["verdict"] = verdict
    return entry
