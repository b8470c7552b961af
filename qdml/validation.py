"""The one validation path every command uses: schema rules plus chemistry that must resolve.

The bundled literature table and a user's lab file go through :func:`read_validated`; a file
either passes whole or fails with every problem listed (file, line with header = 1, column).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os

import numpy as np
import pandas as pd

from qdml.chemistry.composition import parse_qd_composition, plausible_peak_range_nm
from qdml.chemistry.ligands import parse_ligand
from qdml.data import dataset_path
from qdml.data.io import ColumnTable, read_csv_columns, read_csv_text
from qdml.data.schema import (
    COLUMNS,
    DESCRIPTORS,
    MEASURED,
    PEAK_TYPES,
    QUANTUM_CUTTING_PLQY_MAX,
    REQUIRED,
    ROLES,
    SAMPLES,
    TREATMENTS,
    VON_MIN_FRACTION_OF_PHOTON_EV,
    ValidatedData,
    check_range,
    flag_tokens,
    is_excluded,
    parse_number,
    plausibility_flags,
)
from qdml.exceptions import Problem, QdmlError, ValidationError
from qdml.targets import HC_EV_NM

log = logging.getLogger(__name__)


#: Rows between two progress reports of a long validation.
PROGRESS_EVERY = 2000


def parse_numbers(values, decimal: str = ".") -> tuple[np.ndarray, dict[int, str]]:
    """:func:`~qdml.data.schema.parse_number` on every cell of a column, each distinct text once.

    Returns the floats (NaN where empty or not a number) and ``{row position: message}`` for the
    cells that are not finite numbers. Cells that ``float`` reads as they stand are converted in
    bulk (the same ``float`` that ``parse_number`` calls); only the rest go one by one.
    """
    codes, uniques = pd.factorize(values if isinstance(values, pd.Series) else pd.Series(values, dtype=object),
                                  use_na_sentinel=False)
    texts = [str(u) for u in uniques]
    stripped = [t.strip() for t in texts]
    filled = [i for i, t in enumerate(stripped) if t]
    parsed: list = [None] * len(texts)
    try:
        bulk = np.array([stripped[i] for i in filled], dtype=object).astype(float)
    except (ValueError, TypeError):
        parsed = [parse_number(t, decimal) for t in texts]
    else:  # float() took every cell as it stands: no comma, so the decimal mark changes nothing
        finite = np.isfinite(bulk)
        for i, value, ok in zip(filled, bulk.tolist(), finite.tolist()):
            parsed[i] = value if ok else parse_number(texts[i], decimal)
    table = np.array([math.nan if p is None or isinstance(p, str) else p for p in parsed] or [math.nan], dtype=float)
    floats = table[codes] if len(codes) else np.empty(0)
    errors = {}
    bad = [k for k, p in enumerate(parsed) if isinstance(p, str)]
    if bad:
        for pos in np.flatnonzero(np.isin(codes, bad)):
            errors[int(pos)] = parsed[codes[pos]]
    return floats, errors


def _per_value(column: pd.Series, fn, dtype) -> np.ndarray:
    """``fn`` of each cell of a text column, computed once per distinct value."""
    codes, uniques = pd.factorize(column)
    table = np.array([fn(u) for u in uniques], dtype=dtype)
    return table[codes] if len(table) else np.zeros(len(codes), dtype=dtype)


def _out_of_range(col: str, values: np.ndarray, flags: pd.Series | None) -> np.ndarray:
    """Positions where :func:`~qdml.data.schema.check_range` would complain (it words the message)."""
    _, lo, hi, lo_inclusive = MEASURED[col] if col in MEASURED else DESCRIPTORS[col]
    high = np.full(len(values), hi)
    if col == "plqy" and flags is not None:
        cutting = _per_value(flags, lambda f: "quantum-cutting" in flag_tokens(f), bool)
        high = np.where(cutting, QUANTUM_CUTTING_PLQY_MAX, hi)
    with np.errstate(invalid="ignore"):
        below = values < lo if lo_inclusive else values <= lo
        return np.flatnonzero(~np.isnan(values) & (below | (values > high)))


def _column_frame(table) -> pd.DataFrame:
    """The file's cells as text columns, indexed by file line (header = 1)."""
    if not isinstance(table, ColumnTable):
        table = ColumnTable.from_raw(table)
    return pd.DataFrame({name: col.array for name, col in zip(table.header, table.columns)},
                        columns=table.header, index=pd.Index(table.lines, name="line"), copy=False)


