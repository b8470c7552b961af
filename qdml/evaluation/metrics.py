"""Scores of held-out predictions, with the uncertainty that small data deserves."""

from __future__ import annotations

import math

import numpy as np


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def bootstrap_mae_ci(abs_errors: np.ndarray, n_boot: int = 2000, level: float = 0.95, random_state: int = 0) -> list[float | None]:
    """Percentile bootstrap interval of the MAE over held-out predictions."""
    e = np.asarray(abs_errors, dtype=float)
    if len(e) < 2:
        return [None, None]
    rng = np.random.default_rng(random_state)
    means = e[rng.integers(0, len(e), size=(n_boot, len(e)))].mean(axis=1)
    a = (1 - level) / 2
    return [float(np.quantile(means, a)), float(np.quantile(means, 1 - a))]


def bootstrap_mae_difference_ci(errors_a: np.ndarray, errors_b: np.ndarray, n_boot: int = 2000, level: float = 0.95,
                                random_state: int = 0) -> list[float | None]:
    """Paired bootstrap interval of MAE(a) - MAE(b) over the same held-out predictions.

    Resampling rows jointly keeps what the two share (the same hard rows), so the difference is
    known better than the two MAE intervals side by side suggest.
    """
    a, b = np.asarray(errors_a, dtype=float), np.asarray(errors_b, dtype=float)
    if len(a) < 2 or len(a) != len(b):
        return [None, None]
    rng = np.random.default_rng(random_state)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    diffs = a[idx].mean(axis=1) - b[idx].mean(axis=1)
    q = (1 - level) / 2
    return [float(np.quantile(diffs, q)), float(np.quantile(diffs, 1 - q))]


def spearman(y: np.ndarray, p: np.ndarray) -> float | None:
    from scipy.stats import spearmanr

    if len(y) < 3 or np.ptp(y) == 0 or np.ptp(p) == 0:
        return None
    return _finite(spearmanr(y, p).statistic)


def r2(y: np.ndarray, p: np.ndarray) -> float | None:
    ss_tot = float(((y - y.mean()) ** 2).sum())
    if len(y) < 2 or ss_tot == 0:
        return None
    return _finite(1 - float(((y - p) ** 2).sum()) / ss_tot)


def spread(abs_errors: np.ndarray, fold_ids: np.ndarray, repeat_ids: np.ndarray) -> float | None:
    """SD of the MAE across repeats when there are several, else across folds."""
    ids = repeat_ids if len(np.unique(repeat_ids)) > 1 else fold_ids
    maes = [abs_errors[ids == i].mean() for i in np.unique(ids)]
    return _finite(float(np.std(maes, ddof=1))) if len(maes) > 1 else None


def score(y: np.ndarray, pred: np.ndarray) -> dict:
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    err = np.abs(pred - y)
    return {
        "n": int(len(y)),
        "mae": _finite(float(err.mean())) if len(y) else None,
        "rmse": _finite(float(np.sqrt(((pred - y) ** 2).mean()))) if len(y) else None,
        "r2": r2(y, pred),
        "spearman": spearman(y, pred),
    }
