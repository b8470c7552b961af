"""Predict: every target of a bundle for each ligand-QD row, with intervals and domain verdicts."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from qdml.chemistry.composition import parse_qd_composition
from qdml.chemistry.ligands import parse_ligand
from qdml.data.schema import COLOURS
from qdml.exceptions import QdmlError
from qdml.learn.bundle import Bundle, load_bundle
from qdml.learn.estimators import DEFAULT_CONFIDENCE
from qdml.targets import TARGETS

log = logging.getLogger(__name__)

SAMPLE_COLUMNS = ("el_color", "size_nm", "pristine_peak_nm")
CONTROL_COLUMNS = tuple(t.control_column for t in TARGETS.values() if t.control_column)


def _resolve_rows(frame: pd.DataFrame) -> pd.Series:
    """'' where the ligand and QD resolve, else the reason (one line)."""
    reasons = []
    lig_cache, qd_cache = {}, {}
    for lig, qd in zip(frame["ligand"].astype(str), frame["qd"].astype(str)):
        why = []
        for cache, parser, value, label in ((lig_cache, parse_ligand, lig, "ligand"), (qd_cache, parse_qd_composition, qd, "qd")):
            if value not in cache:
                try:
                    parser(value)
                    cache[value] = ""
                except QdmlError as exc:
                    cache[value] = f"{label}: {exc}"
            if cache[value]:
                why.append(cache[value])
        reasons.append("; ".join(why))
    return pd.Series(reasons, index=frame.index, dtype=object)


def normalise_pairs(pairs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Clean user columns (el_color case, numbers); return the frame and warnings."""
    frame = pairs.copy()
    warnings = []
    for col in ("ligand", "qd"):
        if col not in frame.columns:
            raise QdmlError(f"input needs a column {col!r} (and optionally {', '.join(SAMPLE_COLUMNS)})")
        frame[col] = frame[col].fillna("").astype(str).str.strip()
    if "el_color" in frame.columns:
        lookup = {c.lower(): c for c in COLOURS}
        clean = []
        for value in frame["el_color"].fillna("").astype(str):
            v = value.strip().lower()
            if v and v not in lookup:
                warnings.append(f"unknown el_color {value!r} treated as missing (known: {', '.join(COLOURS)})")
            clean.append(lookup.get(v, ""))
        frame["el_color"] = clean
    for col in ("size_nm", "pristine_peak_nm") + CONTROL_COLUMNS:
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame, sorted(set(warnings))


def predict(pairs: pd.DataFrame, model=None, confidence: float = DEFAULT_CONFIDENCE, models_dir=None) -> pd.DataFrame:
    """Predict every target of a bundle for each row of ``pairs`` (columns ligand, qd, optional extras).

    Returns the input columns unchanged, then ``<target>_pred``, ``<target>_lo``, ``<target>_hi``
    per target, ``in_domain`` and ``domain_reason``; one row per input row, in input order.
    Rows whose ligand or QD does not resolve get empty predictions and the reason.
    With ``control_<target>`` columns, rows that have them are predicted by the paired model
    (what the treatment changes) where the bundle has one; ``mode`` says which model answered.
    ``model`` is a loaded bundle, a bundle folder, or a name looked up in ``models_dir`` (see
    :func:`qdml.learn.bundle.user_models_dir`) and then among the shipped bundles.
    """
    bundle = model if isinstance(model, Bundle) else load_bundle(model, models_dir)
    predictor = bundle.predictor
    frame, warnings = normalise_pairs(pairs)
    for w in warnings:
        log.warning(w)
    reasons = _resolve_rows(frame)
    ok = (reasons == "").to_numpy()
    out = pairs.copy()
    targets = predictor.targets
    for t in targets:
        for suffix in ("_pred", "_lo", "_hi"):
            out[f"{t}{suffix}"] = np.nan
    out["in_domain"] = False
    out["domain_reason"] = reasons.to_numpy()
    if not ok.any():
        return out
    result = predictor.predict(frame[ok], confidence)
    for note in result.notes:
        log.warning(note)
    for t, (pred, lo, hi) in result.values.items():
        out.loc[ok, f"{t}_pred"] = pred
        out.loc[ok, f"{t}_lo"] = lo
        out.loc[ok, f"{t}_hi"] = hi
    out.loc[ok, "in_domain"] = result.in_domain
    out.loc[ok, "domain_reason"] = result.domain_reason
    if any(c in frame.columns for c in CONTROL_COLUMNS):
        out["mode"] = ""
        out.loc[ok, "mode"] = result.mode
    out["in_domain"] = out["in_domain"].astype(bool)
    return out