def validate_records(raw, resolve_chemistry: bool = True, check_pairs: bool = True, progress=None) -> ValidatedData:
    """Apply every schema rule to a file read by :func:`~qdml.data.io.read_csv_columns` (or a
    :class:`~qdml.data.io.RawTable`); raise with all problems at once. A ``ColumnTable``'s
    columns move into the returned frame (the table is left empty).

    Each rule runs on whole columns (distinct values checked once), so a million rows take
    seconds; problems come out sorted by line and column. ``check_pairs=False`` skips the
    pair-completeness rule, for a file of new rows whose controls may already be in the dataset
    they join (the merged file is checked in full). ``progress`` (optional) is called as
    ``progress(description, done, total)``.
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
    sha256 = raw.sha256 if isinstance(raw, ColumnTable) else hashlib.sha256(raw.raw_bytes).hexdigest()

    frame = _column_frame(raw)
    if isinstance(raw, ColumnTable):
        raw.columns = []  # the frame holds them now: a million rows of text is kept once
    for col in COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    ordered = COLUMNS + [c for c in header if c not in COLUMNS]
    frame = frame[ordered]
    numeric_cols = {**MEASURED, **DESCRIPTORS}
    text_cols = [c for c in frame.columns if c not in numeric_cols]
    for col in text_cols:
        frame[col] = frame[col].astype(str).str.strip()
    lines = frame.index.to_numpy()
    n_rows = len(frame)
    if progress:
        progress("rows", 0, n_rows)

    def at(positions, column, messages):
        problems.extend(Problem(path, int(lines[i]), column, m) for i, m in zip(positions, messages))

    for col in ("ligand", "qd"):
        empty = np.flatnonzero((frame[col] == "").to_numpy())
        at(empty, col, [f"{col} is empty"] * len(empty))
    for col, allowed, words in (("role", ROLES, "must be 'treated' or 'control'"),
                                ("sample", SAMPLES, "must be device, film or solution"),
                                ("peak_type", PEAK_TYPES, "must be PL or EL"),
                                ("treatment", {"", *TREATMENTS}, f"must be one of {', '.join(TREATMENTS)}")):
        wrong = np.flatnonzero(~frame[col].isin(allowed).to_numpy())
        at(wrong, col, [f"{col} {frame[col].iat[i]!r} {words}" for i in wrong])
    for col in numeric_cols:
        values, errors = parse_numbers(frame[col], raw.decimal)
        at(errors, col, errors.values())
        wrong = _out_of_range(col, values, frame["flags"])
        at(wrong, col, [check_range(col, float(values[i]), frame["flags"].iat[i], text=str(frame[col].iat[i]))
                        for i in wrong])
        frame[col] = pd.Series(values, index=frame.index, dtype=float)

    problems.extend(_duplicate_problems(path, frame))
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
    extra = _plausibility_flags(frame, resolve_chemistry)
    if extra:
        rows = list(extra)
        old = frame["flags"].to_numpy(dtype=object)[rows]
        frame.loc[frame.index[rows], "flags"] = [
            "; ".join([f for f in [before] if f] + extra[i]) for i, before in zip(rows, old)
        ]
    flags = frame["flags"]
    excluded = _per_value(flags, is_excluded, bool)
    for i in np.flatnonzero(excluded):
        warnings.append(Problem(path, int(lines[i]), "flags", "flagged, left out of training by default: " + flags.iat[i]))
    return ValidatedData(path, frame, sha256, raw.delimiter, warnings)


def _duplicate_problems(path: str, frame: pd.DataFrame) -> list[Problem]:
    """The same record twice is a copy-paste slip, never a replicate: every later copy is reported.

    Rows are compared on every column as text (a float by its exact bits, which is the same as
    comparing ``repr``), one column at a time: a row's code is refined by each column's exact
    factorization, so memory stays at one column's worth however wide the file.
    """
    codes = np.zeros(len(frame), dtype=np.int64)
    for c in frame.columns:
        values = frame[c].to_numpy(dtype=float).view(np.int64) if frame[c].dtype.kind == "f" else frame[c]
        col_codes, uniques = pd.factorize(values)
        codes, _ = pd.factorize(codes * len(uniques) + col_codes)  # both < n: no overflow
    dup = pd.Series(codes).duplicated(keep="first").to_numpy()
    if not dup.any():
        return []
    lines = frame.index.to_numpy()
    first = pd.Series(lines).groupby(codes).transform("first").to_numpy()
    return [Problem(path, int(lines[i]), None, f"exact duplicate of line {int(first[i])}") for i in np.flatnonzero(dup)]


def _plausibility_flags(frame: pd.DataFrame, resolve_chemistry: bool) -> dict[int, list[str]]:
    """``{row position: new flag tokens}``: physics checks that keep a value but flag it."""
    out: dict[int, list[str]] = {}
    peak, von = frame["peak_nm"].to_numpy(float), frame["von_v"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        low_von = np.flatnonzero(~np.isnan(peak) & ~np.isnan(von) & (peak > 0)
                                 & (von < VON_MIN_FRACTION_OF_PHOTON_EV * (HC_EV_NM / peak)))
    for i in low_von:
        found = plausibility_flags(frame.iloc[i])
        if found:
            out.setdefault(int(i), []).extend(found)
    if resolve_chemistry:
        has_peak = np.flatnonzero(~np.isnan(peak))
        codes, uniques = pd.factorize(frame["qd"])
        window = [_peak_window(q) for q in uniques]
        for i in has_peak:
            lo, hi = window[codes[i]]
            if lo is not None and hi is not None and not lo <= peak[i] <= hi:
                found = _peak_prior_flags(frame.iloc[i])
                if found:
                    out.setdefault(int(i), []).extend(found)
    return dict(sorted(out.items()))


def _peak_window(qd: str) -> tuple[float | None, float | None]:
    try:
        return plausible_peak_range_nm(parse_qd_composition(qd))
    except QdmlError:
        return None, None


def _pair_problems(path: str, frame: pd.DataFrame) -> list[Problem]:
    with_pairs = frame[frame["pair_id"] != ""]
    if with_pairs.empty:
        return []
    pid = with_pairs["pair_id"]
    control = (with_pairs["role"] == "control").astype(int)
    n_control = control.groupby(pid, sort=False).sum()
    n_treated = (1 - control).groupby(pid, sort=False).sum()
    first = pd.Series(with_pairs.index.to_numpy(), index=with_pairs.index).groupby(pid.to_numpy(), sort=False).first()
    bad = (n_control != 1) | (n_treated < 1)
    return [
        Problem(
            path,
            int(first[p]),
            "pair_id",
            f"pair_id {p!r} needs exactly one control and at least one treated row "
            f"(has {int(n_control[p])} control, {int(n_treated[p])} treated)",
        )
        for p in bad.index[bad.to_numpy()]
    ]


def _chemistry_problems(path: str, frame: pd.DataFrame) -> list[Problem]:
    """Every ligand must resolve and every QD composition must parse (checked once per value)."""
    out = []
    lines = frame.index.to_numpy()
    for col, parser in (("ligand", parse_ligand), ("qd", parse_qd_composition)):
        codes, uniques = pd.factorize(frame[col])
        failed: dict[int, str] = {}
        for k, value in enumerate(uniques):
            if not value:
                continue
            try:
                parser(value)
            except QdmlError as exc:
                failed[k] = str(exc)
        if failed:
            for i in np.flatnonzero(np.isin(codes, list(failed))):
                out.append(Problem(path, int(lines[i]), col, failed[codes[i]]))
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
    return validate_records(read_csv_columns(path), resolve_chemistry=resolve_chemistry, progress=progress)


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
    Every rule runs on whole columns (each distinct text once): a million rows take seconds.
    """
    raw = read_csv_columns(path)
    problems = [Problem(raw.path, 1, c, f"required column '{c}' is missing") for c in REQUIRED if c not in raw.header]
    if problems:
        raise ValidationError(problems)
    frame = _column_frame(raw)
    lines = raw.lines
    raw.columns = []
    for col in ("ligand", "qd"):
        frame[col] = frame[col].astype(str).str.strip()
    for col in PAIR_NUMERIC:
        if col not in frame.columns:
            continue
        values, errors = parse_numbers(frame[col], raw.decimal)
        texts = frame[col]
        for i in sorted(set(errors) | set(_out_of_range(PAIR_NUMERIC[col], values, None).tolist())):
            _, err = _sample_number(col, str(texts.iat[i]), raw.decimal)
            problems.append(Problem(raw.path, int(lines[i]), col, err))
            values[i] = math.nan
        frame[col] = values
    for col in ("ligand", "qd"):
        problems.extend(Problem(raw.path, int(lines[i]), col, f"{col} is empty")
                        for i in np.flatnonzero((frame[col] == "").to_numpy()))
    for col in frame.columns:
        if col not in ("ligand", "qd") and col not in PAIR_NUMERIC:
            frame[col] = frame[col].astype(object)  # passed through as read
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
