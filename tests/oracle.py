"""The per-row implementations that issue 24 replaced, kept as oracles: the new code must agree.

Copied from qdml at commit 5e8479c by a script (``old_predictor_predict`` and ``old_predict`` since
brought up to issue 20: peak context, sample conflicts, paired-model rules, note and evidence columns): ``read_csv_text`` (qdml/data/io.py),
``validate_records`` and ``read_pairs`` (qdml/validation.py), ``predict`` (qdml/workflows/prediction.py)
with the Predictor's ``predict`` method as a function (qdml/learn/predictor.py). Tests compare
them with today's code on real rows; nothing in ``qdml`` imports this module.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from qdml.chemistry.composition import parse_qd_composition, plausible_peak_range_nm
from qdml.chemistry.ligands import parse_ligand
from qdml.data.io import RawTable, _compact, _decimal_mark, _decode, _sniff_delimiter, unguard_cell
from qdml.data.schema import (
    COLOURS,
    COLUMNS,
    DESCRIPTORS,
    MEASURED,
    PEAK_TYPES,
    REQUIRED,
    ROLES,
    SAMPLES,
    TREATMENTS,
    ValidatedData,
    check_range,
    is_excluded,
    parse_number,
    plausibility_flags,
)
from qdml.exceptions import Problem, QdmlError, ValidationError
from qdml.features.context import row_context
from qdml.learn.bundle import Bundle, load_bundle
from qdml.learn.estimators import DEFAULT_CONFIDENCE
from qdml.learn.predictor import Prediction, finish_prediction, peak_windows
from qdml.targets import TARGETS
from qdml.validation import PAIR_NUMERIC, PROGRESS_EVERY, _sample_number
from qdml.workflows.prediction import CONTROL_COLUMNS, SAMPLE_COLUMNS

log = logging.getLogger(__name__)


def old_read_csv_text(path: str | os.PathLike, data: bytes | None = None) -> RawTable:
    """Read a CSV file into strings, refusing anything that would be half-read.

    Cells that :func:`guard_cell` protected are read back as written by the user.

    Raises
    ------
    ValidationError
        With one :class:`Problem` per bad line (wrong field count), or for a file that is
        missing, empty, header-only, not UTF-8 or not a file.
    """
    spath = str(path)
    if data is None:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise ValidationError([Problem(spath, None, None, "file not found")]) from None
        except IsADirectoryError:
            raise ValidationError([Problem(spath, None, None, "is a folder, not a CSV file")]) from None
        except OSError as exc:
            raise ValidationError([Problem(spath, None, None, f"cannot read the file ({exc.strerror or exc})")]) from None
    text = _decode(spath, data)
    if not text.strip():
        raise ValidationError([Problem(spath, None, None, "file is empty: expected a header line and data rows")])
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    start = 1
    try:
        for fields in reader:
            this_start, start = start, reader.line_num + 1
            if not fields or all(not f.strip() for f in fields):
                continue  # blank line: nothing to read, nothing lost
            if header is None:
                header = [unguard_cell(f.strip()) for f in fields]
                continue
            if len(fields) != len(header):
                problems.append(
                    Problem(
                        spath,
                        this_start,
                        None,
                        f"row has {len(fields)} fields but the header has {len(header)}"
                        + (" (an unquoted comma inside a value?)" if len(fields) > len(header) else ""),
                    )
                )
                continue
            records.append([unguard_cell(f) for f in fields])
            lines.append(this_start)
    except csv.Error as exc:
        problems.append(Problem(spath, reader.line_num, None, f"malformed CSV: {exc}"))
    if header is None:
        problems.append(Problem(spath, None, None, "file is empty: expected a header line and data rows"))
    elif not records and not problems:
        problems.append(Problem(spath, 1, None, "file has a header but no data rows"))
    if header is not None:
        seen: set[str] = set()
        for name in header:
            if name in seen:
                problems.append(Problem(spath, 1, name, "column appears twice in the header"))
            seen.add(name)
            if not name:
                problems.append(Problem(spath, 1, None, "header has an empty column name"))
    if problems:
        raise ValidationError(problems)
    decimal, example = _decimal_mark(delimiter, records)
    notes = []
    if decimal == ",":
        notes.append(Problem(spath, None, None, f"decimal commas read as decimal points ({example!r} is "
                                                f"{_compact(example).replace(',', '.')}): a {'semicolon' if delimiter == ';' else 'tab'}-separated export"))
        for note in notes:
            log.warning("%s", note)
    return RawTable(spath, header, records, lines, delimiter, data, decimal, notes)




def old_validate_records(raw, resolve_chemistry: bool = True, check_pairs: bool = True, progress=None) -> ValidatedData:
    """Apply every schema rule to a :class:`~qdml.io.RawTable`; raise with all problems at once.

    ``check_pairs=False`` skips the pair-completeness rule, for a file of new rows whose
    controls may already be in the dataset they join (the merged file is checked in full).
    ``progress`` (optional) is called as ``progress(description, done, total)`` while rows are checked.
    """
    path = raw.path
    problems: list[Problem] = []
    header = raw.header
    for col in REQUIRED:
        if col not in header:
            problems.append(Problem(path, 1, col, f"required column '{col}' is missing"))
    if not any(c in header for c in MEASURED):
        problems.append(
            Problem(path, 1, None, "no measured column: need at least one of " + ", ".join(MEASURED))
        )
    if problems:
        raise ValidationError(problems)

    frame = pd.DataFrame(raw.records, columns=header, index=pd.Index(raw.lines, name="line"), dtype=object)
    for col in COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    ordered = COLUMNS + [c for c in header if c not in COLUMNS]
    frame = frame[ordered]
    numeric_cols = {**MEASURED, **DESCRIPTORS}
    text_cols = [c for c in frame.columns if c not in numeric_cols]
    for col in text_cols:
        frame[col] = frame[col].astype(str).str.strip()

    numeric: dict[str, list[float]] = {c: [] for c in numeric_cols}
    n_rows = len(frame)
    for done, (line, row) in enumerate(frame.iterrows()):
        if progress and done % PROGRESS_EVERY == 0:
            progress("rows", done, n_rows)
        for col in ("ligand", "qd"):
            if not row[col]:
                problems.append(Problem(path, line, col, f"{col} is empty"))
        if row["role"] not in ROLES:
            problems.append(Problem(path, line, "role", f"role {row['role']!r} must be 'treated' or 'control'"))
        if row["sample"] not in SAMPLES:
            problems.append(Problem(path, line, "sample", f"sample {row['sample']!r} must be device, film or solution"))
        if row["peak_type"] not in PEAK_TYPES:
            problems.append(Problem(path, line, "peak_type", f"peak_type {row['peak_type']!r} must be PL or EL"))
        if row["treatment"] and row["treatment"] not in TREATMENTS:
            problems.append(
                Problem(path, line, "treatment", f"treatment {row['treatment']!r} must be one of {', '.join(TREATMENTS)}")
            )
        for col in numeric_cols:
            parsed = parse_number(str(row[col]), raw.decimal)
            if isinstance(parsed, str):
                problems.append(Problem(path, line, col, parsed))
                parsed = None
            elif parsed is not None:
                err = check_range(col, parsed, row["flags"], text=str(row[col]))
                if err:
                    problems.append(Problem(path, line, col, err))
            numeric[col].append(math.nan if parsed is None else parsed)
    for col in numeric_cols:
        frame[col] = pd.Series(numeric[col], index=frame.index, dtype=float)

    # Exact duplicates: the same record twice is a copy-paste slip, never a replicate.
    keyed = frame.astype(str).apply(tuple, axis=1)
    first_seen: dict[tuple, int] = {}
    for line, key in keyed.items():
        if key in first_seen:
            problems.append(Problem(path, line, None, f"exact duplicate of line {first_seen[key]}"))
        else:
            first_seen[key] = line

    if check_pairs:
        problems.extend(_pair_problems(path, frame))
    if resolve_chemistry:
        if progress:
            progress("ligands and compositions", n_rows, n_rows)
        problems.extend(_chemistry_problems(path, frame))
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or ""))
        raise ValidationError(problems)

    warnings = []
    auto = frame.apply(plausibility_flags, axis=1)
    if resolve_chemistry:
        auto = auto + frame.apply(_peak_prior_flags, axis=1)
    for line, extra in auto.items():
        if extra:
            frame.at[line, "flags"] = "; ".join([f for f in [frame.at[line, "flags"]] if f] + extra)
    for line, flags in frame["flags"].items():
        if is_excluded(flags):
            warnings.append(Problem(path, line, "flags", "flagged, left out of training by default: " + flags))
    return ValidatedData(path, frame, hashlib.sha256(raw.raw_bytes).hexdigest(), raw.delimiter, warnings)


def _pair_problems(path: str, frame: pd.DataFrame) -> list[Problem]:
    out = []
    with_pairs = frame[frame["pair_id"] != ""]
    for pid, group in with_pairs.groupby("pair_id", sort=False):
        n_control = int((group["role"] == "control").sum())
        n_treated = int((group["role"] != "control").sum())
        if n_control != 1 or n_treated < 1:
            out.append(
                Problem(
                    path,
                    int(group.index[0]),
                    "pair_id",
                    f"pair_id {pid!r} needs exactly one control and at least one treated row "
                    f"(has {n_control} control, {n_treated} treated)",
                )
            )
    return out


def _chemistry_problems(path: str, frame: pd.DataFrame) -> list[Problem]:
    """Every ligand must resolve and every QD composition must parse (checked once per value)."""
    out = []
    for col, parser in (("ligand", parse_ligand), ("qd", parse_qd_composition)):
        for value, lines in frame.groupby(col, sort=False).groups.items():
            if not value:
                continue
            try:
                parser(value)
            except QdmlError as exc:
                out.extend(Problem(path, int(line), col, str(exc)) for line in lines)
    return out


def _peak_prior_flags(row: pd.Series) -> list[str]:
    """Flag a peak far outside what the composition's band gap allows (kept, not fixed)."""
    peak = row.get("peak_nm")
    if peak is None or pd.isna(peak):
        return []
    try:
        lo, hi = plausible_peak_range_nm(parse_qd_composition(row["qd"]))
    except QdmlError:
        return []
    if lo is None or hi is None or lo <= peak <= hi:
        return []
    return [f"implausible-peak: {peak:g} nm is outside the {lo:.0f}-{hi:.0f} nm window of {row['qd']}"]



