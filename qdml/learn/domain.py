"""Applicability domain: is a ligand-QD pair close enough to the training data to trust a prediction?

Two tests: distance in standardized feature space to the nearest training row, against a
percentile (``quantile``, 95th by default) of the training rows' own leave-one-out nearest-neighbour distances; and categories
never seen in training (an element, a ligand class, a QD family).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_selection import VarianceThreshold
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from qdml.chemistry.composition import parse_qd_composition
from qdml.chemistry.ligands import parse_ligand
from qdml.features.context import ligand_elements, qd_elements
from qdml.learn.threads import one_thread


class ApplicabilityDomain(BaseEstimator):
    """Flags pairs far from the training data and says why (``in_domain``, ``reason``)."""

    def __init__(self, quantile: float = 0.95):
        self.quantile = quantile

    def fit(self, X: pd.DataFrame, elements: list[set], ligand_classes, families):
        self.scaler_ = make_pipeline(VarianceThreshold(0.0), StandardScaler()).fit(np.asarray(X, float))
        Z = self.scaler_.transform(np.asarray(X, float))
        self.nn_ = NearestNeighbors(n_neighbors=min(2, len(Z))).fit(Z)
        dist, _ = self.nn_.kneighbors(Z)
        own = dist[:, -1] if dist.shape[1] > 1 else dist[:, 0]
        self.threshold_ = float(np.quantile(own, self.quantile)) if len(own) else 0.0
        self.elements_ = sorted(set().union(*elements)) if elements else []
        self.ligand_classes_ = sorted(set(ligand_classes))
        self.families_ = sorted(set(families))
        return self

    def neighbours(self, X, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """(distance ratios, training-row indices) of the ``k`` nearest training rows of each row."""
        check_is_fitted(self, "threshold_")
        Z = self.scaler_.transform(np.asarray(X, float))
        d, idx = nearest_rows(self.nn_, Z, min(k, self.nn_.n_samples_fit_))
        ratio = d / self.threshold_ if self.threshold_ > 0 else np.where(d > 0, np.inf, 0.0)
        return ratio, idx

    def assess(self, X: pd.DataFrame, elements: list[set], ligand_classes, families) -> pd.DataFrame:
        """Columns ``in_domain`` (bool), ``domain_reason`` (str), ``domain_distance`` (ratio to threshold),
        ``nearest_row`` (index of the closest training row, in training order)."""
        check_is_fitted(self, "threshold_")
        Z = self.scaler_.transform(np.asarray(X, float))
        d, nearest = nearest_rows(self.nn_, Z, 1)
        d = d[:, 0]
        ratio = d / self.threshold_ if self.threshold_ > 0 else np.where(d > 0, np.inf, 0.0)
        seen_el, seen_cls, seen_fam = set(self.elements_), set(self.ligand_classes_), set(self.families_)
        reasons = []
        for r, els, cls, fam in zip(ratio, elements, ligand_classes, families):
            why = novelty_reason(set(els) - seen_el, cls if cls not in seen_cls else None,
                                 fam if fam not in seen_fam else None)
            if r > 1:
                why = "; ".join(filter(None, [why, distance_reason(r, self.quantile)]))
            reasons.append(why)
        reasons = np.array(reasons, dtype=object)
        return pd.DataFrame(
            {"in_domain": reasons == "", "domain_reason": reasons, "domain_distance": ratio,
             "nearest_row": nearest[:, 0]}
        )


#: Below this many rows a nearest-neighbour query runs on one thread: starting OpenMP's threads
#: costs more CPU (~50 ms) than a one-pair query itself.
SINGLE_THREAD_ROWS = 2048


def nearest_rows(nn: NearestNeighbors, Z: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(distances, training-row indices) of the ``k`` nearest training rows of each row of ``Z``
    (the same numbers on any thread count)."""
    if len(Z) >= SINGLE_THREAD_ROWS:
        return nn.kneighbors(Z, n_neighbors=k)
    with one_thread("openmp"):
        return nn.kneighbors(Z, n_neighbors=k)


