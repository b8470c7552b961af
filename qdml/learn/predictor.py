"""The fitted predictor: what a trained model does at prediction time, in one place.

A :class:`Predictor` holds the pair featurizer, one fitted ``Pipeline`` (features -> conformal
regressor) per target, the paired models (what a treatment changes from a control), the
applicability domain and the feature names it was fitted on. ``predict``, ``rank``, ``screen``
and the cross-validation folds all finish a prediction through :func:`finish_prediction`:
for the peak, untreated ("native") QDs get the composition-and-size estimate itself and a halide
ligand on a perovskite of another halide shifts the peak toward the exchanged halide's colour
(:class:`PeakContext`); then the interval is widened out of domain, kept inside the target's
physical range and, for the peak, inside the composition's band-gap window, never of zero width.
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
from qdml.learn.estimators import DEFAULT_CONFIDENCE, PEAK_PRIOR_COLUMN, uses_control
from qdml.learn.state import CompactState
from qdml.targets import HC_EV_NM, TARGETS

log = logging.getLogger(__name__)
#: Control values at which a paired model is probed to keep its prediction non-decreasing in the control.
PAIRED_GRID = 8


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


def min_width(target: str) -> float:
    """Narrowest interval reported: the target's last printed digit (1 nm for the peak, 0.1 % for PLQY)."""
    return 10.0 ** -TARGETS[target].decimals


def _clip_keeping_width(pred, lo, hi, low, high, width: float):
    """Clip into [low, high] without collapsing the interval: bounds keep their distance from the
    (clipped) prediction where the range allows, and never come closer than ``width``."""
    below, above = np.maximum(pred - lo, width), np.maximum(hi - pred, width)
    pred = np.clip(pred, low, high)
    lo = np.maximum(np.minimum(np.clip(lo, low, high), pred - below), low)
    hi = np.minimum(np.maximum(np.clip(hi, low, high), pred + above), high)
    # at a bound the interval opens on the free side only
    lo = np.where(hi - lo < width, np.maximum(low, hi - width), lo)
    hi = np.where(hi - lo < width, np.minimum(high, lo + width), hi)
    return pred, lo, hi


@dataclass
class PeakContext:
    """What the peak of each row needs beyond the model: its prior and the ligand's halide exchange.

    ``native``: untreated QDs ("native" or the original capping), whose peak is the prior itself
    (no ligand shift to learn);
    ``shift_ev``: energy shift of a partial halide exchange (0 where none, or where the prior is
    the treated sample's own colour); ``full_nm``: the fully exchanged peak (NaN where none), to
    which the interval is widened; ``notes``: one sentence per row ('' where none).
    """

    prior_nm: np.ndarray
    native: np.ndarray
    shift_ev: np.ndarray
    full_nm: np.ndarray
    notes: np.ndarray

    def take(self, idx) -> PeakContext:
        return PeakContext(*(np.asarray(v)[idx] for v in (self.prior_nm, self.native, self.shift_ev,
                                                         self.full_nm, self.notes)))


def peak_context(frame: pd.DataFrame, X: pd.DataFrame) -> PeakContext:
    """The :class:`PeakContext` of resolved rows (columns ligand, qd, optional sample columns) and their features."""
    from qdml.chemistry.confinement import halide_exchange
    from qdml.chemistry.ligands import is_untreated

    n = len(frame)
    ligands = frame["ligand"].astype(str).to_numpy()
    qds = frame["qd"].astype(str).to_numpy()
    sizes = pd.to_numeric(frame["size_nm"], errors="coerce").to_numpy(float) if "size_nm" in frame else np.full(n, np.nan)
    # a prior read from the (treated) sample's colour already holds what the ligand did
    from_colour = np.zeros(n, bool)
    if "qd__el_color_missing" in X.columns and "qd__pristine_peak_missing" in X.columns:
        from_colour = (X["qd__el_color_missing"].to_numpy(float) == 0) & (X["qd__pristine_peak_missing"].to_numpy(float) == 1)
    untreated = {v: is_untreated(v) for v in dict.fromkeys(ligands)}
    native = np.array([untreated[v] for v in ligands], dtype=bool)
    shift, full, notes = np.zeros(n), np.full(n, np.nan), np.full(n, "", dtype=object)
    for i, (lig, qd, d) in enumerate(zip(ligands, qds, sizes)):
        ex = halide_exchange(lig, qd, None if not np.isfinite(d) else float(d))
        if ex is None:
            continue
        notes[i] = ex.note
        if not from_colour[i]:
            shift[i], full[i] = ex.shift_ev, ex.full_peak_nm
    return PeakContext(X[PEAK_PRIOR_COLUMN].to_numpy(float), native, shift, full, notes)