def old_read_pairs(path: str | os.PathLike, strict: bool = True) -> pd.DataFrame:
    """Read a ligand-QD pairs file (``ligand``, ``qd`` + optional sample columns) for predict/featurize.

    Same encoding, delimiter and field-count rules as a dataset; numbers are checked with the
    ranges of the matching dataset column. ``strict=True`` also requires every ligand and QD
    to resolve (featurize); predict passes ``strict=False`` and reports unresolved rows instead.
    The frame's index is the line number in the file (header = 1); other columns pass through.
    """
    raw = old_read_csv_text(path)
    problems = [Problem(raw.path, 1, c, f"required column '{c}' is missing") for c in REQUIRED if c not in raw.header]
    if problems:
        raise ValidationError(problems)
    frame = pd.DataFrame(raw.records, columns=raw.header, index=pd.Index(raw.lines, name="line"), dtype=object)
    for col in ("ligand", "qd"):
        frame[col] = frame[col].astype(str).str.strip()
    for col in PAIR_NUMERIC:
        if col not in frame.columns:
            continue
        values = []
        for line, text in frame[col].items():
            parsed, err = _sample_number(col, str(text), raw.decimal)
            if err:
                problems.append(Problem(raw.path, line, col, err))
            values.append(math.nan if parsed is None else parsed)
        frame[col] = values
    for line, row in frame.iterrows():
        for col in ("ligand", "qd"):
            if not row[col]:
                problems.append(Problem(raw.path, line, col, f"{col} is empty"))
    if strict:
        problems.extend(_chemistry_problems(raw.path, frame))
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or ""))
        raise ValidationError(problems)
    return frame



