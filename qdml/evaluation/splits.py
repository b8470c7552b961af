"""Cross-validation schemes by name, from the optimistic (random k-fold) to the honest ones.

Random k-fold flatters small materials data (Meredig et al., Mol. Syst. Des. Eng. 2018, 3, 819:
leave-one-cluster-out; MatFold, Digital Discovery 2025: hold out whole elements or families).
Grouped schemes keep a ligand, a composition, a paper, a cluster or an element on one side only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import LeaveOneGroupOut, LeaveOneOut, RepeatedKFold

from qdml.evaluation.schemes import SCHEMES  # noqa: F401  (a light module: the CLI's --help reads it)
from qdml.features.context import RowKeys, row_keys  # noqa: F401

#: A fold whose training side is smaller than this cannot train anything worth scoring.
MIN_TRAIN = 5


@dataclass(frozen=True)
class Fold:
    train: np.ndarray
    test: np.ndarray
    repeat: int = 0
    group: str = ""


def _grouped(groups: np.ndarray) -> list[Fold]:
    idx = np.arange(len(groups))
    folds = []
    for train, test in LeaveOneGroupOut().split(idx, groups=groups):
        folds.append(Fold(train, test, 0, str(groups[test[0]])))
    return folds


def make_folds(
    scheme: str,
    keys: RowKeys,
    X: np.ndarray | pd.DataFrame | None = None,
    random_state: int = 0,
    n_clusters: int | None = None,
) -> list[Fold]:
    """The outer folds of ``scheme`` over the rows described by ``keys``.

    Folds whose training side has fewer than :data:`MIN_TRAIN` rows are dropped (and so not
    scored) rather than scored on a model that saw almost nothing.
    """
    n = len(keys.ligand)
    idx = np.arange(n)
    if scheme == "repeated-kfold":
        k = max(2, min(5, n))
        rkf = RepeatedKFold(n_splits=k, n_repeats=3, random_state=random_state)
        folds = [Fold(tr, te, i // k) for i, (tr, te) in enumerate(rkf.split(idx))]
    elif scheme == "leave-one-out":
        folds = [Fold(tr, te, 0, str(te[0])) for tr, te in LeaveOneOut().split(idx)]
    elif scheme == "leave-one-ligand-out":
        folds = _grouped(keys.ligand)
    elif scheme == "leave-one-qd-out":
        folds = _grouped(keys.qd)
    elif scheme == "leave-one-reference-out":
        folds = _grouped(keys.reference)
    elif scheme == "leave-one-cluster-out":
        if X is None:
            raise ValueError("leave-one-cluster-out needs the feature matrix")
        from sklearn.cluster import KMeans
        from sklearn.preprocessing import StandardScaler

        k = n_clusters or int(min(10, max(2, n // 6)))
        Z = StandardScaler().fit_transform(np.asarray(X, dtype=float))
        Z = np.nan_to_num(Z)
        labels = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit_predict(Z)
        folds = _grouped(np.array([f"cluster {c}" for c in labels], dtype=object))
    elif scheme == "leave-one-element-out":
        all_elements = sorted(set().union(*keys.elements)) if keys.elements else []
        folds = []
        for el in all_elements:
            test = np.array([i for i in idx if el in keys.elements[i]])
            train = np.array([i for i in idx if el not in keys.elements[i]])
            if len(test) and len(train):
                folds.append(Fold(train, test, 0, el))
    else:
        raise ValueError(f"unknown scheme {scheme!r}; choose from {', '.join(SCHEMES)}")
    return [f for f in folds if len(f.train) >= MIN_TRAIN and len(f.test) > 0]
