"""Element and ion properties, from two small tables generated from mendeleev.

``datasets/elements.csv`` (one row per element) and ``datasets/ionic_radii.csv`` (Shannon
radii) are written by ``python scripts/make_element_table.py`` from mendeleev's database (its
version is in their header). Reading them takes milliseconds; importing mendeleev and querying
its tables took 1.5-2 s a process and pulled in sqlalchemy, pint and dask. Missing data is
returned as ``None`` -- never a silent NaN -- so callers decide (impute with an indicator
column, or raise).

Sources (through mendeleev): Shannon, Acta Cryst. A 1976, 32, 751 (ionic radii); NIST ASD
(ionization energies); CRC Handbook, 95th ed. (electron affinities); Schwerdtfeger & Nagle,
Mol. Phys. 2019, 117, 1200 (static dipole polarizabilities of neutral atoms); Parr & Pearson,
J. Am. Chem. Soc. 1983, 105, 7512 (absolute hardness, eta = (I - A) / 2).
"""

from __future__ import annotations

import csv
import functools
import math
from typing import Any

from qdml.data import bundled_path
from qdml.exceptions import QdmlError

#: The 118 element symbols (IUPAC), in atomic-number order. Kept here so that formula parsing
#: never needs to load mendeleev.
SYMBOLS: tuple[str, ...] = (
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In",
    "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb",
    "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl",
    "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk",
    "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh",
    "Fl", "Mc", "Lv", "Ts", "Og",
)
_SYMBOL_SET = frozenset(SYMBOLS)

#: Default Shannon coordination: six-fold (VI) is the most tabulated and the usual reference.
DEFAULT_COORDINATION = "VI"

_ROMAN = {
    "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
    "XI": 11, "XII": 12, "XIII": 13, "XIV": 14,
}


def is_element(symbol: str) -> bool:
    """True for a valid, correctly capitalised element symbol (``"Cs"``, not ``"CS"``)."""
    return symbol in _SYMBOL_SET


ELEMENTS_FILE = "elements.csv"
RADII_FILE = "ionic_radii.csv"
_IONIZATION = "ionization_energy_"
_TEXT_COLUMNS = frozenset({"symbol", "name", "coordination", "spin", "oxidation_states"})