def old_predictor_predict(self, frame: pd.DataFrame, confidence: float = DEFAULT_CONFIDENCE,
            targets: list[str] | None = None) -> Prediction:
    """Predict every target for resolved rows, the per-row way (``ApplicabilityDomain.assess`` on
    the whole frame), with issue 20's peak context, sample conflicts and paired-model rules."""
    from qdml.learn.estimators import uses_control
    from qdml.learn.predictor import PeakContext, peak_context, sample_reasons

    targets = list(targets or self.targets)
    X = self.featurizer.transform_frame(frame)
    elements, classes, families = row_context(frame)
    assessment = self.domain.assess(X, elements, classes, families) if self.domain is not None else None
    conflicts = sample_reasons(frame)
    if conflicts.any() and assessment is not None:
        assessment = assessment.copy()
        old = assessment["domain_reason"].to_numpy(object)
        assessment["domain_reason"] = ["; ".join(filter(None, [a, b])) for a, b in zip(old, conflicts)]
        assessment["in_domain"] = assessment["domain_reason"].to_numpy(object) == ""
    mode = np.full(len(frame), "absolute", dtype=object)
    peak = [t for t in targets if TARGETS[t].learned_as == "energy-shift"]
    window = peak_windows(frame["qd"].astype(str)) if peak else None
    context = peak_context(frame, X) if peak else None
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
        if ctx is not None and (mode == "paired").any():
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
    nearest = assessment["nearest_row"].to_numpy(int) if assessment is not None else np.full(len(frame), -1)
    row_notes = context.notes.copy() if context is not None else np.full(len(frame), "", dtype=object)
    return Prediction(values, in_domain, reason, mode, list(dict.fromkeys(notes)), row_notes, nearest)

