"""Baselines scored on the same folds as the model: a score without one means nothing.

Each baseline is a pure function ``(train rows, test rows) -> predictions for the test rows``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_selection import VarianceThreshold
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

#: Feature column with the composition-only band-gap prior of the emission peak.
BANDGAP_PEAK_COLUMN = "pair__bandgap_peak_nm"
#: Feature column with the prior the peak model starts from (pristine peak, colour, or confinement).
PEAK_PRIOR_COLUMN = "pair__peak_prior_nm"


def training_mean(y_train: np.ndarray, n_test: int) -> np.ndarray:
    return np.full(n_test, float(np.mean(y_train)))


def family_mean(y_train: np.ndarray, fam_train: np.ndarray, fam_test: np.ndarray) -> np.ndarray:
    """Mean of the training rows of the same QD family; the overall mean where a family is new."""
    means = pd.Series(y_train).groupby(np.asarray(fam_train)).mean()
    overall = float(np.mean(y_train))
    return np.array([means.get(f, overall) for f in fam_test], dtype=float)


def family_median(y_train: np.ndarray, fam_train, role_train, fam_test, role_test) -> np.ndarray:
    """Median of the training rows of the same QD family and role (treated/control).

    Falls back to the family's median over both roles, then to the overall median, where a
    (family, role) or a family is new to the training side.
    """
    y = pd.Series(np.asarray(y_train, dtype=float))
    fam, role = np.asarray(fam_train, dtype=object), np.asarray(role_train, dtype=object)
    by_both = y.groupby([fam, role]).median()
    by_family = y.groupby(fam).median()
    overall = float(np.median(y_train))
    return np.array([by_both.get((f, r), by_family.get(f, overall)) for f, r in zip(fam_test, role_test)], dtype=float)


def control_plus_median_change(control_train, y_train, control_test, space: str | None) -> np.ndarray:
    """The control's value changed by the median change of the training pairs.

    In the target's paired space: a difference (PLQY), a ratio (EQE, ``log``) or a photon-energy
    shift (peak, ``energy``).
    """
    c_tr, y_tr, c_te = (np.asarray(v, dtype=float) for v in (control_train, y_train, control_test))
    if space == "log":
        floor = 1e-3
        ratio = float(np.median(np.maximum(y_tr, floor) / np.maximum(c_tr, floor)))
        return c_te * ratio
    if space == "energy":
        hc = 1239.84193
        shift = float(np.median(hc / y_tr - hc / c_tr))
        return hc / np.maximum(hc / c_te + shift, 0.05)
    return c_te + float(np.median(y_tr - c_tr))


def nearest_neighbour(X_train, y_train: np.ndarray, X_test) -> np.ndarray:
    """1-NN in standardized feature space (Meredig et al. 2018's reference model)."""
    model = make_pipeline(VarianceThreshold(0.0), StandardScaler(), KNeighborsRegressor(n_neighbors=1))
    return model.fit(np.asarray(X_train, float), y_train).predict(np.asarray(X_test, float))


def bandgap_prior(X_test: pd.DataFrame) -> np.ndarray:
    """The composition's bulk band-gap emission wavelength, no fitting at all."""
    return X_test[BANDGAP_PEAK_COLUMN].to_numpy(dtype=float)


def colour_prior(X_test: pd.DataFrame) -> np.ndarray:
    """The prior the peak model starts from, no fitting at all: pristine peak, else the nominal
    colour, else the composition's confinement-aware estimate (callers finish it like a prediction)."""
    return X_test[PEAK_PRIOR_COLUMN].to_numpy(dtype=float)
