"""The dataset schema (columns, units, ranges) and the one validation path every command uses.

The bundled literature table and a user's lab file go through :func:`read_validated`; a file
either passes whole or fails with every problem listed (file, line with header = 1, column).
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field

import pandas as pd

from qdml.exceptions import Problem, QdmlError, ValidationError
from qdml.io import read_csv_text

#: Columns of ``datasets/qd_ligand_literature.csv``, in file order.
COLUMNS: list[str] = [
    "ligand", "qd", "role", "el_color",
    "eqe", "plqy", "peak_nm", "fwhm_nm", "von_v", "lmax_cd_m2", "lifetime_ns",
    "reference", "doi", "source", "evidence", "flags",
    "pair_id", "sample", "peak_type",
]

#: Measured columns: (unit, lower bound, upper bound, lower bound inclusive).
MEASURED: dict[str, tuple[str, float, float, bool]] = {
    "eqe": ("%", 0.0, 100.0, True),
    "plqy": ("%", 0.0, 100.0, True),
    "peak_nm": ("nm", 250.0, 2500.0, True),
    "fwhm_nm": ("nm", 0.0, math.inf, False),
    "von_v": ("V", 0.0, math.inf, False),
    "lmax_cd_m2": ("cd/m2", 0.0, math.inf, False),
    "lifetime_ns": ("ns", 0.0, math.inf, False),
}
TARGETS_DEFAULT: list[str] = ["plqy", "eqe", "peak_nm"]
REQUIRED: list[str] = ["ligand", "qd"]
ROLES = {"treated", "control", ""}
SAMPLES = {"device", "film", "solution", ""}
PEAK_TYPES = {"PL", "EL", ""}
COLOURS = ["violet", "blue", "sky-blue", "cyan", "green", "yellow", "orange", "red", "deep-red", "NIR"]
#: Quantum cutting (e.g. Yb3+-doped CsPbCl3, 127.8 % reported) emits two photons per absorbed one.
QUANTUM_CUTTING_PLQY_MAX = 200.0
#: Flag tokens that take a row out of training unless the user asks for flagged rows.
EXCLUDING_FLAGS = ("suspect-value", "implausible-von", "implausible-peak")
#: A turn-on voltage far below the emitted photon energy is implausible; sub-band-gap turn-on of
#: ~0.6-0.8 Eg/e is reported for QLEDs (Auger-assisted up-conversion), so we flag below 0.6.
VON_MIN_FRACTION_OF_PHOTON_EV = 0.6
HC_EV_NM = 1239.84193


def flag_tokens(flags: str) -> list[str]:
    """Tokens of a ``flags`` cell: ``"suspect-value: why; quantum-cutting"`` -> two tokens."""
    return [part.split(":", 1)[0].strip() for part in str(flags or "").split(";") if part.strip()]


def is_excluded(flags: str) -> bool:
    return any(tok in EXCLUDING_FLAGS for tok in flag_tokens(flags))


@dataclass
class ValidatedData:
    """A file that passed validation.

    ``frame`` is indexed by the line number of each record in the file (header = line 1), so any
    later step can still point a user at the line; measured columns are floats (NaN = not
    reported); text columns are strings ('' = empty).
    """

    path: str
    frame: pd.DataFrame
    sha256: str
    delimiter: str = ","
    warnings: list[Problem] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def training_rows(self, include_flagged: bool = False) -> pd.DataFrame:
        if include_flagged:
            return self.frame
        return self.frame[~self.frame["flags"].map(is_excluded)]


def _parse_number(text: str) -> float | None | str:
    """A measured cell as float; None when empty; the error message when not a finite number."""
    s = text.strip()
    if not s:
        return None
    compact = s.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    try:
        value = float(compact)
    except ValueError:
        if "," in compact and compact.replace(",", "").replace(".", "").isdigit():
            return f"{s!r} is not a number (write 48000, not 48,000, and use '.' for decimals)"
        return f"{s!r} is not a number"
    if not math.isfinite(value):
        return f"{s!r} is not a finite number"
    return value


def _check_range(col: str, value: float, flags: str) -> str | None:
    unit, lo, hi, lo_inclusive = MEASURED[col]
    if col == "plqy" and "quantum-cutting" in flag_tokens(flags):
        hi = QUANTUM_CUTTING_PLQY_MAX
    below = value < lo if lo_inclusive else value <= lo
    if below or value > hi:
        if math.isinf(hi):
            rng = f"must be > {lo:g} {unit}"
        else:
            rng = f"must be within {lo:g}-{hi:g} {unit}"
        if col == "plqy" and value > 100 and hi == 100:
            rng += " (above 100 % only with flags 'quantum-cutting')"
        return f"value {value:g} out of range: {col} {rng}"
    return None


def plausibility_flags(row: pd.Series) -> list[str]:
    """Physics checks that keep a value but flag it (tokens like ``implausible-von: ...``)."""
    out = []
    peak, von = row.get("peak_nm"), row.get("von_v")
    if peak is not None and von is not None and not pd.isna(peak) and not pd.isna(von) and peak > 0:
        photon_ev = HC_EV_NM / peak
        if von < VON_MIN_FRACTION_OF_PHOTON_EV * photon_ev:
            out.append(
                f"implausible-von: turn-on {von:g} V is below {VON_MIN_FRACTION_OF_PHOTON_EV:g} x the "
                f"{photon_ev:.2f} eV photon energy of a {peak:g} nm peak"
            )
    return out


def validate_records(raw, resolve_chemistry: bool = True, check_pairs: bool = True) -> ValidatedData:
    """Apply every schema rule to a :class:`~qdml.io.RawTable`; raise with all problems at once.

    ``check_pairs=False`` skips the pair-completeness rule, for a file of new rows whose
    controls may already be in the dataset they join (the merged file is checked in full).
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
    text_cols = [c for c in frame.columns if c not in MEASURED]
    for col in text_cols:
        frame[col] = frame[col].astype(str).str.strip()

    numeric: dict[str, list[float]] = {c: [] for c in MEASURED}
    for line, row in frame.iterrows():
        for col in ("ligand", "qd"):
            if not row[col]:
                problems.append(Problem(path, line, col, f"{col} is empty"))
        if row["role"] not in ROLES:
            problems.append(Problem(path, line, "role", f"role {row['role']!r} must be 'treated' or 'control'"))
        if row["sample"] not in SAMPLES:
            problems.append(Problem(path, line, "sample", f"sample {row['sample']!r} must be device, film or solution"))
        if row["peak_type"] not in PEAK_TYPES:
            problems.append(Problem(path, line, "peak_type", f"peak_type {row['peak_type']!r} must be PL or EL"))
        for col in MEASURED:
            parsed = _parse_number(str(row[col]))
            if isinstance(parsed, str):
                problems.append(Problem(path, line, col, parsed))
                parsed = None
            elif parsed is not None:
                err = _check_range(col, parsed, row["flags"])
                if err:
                    problems.append(Problem(path, line, col, err))
            numeric[col].append(math.nan if parsed is None else parsed)
    for col in MEASURED:
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
    from qdml.chemistry.composition import parse_qd_composition
    from qdml.chemistry.ligands import parse_ligand

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
    from qdml.chemistry.composition import parse_qd_composition, plausible_peak_range_nm

    try:
        lo, hi = plausible_peak_range_nm(parse_qd_composition(row["qd"]))
    except QdmlError:
        return []
    if lo is None or hi is None or lo <= peak <= hi:
        return []
    return [f"implausible-peak: {peak:g} nm is outside the {lo:.0f}-{hi:.0f} nm window of {row['qd']}"]