def _old_resolve_rows(frame: pd.DataFrame) -> pd.Series:
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


def _old_normalise_pairs(pairs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
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
    for col in ("size_nm", "pristine_peak_nm", "abs_peak_nm") + CONTROL_COLUMNS:
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame, sorted(set(warnings))


def old_predict(pairs: pd.DataFrame, model=None, confidence: float = DEFAULT_CONFIDENCE, models_dir=None) -> pd.DataFrame:
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
    frame, warnings = _old_normalise_pairs(pairs)
    for w in warnings:
        log.warning(w)
    reasons = _old_resolve_rows(frame)
    ok = (reasons == "").to_numpy()
    out = pairs.copy()
    targets = predictor.targets
    for t in targets:
        for suffix in ("_pred", "_lo", "_hi"):
            out[f"{t}{suffix}"] = np.nan
    out["in_domain"] = False
    out["domain_reason"] = reasons.to_numpy()
    note_col = "note" if "note" not in pairs.columns else "qdml_note"
    out[note_col] = ""
    out["precedents"] = np.nan
    out["nearest_precedent"] = ""
    if not ok.any():
        return out
    result = old_predictor_predict(predictor, frame[ok], confidence)
    for note in result.notes:
        log.warning(note)
    for t, (pred, lo, hi) in result.values.items():
        out.loc[ok, f"{t}_pred"] = pred
        out.loc[ok, f"{t}_lo"] = lo
        out.loc[ok, f"{t}_hi"] = hi
    out.loc[ok, "in_domain"] = result.in_domain
    out.loc[ok, "domain_reason"] = result.domain_reason
    out.loc[ok, note_col] = result.row_notes
    table = bundle.metadata.get("precedents") or []
    if table:
        from qdml.workflows.prediction import precedents

        count, nearest = precedents(frame[ok], table, result.nearest)
        out.loc[ok, "precedents"] = count
        out.loc[ok, "nearest_precedent"] = nearest
    if any(c in frame.columns for c in CONTROL_COLUMNS):
        out["mode"] = ""
        out.loc[ok, "mode"] = result.mode
    out["in_domain"] = out["in_domain"].astype(bool)
    return out