def _to_energy(nm):
    return HC_EV_NM / np.maximum(np.asarray(nm, dtype=float), 1.0)


def _apply_peak_context(pred, lo, hi, ctx: PeakContext):
    """Native rows: the prior, with the model's interval widths; halide exchange: shift, widen to full."""
    pred, lo, hi = pred.copy(), lo.copy(), hi.copy()
    nat = ctx.native & np.isfinite(ctx.prior_nm)
    pred[nat], lo[nat], hi[nat] = ctx.prior_nm[nat], ctx.prior_nm[nat] - (pred - lo)[nat], ctx.prior_nm[nat] + (hi - pred)[nat]
    ex = ctx.shift_ev != 0
    if ex.any():
        for arr in (pred, lo, hi):  # lo/hi in nm are hi/lo in energy: a common shift keeps them ordered
            arr[ex] = HC_EV_NM / np.maximum(_to_energy(arr[ex]) + ctx.shift_ev[ex], 0.05)
        full = np.where(np.isfinite(ctx.full_nm), ctx.full_nm, pred)
        lo = np.where(ex & (ctx.shift_ev > 0), np.minimum(lo, full), lo)
        hi = np.where(ex & (ctx.shift_ev < 0), np.maximum(hi, full), hi)
    return pred, lo, hi


