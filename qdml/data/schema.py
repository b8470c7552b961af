"""The dataset schema: columns, units, ranges (from the target registry), flags, number cells.

Rules that need no chemistry live here; :mod:`qdml.validation` applies them together with the
chemistry checks (ligands resolve, compositions parse) to whole files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from qdml.exceptions import Problem
from qdml.targets import HC_EV_NM, TARGETS

#: Columns of ``datasets/qd_ligand_literature.csv``, in file order.
COLUMNS: list[str] = [
    "ligand", "qd", "role", "el_color",
    "eqe", "plqy", "peak_nm", "fwhm_nm", "von_v", "lmax_cd_m2", "lifetime_ns",
    "reference", "doi", "source", "evidence", "flags",
    "pair_id", "sample", "peak_type",
    "size_nm", "abs_peak_nm", "treatment",
]

#: Measured columns: (unit, lower bound, upper bound, lower bound inclusive).
MEASURED: dict[str, tuple[str, float, float, bool]] = {
    name: (t.unit, t.low, t.high, t.low_inclusive) for name, t in TARGETS.items()
}
#: Sample descriptors (numeric, not targets): QD size (edge length or diameter, as stated) and
#: first excitonic absorption peak; same (unit, lower, upper, lower inclusive) as MEASURED.
DESCRIPTORS: dict[str, tuple[str, float, float, bool]] = {
    "size_nm": ("nm", 0.5, 1000.0, True),
    "abs_peak_nm": ("nm", 200.0, 3000.0, True),
}
REQUIRED: list[str] = ["ligand", "qd"]
ROLES = {"treated", "control", ""}
SAMPLES = {"device", "film", "solution", ""}
PEAK_TYPES = {"PL", "EL", ""}
#: How the ligand met the QDs (``treatment``); controls leave it empty.
TREATMENTS = ("exchange", "post-treatment", "in-synthesis", "doping", "device-layer", "unknown")
COLOURS = ["violet", "blue", "sky-blue", "cyan", "green", "yellow", "orange", "red", "deep-red", "NIR"]
#: Quantum cutting (e.g. Yb3+-doped CsPbCl3, 127.8 % reported) emits two photons per absorbed one.
QUANTUM_CUTTING_PLQY_MAX = 200.0
#: Flag tokens that take a row out of training unless the user asks for flagged rows.
#: Kept equal to the ``excluded_from_training=yes`` tokens of ``datasets/flag_vocabulary.csv`` (a test checks).
EXCLUDING_FLAGS = (
    "suspect-value", "implausible-von", "implausible-peak",
    "secondary-citation", "attribution-unclear", "ligand-unverified",
)
#: A turn-on voltage far below the emitted photon energy is implausible; sub-band-gap turn-on of
#: ~0.6-0.8 Eg/e is reported for QLEDs (Auger-assisted up-conversion), so we flag below 0.6.
VON_MIN_FRACTION_OF_PHOTON_EV = 0.6


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


def parse_number(text: str, decimal: str = ".") -> float | None | str:
    """A measured cell as float; None when empty; the error message when not a finite number.

    ``decimal=","`` (a file whose decimal mark is a comma, see :mod:`qdml.data.io`) reads
    ``82,5`` as 82.5; otherwise a comma in a number is refused rather than guessed.
    """
    s = text.strip()
    if not s:
        return None
    compact = s.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    if decimal == "," and compact.count(",") == 1 and "." not in compact:
        compact = compact.replace(",", ".")
    try:
        value = float(compact)
    except ValueError:
        if "," in compact and compact.replace(",", "").replace(".", "").lstrip("+-").isdigit():
            return f"{s!r} is not a number (write 48000, not 48,000, and use '.' for decimals)"
        return f"{s!r} is not a number"
    if not math.isfinite(value):
        return f"{s!r} is not a finite number"
    return value


def shown(value: float) -> str:
    """A number as short as it can be without changing it: 100.0001 stays 100.0001, 150.0 is 150."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def check_range(col: str, value: float, flags: str = "", text: str | None = None) -> str | None:
    """The message when ``value`` lies outside the range of column ``col``, else None.

    ``text`` is the value as the user wrote it, shown in the message (never a rounded copy).
    """
    unit, lo, hi, lo_inclusive = MEASURED[col] if col in MEASURED else DESCRIPTORS[col]
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
        given = text.strip() if text is not None and text.strip() else shown(value)
        return f"value {given} out of range: {col} {rng}"
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


