"""Nested cross-validation of one target under one scheme, beside baselines on the same folds.

Outer folds come from :mod:`qdml.evaluation.splits`; on each training side an inner CV picks the
estimator (:func:`qdml.models.select_estimator`), whose inner fold models also give CV+ intervals
for the held-out rows. Nothing fitted ever sees its own test rows. Folds that hold out few rows
share one model choice per block (:func:`plan_blocks`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import clone

from qdml.evaluation import baselines as B
from qdml.evaluation.metrics import bootstrap_mae_ci, score, spread
from qdml.evaluation.splits import Fold
from qdml.learn.estimators import (
    DEFAULT_CONFIDENCE,
    candidate_estimators,
    cv_plus_interval,
    select_estimator,
)
from qdml.learn.predictor import PeakContext, finish_prediction, peak_windows
from qdml.learn.threads import one_thread
from qdml.targets import TARGETS


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
    role: np.ndarray | None = None  # treated / control, for the family-median baseline
    context: PeakContext | None = None  # the peak's prior, native rows and halide exchange
    groups: np.ndarray | None = None  # inner model-choice groups (as the outer scheme groups rows)


#: Folds share model choices in blocks that hold out at most 1/MAX_SELECTIONS of the rows
#: together; each block's inner CV runs once on the rows no fold of the block tests.
MAX_SELECTIONS = 5
#: Below this many rows every fold keeps its own choice: small data is cheap to nest fully, and
#: a block's held-out fifth would cost the choice too much (24 review rows: 14.4 -> 15.6 nm).
SHARE_FROM_ROWS = 40


def _fold_frame(
    data: TargetData, A: np.ndarray, fold: Fold, fold_id: int, sel, estimator, confidence: float, mode: str, columns
) -> pd.DataFrame:
    """Fit ``estimator`` (the block's choice) on the fold's training side and score its test rows.

    ``A`` is ``data.X`` as an array; ``columns`` picks this fold's test rows out of
    ``sel.test_fold_predictions``.
    """
    tr, te = fold.train, fold.test
    X_tr, X_te = A[tr], A[te]
    y_tr = data.y[tr]
    model = clone(estimator).fit(X_tr, y_tr)
    pred = model.predict(X_te)
    lo, hi = cv_plus_interval(sel.test_fold_predictions[:, columns], sel.oof_residuals, confidence)
    window = peak_windows(data.qd[te]) if data.qd is not None else None
    context = data.context.take(te) if data.context is not None else None
    # the same finishing step as every prediction a user gets (peak context, band-gap window, range)
    pred, lo, hi = finish_prediction(data.target, pred, np.minimum(lo, pred), np.maximum(hi, pred), None, window,
                                     context)
    role_tr = data.role[tr] if data.role is not None else np.full(len(tr), "")
    role_te = data.role[te] if data.role is not None else np.full(len(te), "")
    out = pd.DataFrame(
        {
            "line": data.lines[te],
            "fold": fold_id,
            "repeat": fold.repeat,
            "group": fold.group,
            "y": data.y[te],
            "pred": pred,
            "lo": lo,
            "hi": hi,
            "estimator": sel.name,
            "family": data.family[te],
            "baseline:mean": B.training_mean(y_tr, len(te)),
            "baseline:family-mean": B.family_mean(y_tr, data.family[tr], data.family[te]),
            "baseline:family-median": B.family_median(y_tr, data.family[tr], role_tr, data.family[te], role_te),
            "baseline:nearest-neighbour": B.nearest_neighbour(X_tr, y_tr, X_te),
        }
    )
    if data.target == "peak_nm" and mode == "absolute" and B.BANDGAP_PEAK_COLUMN in data.X.columns:
        out["baseline:band-gap-prior"] = B.bandgap_prior(data.X.iloc[te])
        prior = B.colour_prior(data.X.iloc[te])
        out["baseline:colour-prior"] = finish_prediction(data.target, prior, prior, prior, None, window, context)[0]
    if data.control is not None:
        out["baseline:no-change"] = data.control[te]
        out["baseline:control-plus-median-change"] = B.control_plus_median_change(
            data.control[tr], y_tr, data.control[te], TARGETS[data.target].paired_space)
    return out


def run_block(data: TargetData, block: list[tuple[int, Fold]], random_state: int, confidence: float, mode: str):
    """One inner-CV model choice for a block of outer folds, then every fold of the block.

    The choice is made on the rows every fold of the block trains on, so it never sees a test
    row of any of them; its inner fold models give the CV+ intervals of all their test rows.
    """
    # inputs are checked finite once, by the featurizer; per-call checks cost ~10 % of these tiny fits
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        return _run_block(data, block, random_state, confidence, mode)


def _run_block(data: TargetData, block: list[tuple[int, Fold]], random_state: int, confidence: float, mode: str):
    train = block[0][1].train
    for _, fold in block[1:]:
        train = np.intersect1d(train, fold.train)
    tests = [np.asarray(fold.test) for _, fold in block]
    union = np.concatenate(tests)
    sel = select_estimator(
        data.X.iloc[train], data.y[train], data.target, random_state=random_state,
        X_test=data.X.iloc[union], mode=mode, groups=None if data.groups is None else data.groups[train],
    )
    # numpy and a positional estimator: pandas name checks cost more than these small fits
    A = data.X.to_numpy(dtype=float)
    estimator = candidate_estimators(data.target, random_state, mode, list(data.X.columns))[sel.name]
    parts, start = [], 0
    for (fold_id, fold), te in zip(block, tests):
        columns = np.arange(start, start + len(te))
        start += len(te)
        parts.append((fold_id, _fold_frame(data, A, fold, fold_id, sel, estimator, confidence, mode, columns)))
    return parts


def predictions_for(
    data: TargetData,
    folds: list[Fold],
    random_state: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    mode: str = "absolute",
    n_jobs: int = 1,
    max_selections: int | None = MAX_SELECTIONS,
) -> pd.DataFrame:
    """Held-out predictions of the model and every baseline, one row per (row, fold).

    Folds are dealt into blocks (:func:`plan_blocks`) that together hold out at most
    1/``max_selections`` of the rows, and each block's model is chosen once, by inner CV on the
    rows no fold of the block tests: the choice never sees a test row, it is made on at most
    1/``max_selections`` fewer rows, and leave-one-out costs ``max_selections`` choices instead
    of one per row. Folds that hold out more (k-fold) and targets with fewer than
    :data:`SHARE_FROM_ROWS` rows keep one choice per fold (plain nested CV). Each fold's point
    prediction is still fitted on that fold's whole training side.
    """
    if not folds:
        return pd.DataFrame()
    blocks = plan_blocks(folds, max_selections, random_state, n_rows=len(data.y))
    return assemble_blocks(list(run_blocks(((data, b, random_state, confidence, mode) for b in blocks), n_jobs)))


def run_blocks(calls, n_jobs: int = 1):
    """``run_block(*call)`` for every call, in order, as they finish (joblib workers unless ``n_jobs == 1``)."""
    if n_jobs == 1:
        return _one_thread(calls)
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, return_as="generator")(delayed(run_block)(*c) for c in calls)


def _one_thread(calls):
    """Blocks in this process on one BLAS/OpenMP thread, as joblib's workers run them: threads
    on 100-row matrices only wait for each other (the default evaluation took 245 CPU-s on
    2 cores with them, 79 without; the numbers are the same)."""
    with one_thread():
        for c in calls:
            yield run_block(*c)


def plan_blocks(folds: list[Fold], max_selections: int | None = MAX_SELECTIONS, random_state: int = 0,
                n_rows: int | None = None) -> list[list[tuple[int, Fold]]]:
    """Deal (fold index, fold) pairs into blocks that share one model choice.

    Folds (in a seeded random order) join the first block whose held-out rows stay, together,
    within ``n_rows / max_selections``; a fold that alone holds out more keeps its own block.
    So leave-one-out gets about ``max_selections`` blocks, the many small folds of leave-one-element-out
    pack together while the Pb or Cs fold stays alone, and k-fold keeps one choice per fold.
    """
    if n_rows is None:
        n_rows = len(np.unique(np.concatenate([np.asarray(f.test) for f in folds]))) if folds else 0
    if not max_selections or n_rows < SHARE_FROM_ROWS:
        return [[(i, f)] for i, f in enumerate(folds)]
    limit = n_rows / max_selections
    blocks: list[list[tuple[int, Fold]]] = []
    held: list[set] = []
    for i in np.random.default_rng(random_state).permutation(len(folds)):
        test = set(np.asarray(folds[i].test).tolist())
        for block, rows in zip(blocks, held):
            if len(rows | test) <= limit:
                block.append((int(i), folds[i]))
                rows |= test
                break
        else:
            blocks.append([(int(i), folds[i])])
            held.append(set(test))
    return [sorted(b, key=lambda pair: pair[0]) for b in blocks]


def assemble_blocks(parts: list) -> pd.DataFrame:
    """One frame from the outputs of ``run_block``, in fold order, with the block as ``selection``."""
    if not parts:
        return pd.DataFrame()
    frames = [frame.assign(selection=k) for k, block in enumerate(parts) for _, frame in block]
    order = np.argsort([fold_id for block in parts for fold_id, _ in block], kind="stable")
    return pd.concat([frames[i] for i in order], ignore_index=True)


def summarize_predictions(preds: pd.DataFrame, random_state: int = 0) -> dict:
    """The metrics of one (target, scheme, mode, features) entry, baselines beside the model."""
    if preds.empty:
        return {
            "n": 0, "mae": None, "rmse": None, "r2": None, "spearman": None, "mae_sd": None,
            "baseline_mae": None, "baselines": {}, "mae_ci": [None, None], "coverage": None,
            "estimator": None, "n_folds": 0, "skill": None, "best_baseline": None, "best_baseline_mae": None,
            "skill_vs_best": None,
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
    scored = {k: v for k, v in baselines.items() if v is not None}
    best = min(scored, key=lambda k: (scored[k], k)) if scored else None
    entry["best_baseline"] = best
    entry["best_baseline_mae"] = scored.get(best) if best else None
    entry["skill_vs_best"] = (1 - entry["mae"] / scored[best]) if best and scored[best] else None
    if best:  # paired bootstrap of (model error - best baseline error), on the same held-out rows
        b = preds[f"baseline:{best}"].to_numpy(float)
        ok = np.isfinite(b)
        diff = err[ok] - np.abs(b[ok] - y[ok])
        tol = 1e-9 * max(1.0, abs(scored[best]))  # a rule scored against itself differs by rounding only
        diff = np.where(np.abs(diff) <= tol, 0.0, diff)
        if abs(entry["mae"] - scored[best]) <= tol:
            entry["skill_vs_best"] = 0.0
        d_lo, d_hi = bootstrap_mae_ci(diff, random_state=random_state)
        entry["vs_best_ci"] = [d_lo, d_hi]
        entry["worse_than_best_baseline"] = bool(d_lo is not None and d_lo > tol)
        entry["beats_best_baseline"] = bool(d_hi is not None and d_hi < -tol)
    else:
        entry["vs_best_ci"], entry["worse_than_best_baseline"], entry["beats_best_baseline"] = [None, None], False, False
    inside = (preds["lo"] <= preds["y"]) & (preds["y"] <= preds["hi"])
    entry["coverage"] = float(inside.mean())
    entry["interval_width"] = float((preds["hi"] - preds["lo"]).median())
    counts = Counter(preds.drop_duplicates("fold")["estimator"])
    entry["estimator"] = counts.most_common(1)[0][0]
    entry["estimator_counts"] = dict(counts)
    entry["n_folds"] = int(preds["fold"].nunique())
    entry["n_selections"] = int(preds["selection"].nunique()) if "selection" in preds else entry["n_folds"]
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
    entry["worse_than_baseline"] = bool(base is not None and lo_ci is not None and lo_ci > base)
    return entry
