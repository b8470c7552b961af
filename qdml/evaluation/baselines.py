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


def training_mean(y_train: np.ndarray, n_test: int) -> np.ndarray:
    return np.full(n_test, float(np.mean(y_train)))


def family_mean(y_train: np.ndarray, fam_train: np.ndarray, fam_test: np.ndarray) -> np.ndarray:
    """Mean of the training rows of the same QD family; the overall mean where a family is new."""
    means = pd.Series(y_train).groupby(np.asarray(fam_train)).mean()
    overall = float(np.mean(y_train))
    return np.array([means.get(f, overall) for f in fam_test], dtype=float)


def nearest_neighbour(X_train, y_train: np.ndarray, X_test) -> np.ndarray:
    """1-NN in standardized feature space (Meredig et al. 2018's reference model)."""
    model = make_pipeline(VarianceThreshold(0.0), StandardScaler(), KNeighborsRegressor(n_neighbors=1))
    return model.fit(np.asarray(X_train, float), y_train).predict(np.asarray(X_test, float))


def bandgap_prior(X_test: pd.DataFrame) -> np.ndarray:
    """The composition's band-gap emission wavelength, no fitting at all."""
    return X_test[BANDGAP_PEAK_COLUMN].to_numpy(dtype=float)