def finish_prediction(target: str, pred, lo, hi, assessment: pd.DataFrame | None = None, window=None,
                      context: PeakContext | None = None):
    """Peak context, widen out of domain, keep the peak inside its band-gap ``window`` (lo, hi arrays),
    clip to range; no interval ends narrower than :func:`min_width`.

    The one post-processing step of every prediction (predict, rank, screen, CV folds), so that
    the evaluation scores what users get.
    """
    pred, lo, hi = (np.asarray(v, dtype=float) for v in (pred, lo, hi))
    peak = TARGETS[target].learned_as == "energy-shift"
    if peak and context is not None:
        pred, lo, hi = _apply_peak_context(pred, lo, hi, context)
    if assessment is not None:
        lo, hi = widen(pred, lo, hi, assessment)
    width = min_width(target)
    if peak and window is not None:
        w_lo, w_hi = (np.asarray(w, dtype=float) for w in window)
        if context is not None:  # a halide exchange can take the QD out of its own composition's window
            full = np.where(context.shift_ev != 0, context.full_nm, np.nan)
            w_lo, w_hi = np.fmin(w_lo, full), np.fmax(w_hi, full)
        pred, lo, hi = _clip_keeping_width(pred, lo, hi, w_lo, w_hi, width)
    t = TARGETS[target]
    low = t.low if t.low_inclusive else t.low + width  # a width of 0 nm is not a width
    return _clip_keeping_width(pred, lo, hi, low, t.high, width)


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
    row_notes: np.ndarray | None = None  # one sentence per row ('' where none)
    nearest: np.ndarray | None = None  # index of the closest training row (training order), -1 where unknown


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
    def rule_sentences(self) -> set[str]:
        """The sentences saying which targets (absolute or paired) a rule, not a fitted model, predicts."""
        return {info["rule"] for info in self.target_info.values() if info.get("rule")}

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
        conflicts = sample_reasons(frame)
        if conflicts.any():  # a colour or pristine peak the composition cannot emit: out of domain, said why
            if assessment is None:
                assessment = pd.DataFrame({"in_domain": np.ones(len(frame), bool),
                                           "domain_reason": np.full(len(frame), "", dtype=object),
                                           "domain_distance": np.zeros(len(frame)),
                                           "nearest_row": np.full(len(frame), -1)})
            assessment = assessment.copy()
            old = assessment["domain_reason"].to_numpy(object)
            assessment["domain_reason"] = [("; ".join(filter(None, [a, b]))) for a, b in zip(old, conflicts)]
            assessment["in_domain"] = assessment["domain_reason"].to_numpy(object) == ""
        mode = np.full(len(frame), "absolute", dtype=object)
        peak_targets = [t for t in targets if TARGETS[t].learned_as == "energy-shift"]
        window = peak_windows(frame["qd"].astype(str)) if peak_targets else None
        context = peak_context(frame, X) if peak_targets else None
        row_notes = context.notes.copy() if context is not None else np.full(len(frame), "", dtype=object)
        paired_reasons = np.full(len(frame), "", dtype=object)
        values, notes = {}, []
        for t in targets:
            pred, lo, hi = self.regressor(t).predict_interval(X, confidence)
            rule = self.target_info.get(t, {}).get("rule")
            ctrl = TARGETS[t].control_column
            has = np.zeros(len(frame), bool)
            if t in self.paired_models and ctrl and ctrl in frame.columns:
                has = pd.to_numeric(frame[ctrl], errors="coerce").notna().to_numpy()
            if rule and not has.all():
                notes.append(rule)
            if has.any():
                info = self.target_info.get(f"paired_{t}", {})
                if info.get("rule"):
                    notes.append(info["rule"])
                if not uses_control(str(info.get("estimator", "control+"))):
                    notes.append(
                        f"paired {t} model ({info.get('estimator')}, {info.get('rows')} pairs) does not use "
                        f"control_{t}: on the training pairs the family's typical treated value predicted "
                        "better than any change from the control"
                    )
                pp, pl, ph, why = self._paired(t, frame[has], confidence)
                pred, lo, hi = pred.copy(), lo.copy(), hi.copy()
                pred[has], lo[has], hi[has] = pp, pl, ph
                mode[has] = "paired"
                paired_reasons[has] = ["; ".join(filter(None, [a, b])) for a, b in zip(paired_reasons[has], why)]
            ctx = context
            if ctx is not None and (mode == "paired").any():  # the paired model starts from the control's peak
                keep = mode != "paired"
                ctx = PeakContext(ctx.prior_nm, ctx.native & keep, np.where(keep, ctx.shift_ev, 0.0),
                                  np.where(keep, ctx.full_nm, np.nan), ctx.notes)
            values[t] = finish_prediction(t, pred, lo, hi, assessment, window,
                                          ctx if TARGETS[t].learned_as == "energy-shift" else None)
        if assessment is not None:
            in_domain = assessment["in_domain"].to_numpy(bool)
            reason = assessment["domain_reason"].to_numpy(object)
        else:
            in_domain, reason = np.ones(len(frame), bool), np.full(len(frame), "", dtype=object)
        if (paired_reasons != "").any():
            reason = np.array(["; ".join(filter(None, [a, b])) for a, b in zip(reason, paired_reasons)], dtype=object)
            in_domain = in_domain & (paired_reasons == "")
        nearest = (assessment["nearest_row"].to_numpy(int) if assessment is not None and "nearest_row" in assessment
                   else np.full(len(frame), -1))
        return Prediction(values, in_domain, reason, mode, list(dict.fromkeys(notes)), row_notes, nearest)

    def _paired(self, target: str, rows: pd.DataFrame, confidence: float):
        """The paired model's (pred, lo, hi) for rows with a control, made physically believable.

        - non-decreasing in the control: the prediction at a control value is the highest the model
          gives at any control value up to it (an isotonic envelope over a grid of controls);
        - inside what the data has seen: a prediction above the highest treated value of the
          training data is held at it, and a control outside the training pairs' controls is said
          to be out of domain.

        Returns the arrays and one out-of-domain reason per row ('' where none).
        """
        pm = self.paired_models[target]
        info = self.target_info.get(f"paired_{target}", {})
        column = TARGETS[target].control_column
        control = pd.to_numeric(rows[column], errors="coerce").to_numpy(float)
        featurizer, regressor = pm.named_steps["features"], pm.named_steps["regressor"]
        pred, lo, hi = regressor.predict_interval(featurizer.transform_frame(rows), confidence)
        if uses_control(str(info.get("estimator", ""))):
            low = max(TARGETS[target].low, 0.0)
            for frac in np.linspace(0.0, 1.0, PAIRED_GRID, endpoint=False):
                probe = rows.copy()
                probe[column] = low + frac * (control - low)
                gp, gl, gh = regressor.predict_interval(featurizer.transform_frame(probe), confidence)
                up = gp > pred
                pred, lo, hi = np.where(up, gp, pred), np.where(up, gl, lo), np.where(up, gh, hi)
        why = np.full(len(rows), "", dtype=object)
        seen_max = self.target_info.get(target, {}).get("max", info.get("max"))
        if seen_max is not None:
            over = pred > seen_max
            pred = np.where(over, seen_max, pred)
            lo = np.minimum(lo, pred)
        c_range = info.get("control_range")
        if c_range:
            c_lo, c_hi = c_range
            unit = TARGETS[target].unit
            outside = (control < c_lo) | (control > c_hi)
            why[outside] = [f"{column} {c:g} {unit} is outside the controls of the training pairs ({c_lo:g}-{c_hi:g} {unit})"
                            for c in control[outside]]
        return pred, lo, hi, why


def sample_reasons(frame: pd.DataFrame) -> np.ndarray:
    """Per row: why its colour or pristine peak contradicts its composition ('' where nothing does)."""
    from qdml.features.pair import _colour_nm, _numeric
    from qdml.features.qd import sample_conflicts

    return sample_conflicts(frame["qd"].astype(str).to_numpy(), _colour_nm(frame), _numeric(frame, "pristine_peak_nm"))[2]
