"""Outside bench: qdml's untreated-QD peak estimate on a public table of InP QD syntheses.

The table (Cossairt lab, MIT licence; ``../shared/external/inp-cossairt/dataset_InP_raw.csv``
beside the repository) lists untreated InP cores with TEM diameter, first excitonic absorption
and emission peak. It is read from that path only, never copied into the project; where it is
absent the script says so and exits 0.

Scored per row (MAE in nm of the emission peak):
- ``from size``: :func:`qdml.chemistry.confinement.untreated_peak` at the row's diameter;
- ``from first absorption``: the absorption peak plus the III-V Stokes shift;
- ``typical size``: the estimate with no size (the family's typical diameter);
- ``bulk band gap``: what qdml used before confinement (the bulk InP gap);
- ``family median (qdml data)``: median peak of the III-V rows of qdml's literature table;
- ``bench median (leave-one-out)``: each row predicted by the median of the other bench rows,
  a rule that has seen this very table.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys

import numpy as np
import pandas as pd

DEFAULT = pathlib.Path(__file__).resolve().parents[2] / "shared" / "external" / "inp-cossairt" / "dataset_InP_raw.csv"


def _mae(pred, y) -> tuple[float, int]:
    pred, y = np.asarray(pred, float), np.asarray(y, float)
    ok = np.isfinite(pred) & np.isfinite(y)
    return (float(np.abs(pred[ok] - y[ok]).mean()) if ok.any() else math.nan), int(ok.sum())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--path", type=pathlib.Path, default=DEFAULT, help=f"bench CSV (default {DEFAULT})")
    args = ap.parse_args(argv)
    if not args.path.is_file():
        print(f"skipped: {args.path} is absent (the outside InP table lives beside the repository, not in it)")
        return 0
    from qdml.chemistry.composition import bandgap_prior_nm, parse_qd_composition
    from qdml.chemistry.confinement import peak_from_absorption_nm, untreated_peak
    from qdml.validation import load_training_data

    bench = pd.read_csv(args.path, na_values=["None", ""])
    for col in ("diameter_nm", "abs_nm", "emission_nm"):
        bench[col] = pd.to_numeric(bench[col], errors="coerce")
    em = bench[bench["emission_nm"].notna()].reset_index(drop=True)
    y = em["emission_nm"].to_numpy(float)

    frame, _, _ = load_training_data(include_flagged=True)
    fam = np.array([parse_qd_composition(q).family for q in frame["qd"]])
    family_median = float(frame.loc[(fam == "III-V") & frame["peak_nm"].notna(), "peak_nm"].median())
    loo = np.array([np.median(np.delete(y, i)) for i in range(len(y))])

    size = em["diameter_nm"].to_numpy(float)
    from_size = np.array([untreated_peak("InP", d).peak_nm if np.isfinite(d) else np.nan for d in size])
    absorb = em["abs_nm"].to_numpy(float)
    from_abs = np.array([peak_from_absorption_nm("InP", a) if np.isfinite(a) else np.nan for a in absorb])
    typical = np.full(len(y), untreated_peak("InP").peak_nm)
    bulk = np.full(len(y), bandgap_prior_nm("InP"))

    rules = {
        "from size (sizing curve + Stokes shift)": from_size,
        "from first absorption (+ Stokes shift)": from_abs,
        "typical size (no size given)": typical,
        "bulk band gap (before)": bulk,
        f"family median of qdml's III-V rows ({family_median:.0f} nm)": np.full(len(y), family_median),
        "bench median, leave-one-out": loo,
    }
    subsets = {"rows with diameter": np.isfinite(size), "rows with absorption": np.isfinite(absorb),
               "all rows with emission": np.ones(len(y), bool)}
    print(f"InP bench: {len(bench)} syntheses, {len(em)} with an emission peak ({args.path})")
    print("MAE of the emission peak, nm (rows scored: those where the estimate can be made)")
    print("| estimate | " + " | ".join(f"{k} (n={int(m.sum())})" for k, m in subsets.items()) + " |")
    print("|---|" + "---|" * len(subsets))
    for name, pred in rules.items():
        cells = []
        for mask in subsets.values():
            mae, n = _mae(pred[mask], y[mask])
            cells.append("" if not n else (f"{mae:.1f}" if n == int(mask.sum()) else f"{mae:.1f} (n={n})"))
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