def _rows(name: str) -> list[dict[str, Any]]:
    """Rows of a bundled table (``#`` lines are its header notes): numbers as int/float, '' as None."""
    with open(bundled_path(name), encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(line for line in fh if not line.startswith("#"))
        rows = []
        for rec in reader:
            row: dict[str, Any] = {}
            for key, text in rec.items():
                if key in _TEXT_COLUMNS:
                    row[key] = text
                elif text == "":
                    row[key] = None
                else:
                    row[key] = int(text) if key in ("atomic_number", "charge") else float(text)
            rows.append(row)
    return rows


@functools.lru_cache(maxsize=1)
def _tables() -> dict[str, Any]:
    """Read the element and radius tables once and index them by symbol."""
    by_symbol: dict[str, dict[str, Any]] = {}
    ionization: dict[str, dict[int, float]] = {}
    for rec in _rows(ELEMENTS_FILE):
        sym = str(rec["symbol"])
        by_symbol[sym] = {k: v for k, v in rec.items() if not k.startswith(_IONIZATION)}
        ionization[sym] = {
            int(k.removeprefix(_IONIZATION)): v for k, v in rec.items() if k.startswith(_IONIZATION) and v is not None
        }
    radii: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for rec in _rows(RADII_FILE):
        radii.setdefault((rec["symbol"], rec["charge"]), []).append(
            {k: rec[k] for k in ("coordination", "spin", "ionic_radius", "crystal_radius")}
        )
    return {"elements": by_symbol, "radii": radii, "ionization": ionization}


def _check(symbol: str) -> None:
    if not is_element(symbol):

        raise QdmlError(f"unknown element symbol {symbol!r}")


def element_property(symbol: str, name: str) -> Any:
    """A column of ``datasets/elements.csv`` (mendeleev's names) for one element, or None when missing.

    Examples: ``element_property("Cs", "en_pauling")``, ``element_property("In", "atomic_weight")``.
    A column name that does not exist raises ``KeyError`` (a typo must not read as "missing").
    """
    _check(symbol)
    row = _tables()["elements"][symbol]
    if name not in row:
        raise KeyError(f"{ELEMENTS_FILE} has no column {name!r} (known: {', '.join(sorted(row))})")
    return row[name]


def oxidation_states(symbol: str) -> list[int]:
    """The element's main oxidation states (mendeleev's "main" category), e.g. ``[2, 4]`` for Pb."""
    text = element_property(symbol, "oxidation_states") or ""
    return [int(q) for q in text.split(";") if q]


def element_properties() -> list[str]:
    """Names accepted by :func:`element_property`."""
    return sorted(next(iter(_tables()["elements"].values())))


def atomic_number(symbol: str) -> int:
    """Atomic number Z."""
    return int(element_property(symbol, "atomic_number"))


def atomic_mass(symbol: str) -> float | None:
    """Standard atomic weight (g/mol)."""
    return element_property(symbol, "atomic_weight")


def electronegativity_pauling(symbol: str) -> float | None:
    """Pauling electronegativity (None for noble gases and a few heavy elements)."""
    return element_property(symbol, "en_pauling")


def dipole_polarizability(symbol: str) -> float | None:
    """Static dipole polarizability of the NEUTRAL atom, in atomic units (bohr^3).

    Not an ion property (Cs atom 400.9 bohr^3 vs Cs+ ~3.3 A^3 = 22 bohr^3): use the
    knowledge base's Tessman-Kahn-Shockley ion values for ions.
    """
    return element_property(symbol, "dipole_polarizability")


def ionization_energy_ev(symbol: str, degree: int = 1) -> float | None:
    """The ``degree``-th ionization energy in eV (1 = neutral -> +1); degrees 1-9 are tabulated."""
    _check(symbol)
    return _tables()["ionization"].get(symbol, {}).get(int(degree))


def electron_affinity_ev(symbol: str) -> float | None:
    """Electron affinity of the neutral atom in eV."""
    return element_property(symbol, "electron_affinity")


def absolute_hardness_ev(symbol: str, charge: int = 0) -> float | None:
    """Parr-Pearson absolute hardness eta = (I - A) / 2 of an ion, in eV.

    For a cation M^q+ the relevant I and A are the (q+1)-th and q-th ionization energies:
    eta = (IE_{q+1} - IE_q) / 2 (Zn2+ 10.88, In3+ 13.70 eV), as mendeleev's
    ``Element.hardness(charge=q)``. For the neutral atom eta = (IE_1 - EA) / 2.

    Anions: by the Parr-Pearson convention (J. Am. Chem. Soc. 1983, 105, 7512; Pearson,
    Inorg. Chem. 1988, 27, 734) the hardness of a base X- is tabulated as that of the neutral
    radical X (Cl- -> Cl 4.68 eV, I- -> I 3.70 eV), because the anion's own A is not defined.
    So any ``charge <= 0`` returns the neutral atom's value.
    """
    _check(symbol)
    q = int(charge)
    ion = _tables()["ionization"].get(symbol, {})
    if q <= 0:
        first = ion.get(1)
        ea = electron_affinity_ev(symbol)
        if first is None or ea is None:
            return None
        return round((first - float(ea)) / 2.0, 4)
    upper, lower = ion.get(q + 1), ion.get(q)
    if upper is None or lower is None:
        return None
    return round((upper - lower) / 2.0, 4)


def _cn_number(coordination: str) -> int | None:
    for suffix in ("SQ", "PY"):
        coordination = coordination.removesuffix(suffix)
    return _ROMAN.get(coordination)


def shannon_charges(symbol: str) -> list[int]:
    """Charges for which Shannon (1976) tabulates a radius for this element."""
    _check(symbol)
    return sorted(q for (s, q) in _tables()["radii"] if s == symbol)


def shannon_radius_pm(
    symbol: str, charge: int, coordination: str | int | None = None, kind: str = "ionic"
) -> float | None:
    """Shannon (1976) effective radius of an ion, in pm.

    Parameters
    ----------
    symbol, charge
        The ion, e.g. ``("In", 3)`` or ``("Cl", -1)``.
    coordination
        Roman (``"VI"``, ``"IVSQ"``) or integer coordination number. Default: VI when
        tabulated (the conventional reference), else the tabulated coordination closest to 6
        (ties: the lower one). Where high- and low-spin values both exist the high-spin one is
        used (surface ions in weak halide/chalcogenide fields).
    kind
        ``"ionic"`` (Shannon's effective ionic radius, O2- = 140 pm scale; the default) or
        ``"crystal"`` (ionic + 14 pm for cations).

    Returns
    -------
    float or None
        None when Shannon has no entry for this ion (e.g. Sn2+, P3-).
    """
    _check(symbol)
    if kind not in ("ionic", "crystal"):
        raise ValueError("kind must be 'ionic' or 'crystal'")
    rows = _tables()["radii"].get((symbol, int(charge)))
    if not rows:
        return None
    if coordination is None:
        wanted, target = DEFAULT_COORDINATION, 6
    elif isinstance(coordination, int):
        wanted, target = None, coordination
    else:
        wanted, target = str(coordination), _cn_number(str(coordination)) or 6
    exact = [
        r for r in rows
        if (r["coordination"] == wanted if wanted else _cn_number(r["coordination"]) == target)
    ]
    if not exact:  # closest tabulated coordination number; ties go to the lower one
        def distance(r):
            cn = _cn_number(r["coordination"]) or 99
            return (abs(cn - target), cn)

        best = min(distance(r) for r in rows)
        exact = [r for r in rows if distance(r) == best]
    high_spin = [r for r in exact if r["spin"] == "HS"]
    chosen = (high_spin or exact)[0]
    value = chosen["ionic_radius" if kind == "ionic" else "crystal_radius"]
    return None if value is None else round(float(value), 2)


def mean_property(composition: dict[str, float], name: str) -> float | None:
    """Amount-weighted mean of an element property over a composition; None if any is missing."""
    total = sum(composition.values())
    if total <= 0:
        return None
    acc = 0.0
    for symbol, amount in composition.items():
        value = element_property(symbol, name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        acc += float(value) * amount
    return acc / total
