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

from qdml.evaluation.schemes import SCHEMES  # noqa: E402  (a light module: the CLI's --help reads it)

#: A fold whose training side is smaller than this cannot train anything worth scoring.
MIN_TRAIN = 5


@dataclass(frozen=True)
class Fold:
    train: np.ndarray
    test: np.ndarray
    repeat: int = 0
    group: str = ""


@dataclass(frozen=True)
class RowKeys:
    """What each row is, for grouping: canonical ligand, QD notation, paper, element set."""

    ligand: np.ndarray
    qd: np.ndarray
    reference: np.ndarray
    elements: list[frozenset]


def row_keys(frame: pd.DataFrame) -> RowKeys:
    """Group labels per row; each unique ligand and composition is parsed once."""
    from qdml.chemistry.composition import parse_qd_composition
    from qdml.chemistry.ligands import parse_ligand

    lig_cache = {v: parse_ligand(v) for v in frame["ligand"].unique()}
    qd_cache = {v: parse_qd_composition(v) for v in frame["qd"].unique()}

    def lig_elements(lig) -> set[str]:
        out = set(getattr(lig, "elements", {}) or {})
        for comp, _ in getattr(lig, "components", []) or []:
            if comp is not lig:
                out |= set(getattr(comp, "elements", {}) or {})
        return out

    def qd_elements(comp) -> set[str]:
        out = set(getattr(comp, "element_fractions", {}) or {})
        for layer in getattr(comp, "layers", []) or []:
            out |= set(_formula_elements(str(layer)))
        return out

    elements = [
        frozenset(lig_elements(lig_cache[lv]) | qd_elements(qd_cache[qv]))
        for lv, qv in zip(frame["ligand"], frame["qd"])
    ]
    references = frame["reference"] if "reference" in frame.columns else [""] * len(frame)
    refs = [r if r else f"(no reference, line {line})" for r, line in zip(references, frame.index)]
    return RowKeys(
        ligand=np.array([lig_cache[v].name for v in frame["ligand"]], dtype=object),
        qd=np.array([str(v).replace(" ", "") for v in frame["qd"]], dtype=object),
        reference=np.array(refs, dtype=object),
        elements=elements,
    )


def _formula_elements(text: str) -> list[str]:
    import re

    return re.findall(r"[A-Z][a-z]?", text)


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
