"""The fitted predictor: what a trained model does at prediction time, in one place.

A :class:`Predictor` holds the pair featurizer, one fitted ``Pipeline`` (features -> conformal
regressor) per target, the paired models (what a treatment changes from a control), the
applicability domain and the feature names it was fitted on. ``predict``, ``rank``, ``screen``
and the cross-validation folds all finish a prediction through :func:`finish_prediction`:
interval, widened out of domain, kept inside the target's physical range and, for the peak,
inside the composition's band-gap window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qdml.chemistry.composition import plausible_peak_range_nm
from qdml.exceptions import BundleError
from qdml.features.pair import PairFeaturizer
from qdml.learn.domain import assess_pairs, widen
from qdml.learn.estimators import DEFAULT_CONFIDENCE
from qdml.learn.state import CompactState
from qdml.targets import TARGETS

log = logging.getLogger(__name__)


def peak_windows(qds) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) emission window of each composition's band gap (``-inf``/``inf`` where unknown)."""
    qds = list(qds)
    uniq = {q: plausible_peak_range_nm(q) for q in dict.fromkeys(qds)}
    lo = np.array([uniq[q][0] if uniq[q][0] is not None else -np.inf for q in qds], dtype=float)
    hi = np.array([uniq[q][1] if uniq[q][1] is not None else np.inf for q in qds], dtype=float)
    return lo, hi


def clip_to_target(target: str, values: np.ndarray) -> np.ndarray:
    """Keep values inside the target's physical range (PLQY and EQE 0-100 %, widths positive)."""
    t = TARGETS[target]
    return np.clip(values, t.low, t.high if np.isfinite(t.high) else None)


def finish_prediction(target: str, pred, lo, hi, assessment: pd.DataFrame | None = None, window=None):
    """Widen out of domain, keep the peak inside its band-gap ``window`` (lo, hi arrays), clip to range.

    The one post-processing step of every prediction (predict, rank, screen, CV folds), so that
    the evaluation scores what users get.
    """
    pred, lo, hi = (np.asarray(v, dtype=float) for v in (pred, lo, hi))
    if assessment is not None:
        lo, hi = widen(pred, lo, hi, assessment)
    if TARGETS[target].learned_as == "energy-shift" and window is not None:
        w_lo, w_hi = window
        pred, lo, hi = np.clip(pred, w_lo, w_hi), np.clip(lo, w_lo, w_hi), np.clip(hi, w_lo, w_hi)
    return clip_to_target(target, pred), clip_to_target(target, lo), clip_to_target(target, hi)


def _one_block(X: pd.DataFrame) -> pd.DataFrame:
    """The features as one float block, without ``attrs``.

    Each of the ~25 pipeline steps of a prediction converts its input to an array: from one
    block that is a view, from the featurizer's several blocks a copy each time; and pandas
    deep-copies ``attrs`` (a per-row array) on every operation. The values (and their memory
    layout) are the same, so every prediction is too.
    """
    return pd.DataFrame(X.to_numpy(dtype=float), index=X.index, columns=X.columns)


@dataclass
class Prediction:
    """Predictions for resolved rows: ``values[target] = (pred, lo, hi)`` and the domain verdicts."""

    values: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    in_domain: np.ndarray
    domain_reason: np.ndarray
    mode: np.ndarray
    notes: list[str] = field(default_factory=list)


