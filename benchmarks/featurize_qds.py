"""Throughput of QDFeaturizer: 100 000 rows drawn from ~30 unique compositions.

Run: ``python benchmarks/featurize_qds.py [n_rows]``. Prints rows per second for a cold run
(parsing, element tables) and a warm run (composition caches filled).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from qdml.features.qd import QDFeaturizer

COMPOSITIONS = [
    "CsPbBr3", "CsPbI3", "CsPbCl3", "CsPb(Br0.4Cl0.6)3", "CsPbBr1.5I1.5", "CsPbI2Br",
    "FA0.8Cs0.2PbI3", "MAPbBr3", "FAPbI3", "CsPb0.64Zn0.36I3", "CsPbBrxCl3-x", "CsPbBrxI3-x",
    "CsPbI3-xBrx", "CsPb(BrxCl1-x)3", "CsPb(IxBr1-x)3", "(Cs/FA/pF-PEA)Pb(Cl/Br)3", "InP/ZnSe/ZnS",
    "InP/ZnS/ZnS", "CdSe@ZnS", "CdSe/ZnS", "CdSeZnS-ZnS", "CdSe/CdZnSeS/ZnS", "ZnSeTe/ZnSe/ZnS",
    "Zn-Ag-In-Ga-S", "CuInS2/ZnS", "AgInS2", "PbS", "PbSe", "CdTe", "CsSnI3", "CsPbCl3:Yb",
]  # fmt: skip
COLOURS = ["violet", "blue", "sky-blue", "green", "red", "deep-red", "NIR", None]


def main(n_rows: int = 100_000) -> int:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "qd": rng.choice(COMPOSITIONS, n_rows),
            "el_color": rng.choice(np.array(COLOURS, dtype=object), n_rows),
            "size_nm": np.where(rng.random(n_rows) < 0.5, np.nan, rng.uniform(3, 15, n_rows)),
            "pristine_peak_nm": np.where(
                rng.random(n_rows) < 0.7, np.nan, rng.uniform(420, 700, n_rows)
            ),
        }
    )
    featurizer = QDFeaturizer().fit(X)
    for label in ("cold", "warm"):
        start = time.perf_counter()
        out = featurizer.transform(X)
        elapsed = time.perf_counter() - start
        print(
            f"{label}: {n_rows} rows x {out.shape[1]} features in {elapsed:.3f} s "
            f"= {n_rows / elapsed:,.0f} rows/s ({X['qd'].nunique()} unique compositions)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
