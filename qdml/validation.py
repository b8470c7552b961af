"""The one validation path every command uses: schema rules plus chemistry that must resolve.

The bundled literature table and a user's lab file go through :func:`read_validated`; a file
either passes whole or fails with every problem listed (file, line with header = 1, column).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os

import pandas as pd

from qdml.chemistry.composition import parse_qd_composition, plausible_peak_range_nm
from qdml.chemistry.ligands import parse_ligand
from qdml.data import dataset_path
from qdml.data.io import read_csv_text
from qdml.data.schema import (
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

log = logging.getLogger(__name__)


#: Rows between two progress reports of a long validation.
PROGRESS_EVERY = 2000


def validate_records(raw, resolve_chemistry: bool = True, check_pairs: bool = True, progress=None) -> ValidatedData:
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


def read_validated(path: str | os.PathLike, resolve_chemistry: bool = True, progress=None) -> ValidatedData:
    """Read and validate a dataset file (bundled or user's). Raises ValidationError listing every problem."""
    return validate_records(read_csv_text(path), resolve_chemistry=resolve_chemistry, progress=progress)


def validate_file(path: str | os.PathLike) -> list[Problem]:
    """Problems of a file as a list (empty when clean); the CLI's ``validate`` uses this."""
    try:
        read_validated(path)
    except ValidationError as exc:
        return exc.problems
    return []


#: Optional numeric columns of a pairs file (predict / featurize input) and the range each obeys.
PAIR_NUMERIC = {
    "size_nm": "size_nm",
    "pristine_peak_nm": "peak_nm",
    "control_plqy": "plqy",
    "control_eqe": "eqe",
    "control_peak_nm": "peak_nm",
}


def _sample_number(col: str, text: str, decimal: str = ".") -> tuple[float | None, str | None]:
    """(value, None), (None, None) when empty, or (None, message): the rules of a file cell."""
    parsed = parse_number(text, decimal)
    if isinstance(parsed, str):
        return None, parsed
    if parsed is None:
        return None, None
    like = PAIR_NUMERIC[col]
    err = check_range(like, parsed, "", text=text)
    if err:
        # a quantum-cutting flag belongs to a dataset row, not to a sample column: no hint about it here
        err = err.replace(" (above 100 % only with flags 'quantum-cutting')", "")
        return None, err.replace(f": {like} ", f": {col} ", 1)
    return parsed, None


def check_sample_value(col: str, text: str | float, flag: str | None = None) -> float:
    """A sample number given on the command line (``--control-plqy 60``), checked like a file cell.

    The same finiteness and range rules as a ``control_plqy`` cell of a pairs file; the error
    names the flag and shows the value as typed.
    """
    parsed, err = _sample_number(col, str(text))
    flag = flag or "--" + col.replace("_", "-")
    if err:
        raise QdmlError(f"{flag} {text}: {err}")
    if parsed is None:
        raise QdmlError(f"{flag}: empty value")
    return parsed


def read_pairs(path: str | os.PathLike, strict: bool = True) -> pd.DataFrame:
    """Read a ligand-QD pairs file (``ligand``, ``qd`` + optional sample columns) for predict/featurize.

    Same encoding, delimiter and field-count rules as a dataset; numbers are checked with the
    ranges of the matching dataset column. ``strict=True`` also requires every ligand and QD
    to resolve (featurize); predict passes ``strict=False`` and reports unresolved rows instead.
    The frame's index is the line number in the file (header = 1); other columns pass through.
    """
    raw = read_csv_text(path)
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


def read_pairs_column(path: str | os.PathLike, column: str) -> list[str]:
    """One text column of a CSV (e.g. the candidate ligands for ``rank``), with the usual file checks."""
    raw = read_csv_text(path)
    if column not in raw.header:
        raise ValidationError([Problem(raw.path, 1, column, f"required column '{column}' is missing")])
    i = raw.header.index(column)
    values = [rec[i].strip() for rec in raw.records]
    empty = [Problem(raw.path, line, column, "empty value") for line, v in zip(raw.lines, values) if not v]
    if empty:
        raise ValidationError(empty)
    return values


def load_dataset() -> pd.DataFrame:
    """The bundled literature table, validated: indexed by file line, numbers as floats, flags added."""
    return read_validated(dataset_path()).frame


def load_training_data(paths=None, include_flagged: bool = False) -> tuple[pd.DataFrame, list[dict], list]:
    """Validate and concatenate data files; return (rows for training, files seen, warnings).

    The frame keeps ``_file`` and ``_line`` so every later message can name the source line.
    """
    paths = [str(p) for p in (paths or [dataset_path()])]
    frames, seen, warnings = [], [], []
    for p in paths:
        data: ValidatedData = read_validated(p)
        frame = data.training_rows(include_flagged).copy()
        frame["_file"] = p
        frame["_line"] = frame.index
        frames.append(frame)
        seen.append({"path": p, "sha256": data.sha256, "rows": data.n_rows, "rows_used": len(frame)})
        warnings.extend(data.warnings)
    frame = pd.concat(frames, ignore_index=True)
    if len(paths) > 1:
        dup = frame.duplicated(subset=[c for c in frame.columns if not c.startswith("_")], keep="first")
        if dup.any():
            log.warning("%d rows appear in more than one file; kept once", int(dup.sum()))
            frame = frame[~dup].reset_index(drop=True)
    return frame, seen, warnings