def read_validated(path: str | os.PathLike, resolve_chemistry: bool = True) -> ValidatedData:
    """Read and validate a dataset file (bundled or user's). Raises ValidationError listing every problem."""
    return validate_records(read_csv_text(path), resolve_chemistry=resolve_chemistry)


def validate_file(path: str | os.PathLike) -> list[Problem]:
    """Problems of a file as a list (empty when clean); the CLI's ``validate`` uses this."""
    try:
        read_validated(path)
    except ValidationError as exc:
        return exc.problems
    return []


#: Optional numeric columns of a pairs file (predict / featurize input) and the range each obeys.
PAIR_NUMERIC = {
    "size_nm": "fwhm_nm",  # any positive number
    "pristine_peak_nm": "peak_nm",
    "control_plqy": "plqy",
    "control_eqe": "eqe",
    "control_peak_nm": "peak_nm",
}


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
    for col, like in PAIR_NUMERIC.items():
        if col not in frame.columns:
            continue
        values = []
        for line, text in frame[col].items():
            parsed = _parse_number(str(text))
            if isinstance(parsed, str):
                problems.append(Problem(raw.path, line, col, parsed))
                parsed = None
            elif parsed is not None:
                err = _check_range(like, parsed, "")
                if err:
                    problems.append(Problem(raw.path, line, col, err.replace(like, col, 1)))
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
