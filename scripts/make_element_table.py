"""Write the element and ion tables qdml reads at run time, from mendeleev's database.

    python scripts/make_element_table.py            # rewrite datasets/elements.csv, datasets/ionic_radii.csv
    python scripts/make_element_table.py --check    # exit 1 if the files differ from a fresh run

qdml used to read these values from mendeleev in every process, which imports sqlalchemy, pint
and dask and costs 1.5-2 s before the first prediction. The tables hold only what qdml uses;
``tests/unit/test_elements.py`` checks that regenerating them gives the same bytes.
Needs ``pip install mendeleev`` (the ``dev`` and ``test`` extras of qdml).
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMAND = "python scripts/make_element_table.py"
#: Columns of mendeleev's ``elements`` table that qdml reads (names kept as mendeleev spells them).
ELEMENT_COLUMNS = (
    "atomic_number", "symbol", "name", "atomic_weight", "en_pauling", "covalent_radius_pyykko",
    "electron_affinity", "dipole_polarizability",
)
#: Ionization energies 1..MAX_DEGREE: the hardness of an ion of charge q needs degrees q and q + 1,
#: and Shannon tabulates charges up to 8+ (Os).
MAX_DEGREE = 9
RADIUS_COLUMNS = ("symbol", "charge", "coordination", "spin", "ionic_radius", "crystal_radius")
UNITS = (
    "# Units: atomic_weight g/mol; en_pauling Pauling scale; covalent_radius_pyykko pm;",
    "# electron_affinity eV; dipole_polarizability bohr^3 (neutral atom);",
    "# ionization_energy_N eV (N-th ionization: 1 = neutral -> 1+). Empty = no value.",
    "# Sources: CRC Handbook 95th ed. (electron affinities); NIST ASD (ionization energies);",
    "# Schwerdtfeger & Nagle, Mol. Phys. 2019, 117, 1200 (polarizabilities);",
    "# Pyykko & Atsumi, Chem. Eur. J. 2009, 15, 186 (covalent radii).",
    "# oxidation_states: mendeleev's 'main' oxidation states, ';'-separated (charge checks of formulas).",
)
RADIUS_NOTES = (
    "# Shannon, Acta Cryst. A 1976, 32, 751: effective ionic and crystal radii in pm, by charge,",
    "# coordination (Roman numerals; SQ square planar, PY pyramidal) and spin (HS/LS, else empty).",
    "# Rows in mendeleev's order (qdml takes the first matching row).",
)


def _cell(value) -> str:
    """Missing -> ''; whole numbers of integer columns as ints; floats by repr (exact round trip)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, str):
        return value.strip()
    return repr(value) if isinstance(value, float) else str(value)


def _header(version: str, notes) -> list[str]:
    return [
        f"# Generated from mendeleev {version} (https://github.com/lmmentel/mendeleev) by: {COMMAND}",
        "# Do not edit by hand; regenerate instead.",
        *notes,
    ]


def _csv(header_lines: list[str], columns, rows) -> str:
    import csv

    out = io.StringIO()
    for line in header_lines:
        out.write(line + "\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def build() -> dict[str, str]:
    """``{file name: text}`` of the two tables, from the installed mendeleev."""
    import mendeleev
    from mendeleev.fetch import fetch_table

    version = mendeleev.__version__
    elements = fetch_table("elements").sort_values("atomic_number")
    z_to_symbol = dict(zip(elements["atomic_number"].astype(int), elements["symbol"].astype(str)))
    energies: dict[str, dict[int, float]] = {}
    for z, charge, energy in fetch_table("ionizationenergies")[["atomic_number", "ion_charge", "ionization_energy"]].itertuples(index=False):
        degree = int(charge) + 1
        if degree <= MAX_DEGREE and not math.isnan(float(energy)) and int(z) in z_to_symbol:
            energies.setdefault(z_to_symbol[int(z)], {})[degree] = float(energy)

    states: dict[str, list[int]] = {}
    ox = fetch_table("oxidationstates").sort_values(["atomic_number", "oxidation_state"])
    for z, state, category in ox[["atomic_number", "oxidation_state", "category"]].itertuples(index=False):
        if category == "main" and int(z) in z_to_symbol:
            states.setdefault(z_to_symbol[int(z)], []).append(int(state))

    ie_columns = [f"ionization_energy_{d}" for d in range(1, MAX_DEGREE + 1)]
    element_rows = []
    for rec in elements[list(ELEMENT_COLUMNS)].to_dict(orient="records"):
        ie = energies.get(str(rec["symbol"]), {})
        element_rows.append([_cell(rec[c]) for c in ELEMENT_COLUMNS] + [_cell(ie.get(d)) for d in range(1, MAX_DEGREE + 1)]
                            + [";".join(str(q) for q in states.get(str(rec["symbol"]), []))])

    radii = fetch_table("ionicradii").sort_values("id", kind="stable")
    radius_rows = []
    for rec in radii.to_dict(orient="records"):
        symbol = z_to_symbol.get(int(rec["atomic_number"]))
        if symbol is None:
            continue
        radius_rows.append([symbol] + [_cell(rec[c]) for c in RADIUS_COLUMNS[1:]])
    return {
        "elements.csv": _csv(_header(version, UNITS), list(ELEMENT_COLUMNS) + ie_columns + ["oxidation_states"],
                             element_rows),
        "ionic_radii.csv": _csv(_header(version, RADIUS_NOTES), RADIUS_COLUMNS, radius_rows),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the files in datasets/")
    parser.add_argument("--out", type=Path, default=REPO / "datasets", help="folder to write (default: datasets/)")
    args = parser.parse_args(argv)
    tables = build()
    stale = [name for name, text in tables.items()
             if not (args.out / name).is_file() or (args.out / name).read_text(encoding="utf-8") != text]
    if args.check:
        for name in stale:
            print(f"{args.out / name}: differs from a fresh run of {COMMAND}", file=sys.stderr)
        return 1 if stale else 0
    for name, text in tables.items():
        tmp = args.out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.out / name)
        print(f"wrote {args.out / name}" + ("" if name in stale else " (unchanged)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
