"""Predict: every target of a bundle for each ligand-QD row, with intervals and domain verdicts."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qdml.chemistry.composition import parse_qd_composition
from qdml.chemistry.ligands import parse_ligand
from qdml.data.output import csv_rows
from qdml.data.schema import COLOURS
from qdml.exceptions import QdmlError
from qdml.learn.bundle import Bundle, load_bundle
from qdml.learn.estimators import DEFAULT_CONFIDENCE
from qdml.learn.predictor import Predictor
from qdml.targets import TARGETS

log = logging.getLogger(__name__)
#: Which targets a rule predicts (the bundle's own sentences): the CLI words these in its verdict
#: lines and quiets this logger; Python and notebook users see them as warnings.
rule_log = logging.getLogger("qdml.rules")

SAMPLE_COLUMNS = ("el_color", "size_nm", "pristine_peak_nm", "abs_peak_nm")
#: Column holding what the chemistry says beside a row's numbers.
NOTE_COLUMN = "note"
CONTROL_COLUMNS = tuple(t.control_column for t in TARGETS.values() if t.control_column)


#: Rows per chunk: model calls on a chunk reuse ~25 MB of features, whatever the file's size.
DEFAULT_CHUNK_ROWS = 20_000


def _resolve_rows(frame: pd.DataFrame) -> pd.Series:
    """'' where the ligand and QD resolve, else the reason (one line); each distinct value parsed once."""
    parts = []
    for col, parser, label in (("ligand", parse_ligand, "ligand"), ("qd", parse_qd_composition, "qd")):
        codes, uniques = pd.factorize(frame[col].astype(str))
        why = np.empty(len(uniques), dtype=object)
        for k, value in enumerate(uniques):
            try:
                parser(value)
                why[k] = ""
            except QdmlError as exc:
                why[k] = f"{label}: {exc}"
        parts.append(why[codes] if len(codes) else np.empty(0, dtype=object))
    lig, qd = parts
    reasons = lig.copy()
    both = (lig != "") & (qd != "")
    reasons[both] = lig[both] + "; " + qd[both]
    only_qd = (lig == "") & (qd != "")
    reasons[only_qd] = qd[only_qd]
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
        codes, uniques = pd.factorize(frame["el_color"].fillna("").astype(str))
        clean = np.empty(len(uniques), dtype=object)
        for k, value in enumerate(uniques):
            v = value.strip().lower()
            if v and v not in lookup:
                warnings.append(f"unknown el_color {value!r} treated as missing (known: {', '.join(COLOURS)})")
            clean[k] = lookup.get(v, "")
        frame["el_color"] = list(clean[codes]) if len(codes) else []
    for col in ("size_nm", "pristine_peak_nm", "abs_peak_nm") + CONTROL_COLUMNS:
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    for t in TARGETS.values():  # an impossible control (PLQY 150 %) is refused, not predicted from
        col = t.control_column
        if col and col in frame.columns:
            values = frame[col].to_numpy(float)
            bad = [i for i, v in enumerate(values) if np.isfinite(v) and not t.contains(float(v))]
            if bad:
                i = bad[0]
                where = f"row {i + 1}: " if len(frame) > 1 else ""
                raise QdmlError(f"{where}column {col!r}: {values[i]:g} is outside the physical range of "
                                f"{t.label} ({t.low:g}-{t.high:g} {t.unit})")
    return frame, sorted(set(warnings))


def describe_precedent(record: dict) -> str:
    """``Feng 2024 ... (Cl- on CsPbI3: PLQY 90 %, peak 638 nm)``: a training row in one line."""
    values = ", ".join(f"{TARGETS[t].label} {v:g} {TARGETS[t].unit}" for t, v in record.get("values", {}).items()
                       if t in TARGETS)
    ref = record.get("reference") or "(no reference)"
    return f"{ref} ({record['ligand']} on {record['qd']}: {values or 'no values'})"


def precedents(frame: pd.DataFrame, table: list[dict], nearest) -> tuple[np.ndarray, np.ndarray]:
    """Per resolved row: how many literature rows hold the same ligand on the same QD family, and the
    closest training row (the applicability domain's nearest neighbour) in words."""
    counts: dict[tuple[str, str], int] = {}
    for rec in table:
        key = (rec["ligand"], rec["family"])
        counts[key] = counts.get(key, 0) + 1
    lig = {v: parse_ligand(v).name for v in frame["ligand"].unique()}
    fam = {v: parse_qd_composition(v).family for v in frame["qd"].unique()}
    n = np.array([counts.get((lig[a], fam[b]), 0) for a, b in zip(frame["ligand"], frame["qd"])], dtype=float)
    near = np.array([describe_precedent(table[i]) if 0 <= int(i) < len(table) else "" for i in nearest], dtype=object)
    return n, near


def explain(pair: dict, model=None, k: int = 5) -> pd.DataFrame:
    """The ``k`` training rows nearest to one pair in feature space, with their evidence quotes.

    Columns: distance (ratio to the domain threshold: above 1 is farther than 95 % of training
    rows are from their own nearest neighbour), ligand, qd, reference, measured values, evidence.
    """
    bundle = model if isinstance(model, Bundle) else load_bundle(model)
    frame, _ = normalise_pairs(pd.DataFrame([pair]))
    why = _resolve_rows(frame).iloc[0]
    if why:
        raise QdmlError(why)
    table = bundle.metadata.get("precedents") or []
    domain = bundle.predictor.domain
    if not table or domain is None:
        raise QdmlError(f"model {bundle.path} holds no training rows to explain from; retrain it with 'qdml train'")
    X = bundle.predictor.featurizer.transform_frame(frame)
    ratio, idx = domain.neighbours(X, k)
    rows = []
    for r, i in zip(ratio[0], idx[0]):
        rec = table[int(i)]
        rows.append({"distance": float(r), "ligand": rec["ligand"], "qd": rec["qd"], "reference": rec["reference"],
                     "values": ", ".join(f"{t} {v:g}" for t, v in rec["values"].items()),
                     "evidence": rec["evidence"], "line": rec.get("line", "")})
    return pd.DataFrame(rows)


@dataclass
class _Plan:
    """What every chunk of one prediction shares."""

    predictor: Predictor
    confidence: float
    with_mode: bool
    precedents: list  # the bundle's training rows (metadata "precedents"), for the evidence columns
    note_col: str     # "note", or "qdml_note" when the input has its own "note" column


def _predict_chunk(plan: _Plan, pairs: pd.DataFrame, frame: pd.DataFrame, reasons: pd.Series):
    """Rows of one chunk, exactly as a prediction of the whole file gives them; and the chunk's notes."""
    ok = (reasons == "").to_numpy()
    out = pairs.copy()
    targets = plan.predictor.targets
    for t in targets:
        for suffix in ("_pred", "_lo", "_hi"):
            out[f"{t}{suffix}"] = np.nan
    out["in_domain"] = False
    out["domain_reason"] = reasons.to_numpy()
    out[plan.note_col] = ""
    out["precedents"] = np.nan
    out["nearest_precedent"] = ""
    if not ok.any():
        if plan.with_mode:
            out["mode"] = ""
        out["in_domain"] = out["in_domain"].astype(bool)
        return out, []
    result = plan.predictor.predict(frame[ok], plan.confidence)
    for t, (pred, lo, hi) in result.values.items():
        out.loc[ok, f"{t}_pred"] = pred
        out.loc[ok, f"{t}_lo"] = lo
        out.loc[ok, f"{t}_hi"] = hi
    out.loc[ok, "in_domain"] = result.in_domain
    out.loc[ok, "domain_reason"] = result.domain_reason
    if result.row_notes is not None:
        out.loc[ok, plan.note_col] = result.row_notes
    if plan.precedents:
        count, nearest = precedents(frame[ok], plan.precedents, result.nearest)
        out.loc[ok, "precedents"] = count
        out.loc[ok, "nearest_precedent"] = nearest
    if plan.with_mode:
        out["mode"] = ""
        out.loc[ok, "mode"] = result.mode
    out["in_domain"] = out["in_domain"].astype(bool)
    return out, result.notes


def _csv_chunk(plan: _Plan, pairs, frame, reasons, header: bool):
    """A chunk's rows and their CSV text (formatted where they were predicted: in the worker)."""
    out, notes = _predict_chunk(plan, pairs, frame, reasons)
    return out, notes, csv_rows(out, keep=list(pairs.columns), header=header)


def predict_chunks(
    pairs: pd.DataFrame,
    model=None,
    confidence: float = DEFAULT_CONFIDENCE,
    chunk_size: int = DEFAULT_CHUNK_ROWS,
    n_jobs: int = 1,
    as_csv: bool = False,
    models_dir=None,
):
    """:func:`predict`, chunk by chunk and in input order: yields each chunk's output frame
    (``as_csv=True``: ``(frame, csv_text)``, the text as :func:`qdml.data.output.write_csv`
    writes those rows, the first chunk's with the header).

    Each distinct ligand and composition is checked once for the whole input; the model then
    works on ``chunk_size`` rows at a time, in ``n_jobs`` processes (joblib), so memory stays flat
    however many rows there are. Rows are identical to one call on the whole input.
    """
    from joblib import Parallel, delayed

    bundle = model if isinstance(model, Bundle) else load_bundle(model, models_dir)
    frame, warnings = normalise_pairs(pairs)
    for w in warnings:
        log.warning(w)
    reasons = _resolve_rows(frame)
    with_mode = any(c in frame.columns for c in CONTROL_COLUMNS) and bool((reasons == "").any())
    note_col = NOTE_COLUMN if NOTE_COLUMN not in pairs.columns else f"qdml_{NOTE_COLUMN}"
    plan = _Plan(bundle.predictor, confidence, with_mode, bundle.metadata.get("precedents") or [], note_col)
    size = max(1, int(chunk_size))
    bounds = [(a, min(a + size, len(pairs))) for a in range(0, len(pairs), size)] or [(0, 0)]
    fn = _csv_chunk if as_csv else _predict_chunk
    tasks = (delayed(fn)(plan, pairs.iloc[a:b], frame.iloc[a:b], reasons.iloc[a:b], *([a == 0] if as_csv else []))
             for a, b in bounds)
    seen_notes: set[str] = set()
    rules = bundle.predictor.rule_sentences
    jobs = int(n_jobs) if len(bounds) > 1 else 1
    for result in Parallel(n_jobs=jobs, return_as="generator", pre_dispatch="2*n_jobs", batch_size=1)(tasks):
        for note in result[1]:
            if note not in seen_notes:
                seen_notes.add(note)
                (rule_log if note in rules else log).warning(note)
        yield (result[0], result[2]) if as_csv else result[0]


def predict(pairs: pd.DataFrame, model=None, confidence: float = DEFAULT_CONFIDENCE, models_dir=None,
            chunk_size: int = DEFAULT_CHUNK_ROWS, n_jobs: int = 1) -> pd.DataFrame:
    """Predict every target of a bundle for each row of ``pairs`` (columns ligand, qd, optional extras).

    Returns the input columns unchanged, then ``<target>_pred``, ``<target>_lo``, ``<target>_hi``
    per target, ``in_domain``, ``domain_reason``, ``note`` (what the chemistry says beside the
    numbers, e.g. that a halide ligand exchanges the lattice halide of a perovskite and changes
    its colour; ``qdml_note`` when the input already has a ``note`` column), ``precedents``
    (literature rows with the same ligand on the same QD family) and ``nearest_precedent`` (the
    closest training row: reference, pair and measured values); one row per input row, in input order. Rows whose ligand or QD does not resolve get empty predictions and the reason.
    With ``control_<target>`` columns, rows that have them are predicted by the paired model
    (what the treatment changes) where the bundle has one; ``mode`` says which model answered.
    ``model`` is a loaded bundle, a bundle folder, or a name looked up in ``models_dir`` (see
    :func:`qdml.learn.bundle.user_models_dir`) and then among the shipped bundles.
    Large inputs are predicted ``chunk_size`` rows at a time (``n_jobs`` processes); see
    :func:`predict_chunks` to stream them.
    """
    chunks = list(predict_chunks(pairs, model, confidence, chunk_size, n_jobs, models_dir=models_dir))
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks)