def nearest_distance(nn: NearestNeighbors, Z: np.ndarray) -> np.ndarray:
    """Distance of each row of ``Z`` to its nearest training row (the same numbers on any thread count)."""
    return nearest_rows(nn, Z, 1)[0][:, 0]


def assess_pairs(domain: ApplicabilityDomain, X: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """:meth:`ApplicabilityDomain.assess` for a frame of pairs (columns ``ligand``, ``qd``), in bulk
    (with ``nearest_row``, the index of the closest training row).

    The same columns and words, but the unseen elements, ligand class and QD family are worked
    out once per distinct ligand and composition (and their reason once per combination), so a
    million rows cost their nearest-neighbour query and a few array operations.
    """
    check_is_fitted(domain, "threshold_")
    seen_el, seen_cls, seen_fam = set(domain.elements_), set(domain.ligand_classes_), set(domain.families_)
    li, ligands = pd.factorize(frame["ligand"])
    qi, qds = pd.factorize(frame["qd"])
    lig_new = []
    for v in ligands:
        lig = parse_ligand(v)
        lig_new.append((ligand_elements(lig) - seen_el, lig.ligand_class if lig.ligand_class not in seen_cls else None))
    qd_new = []
    for v in qds:
        comp = parse_qd_composition(v)
        qd_new.append((qd_elements(comp) - seen_el, comp.family if comp.family not in seen_fam else None))
    pair, combos = pd.factorize(li.astype(np.int64) * max(1, len(qds)) + qi)
    texts = np.empty(len(combos), dtype=object)
    for k, code in enumerate(combos):
        (lel, cls), (qel, fam) = lig_new[code // max(1, len(qds))], qd_new[code % max(1, len(qds))]
        texts[k] = novelty_reason(lel | qel, cls, fam)
    reasons = texts[pair] if len(pair) else np.empty(0, dtype=object)

    Z = domain.scaler_.transform(np.asarray(X, float))
    d, nearest = nearest_rows(domain.nn_, Z, 1)
    d = d[:, 0]
    ratio = d / domain.threshold_ if domain.threshold_ > 0 else np.where(d > 0, np.inf, 0.0)
    far = np.flatnonzero(ratio > 1)
    if len(far):
        reasons = reasons.copy()
        for i in far:
            reasons[i] = "; ".join(filter(None, [reasons[i], distance_reason(ratio[i], domain.quantile)]))
    return pd.DataFrame({"in_domain": reasons == "", "domain_reason": reasons, "domain_distance": ratio,
                         "nearest_row": nearest[:, 0]})


def novelty_reason(new_elements, new_class: str | None, new_family: str | None) -> str:
    """The reason text for categories never seen in training ('' when nothing is new)."""
    why = []
    if new_elements:
        why.append("element never seen in training: " + ", ".join(sorted(new_elements)))
    if new_class is not None:
        why.append(f"ligand class never seen: {new_class}")
    if new_family is not None:
        why.append(f"QD family never seen: {new_family}")
    return "; ".join(why)


def distance_reason(ratio: float, quantile: float = 0.95) -> str:
    return f"feature distance {ratio:.1f}x the training set's {100 * quantile:g}th percentile"


def widen(pred: np.ndarray, lo: np.ndarray, hi: np.ndarray, assessment: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Widen intervals out of domain: half-widths grow with the distance ratio, x1.5 for unseen categories.

    Conformal coverage assumes test pairs resemble training pairs; outside the domain it does
    not hold, so the interval says so by growing (a stated heuristic, not a guarantee).
    """
    factor = np.maximum(1.0, assessment["domain_distance"].to_numpy(float))
    novel = assessment["domain_reason"].str.contains("never seen").to_numpy()
    factor = np.where(novel, np.maximum(factor, 1.0) * 1.5, factor)
    factor = np.where(np.isfinite(factor), factor, 3.0)
    return pred - (pred - lo) * factor, pred + (hi - pred) * factor