class Predictor(CompactState):
    """Featurizer, per-target regressors with intervals, paired models, applicability domain.

    ``models[target]`` and ``paired_models[target]`` are fitted ``Pipeline`` objects (features ->
    :class:`~qdml.learn.estimators.ConformalRegressor`); the absolute pipelines share one
    featurizer. ``target_info[target]`` holds what the CLI says about a model (estimator, rows,
    training SD). ``feature_names`` is what the featurizer produced at fit time: a bundle whose
    names differ from today's code is stale and refused by :meth:`check_features`.
    """

    def __init__(self, models: dict, paired_models: dict | None = None, domain=None,
                 feature_names: list[str] | None = None, target_info: dict | None = None):
        self.models = dict(models)
        self.paired_models = dict(paired_models or {})
        self.domain = domain
        self.feature_names = list(feature_names or [])
        self.target_info = dict(target_info or {})

    @property
    def targets(self) -> list[str]:
        return list(self.models)

    @property
    def featurizer(self):
        return next(iter(self.models.values())).named_steps["features"]

    def regressor(self, target: str):
        return self.models[target].named_steps["regressor"]

    def check_features(self, source: str = "model bundle") -> None:
        """Refuse a predictor whose feature names differ from what today's featurizer makes."""

        probe = pd.DataFrame({"ligand": ["Cl-"], "qd": ["CsPbBr3"]})
        pipes = [(False, m) for m in self.models.values()] + [(True, m) for m in self.paired_models.values()]
        for paired, pipe in pipes:
            fitted = [str(c) for c in pipe.named_steps["features"].get_feature_names_out()]
            current = [str(c) for c in PairFeaturizer(paired=paired).fit(probe).get_feature_names_out()]
            stored = self.feature_names if not paired and self.feature_names else fitted
            if fitted != current or stored != fitted:
                gone = [c for c in fitted if c not in current][:3]
                new = [c for c in current if c not in fitted][:3]
                raise BundleError(
                    f"{source} is stale: it was trained on {len(fitted)} features, this qdml makes "
                    f"{len(current)} (new: {', '.join(new) or 'none'}; gone: {', '.join(gone) or 'none'}); "
                    "retrain it with 'qdml train'"
                )

    def predict(self, frame: pd.DataFrame, confidence: float = DEFAULT_CONFIDENCE,
                targets: list[str] | None = None) -> Prediction:
        """Predict every target for resolved rows (columns ligand, qd, optional sample/control columns).

        Rows with a ``control_<target>`` value are answered by that target's paired model where
        there is one (``mode`` says which model answered).
        """
        targets = list(targets or self.targets)
        X = _one_block(self.featurizer.transform_frame(frame))
        assessment = assess_pairs(self.domain, X, frame) if self.domain is not None else None
        mode = np.full(len(frame), "absolute", dtype=object)
        window = peak_windows(frame["qd"].astype(str)) if any(
            TARGETS[t].learned_as == "energy-shift" for t in targets) else None
        values, notes = {}, []
        for t in targets:
            pred, lo, hi = self.regressor(t).predict_interval(X, confidence)
            ctrl = TARGETS[t].control_column
            if t in self.paired_models and ctrl and ctrl in frame.columns:
                has = pd.to_numeric(frame[ctrl], errors="coerce").notna().to_numpy()
                if has.any():
                    pm = self.paired_models[t]
                    info = self.target_info.get(f"paired_{t}", {})
                    if not str(info.get("estimator", "control+")).startswith("control+"):
                        notes.append(
                            f"paired {t} model ({info.get('estimator')}, {info.get('rows')} pairs) does not use "
                            f"control_{t}: on the training pairs the family's typical treated value predicted "
                            "better than any change from the control"
                        )
                    Xp = pm.named_steps["features"].transform_frame(frame[has])
                    pp, pl, ph = pm.named_steps["regressor"].predict_interval(Xp, confidence)
                    pred, lo, hi = pred.copy(), lo.copy(), hi.copy()
                    pred[has], lo[has], hi[has] = pp, pl, ph
                    mode[has] = "paired"
            values[t] = finish_prediction(t, pred, lo, hi, assessment, window)
        if assessment is not None:
            in_domain = assessment["in_domain"].to_numpy(bool)
            reason = assessment["domain_reason"].to_numpy(object)
        else:
            in_domain, reason = np.ones(len(frame), bool), np.full(len(frame), "", dtype=object)
        return Prediction(values, in_domain, reason, mode, notes)
