"""Throughput of LigandFeaturizer: rows/s for 100 000 rows drawn from the knowledge base.

Run: ``python benchmarks/featurize_ligands.py [n_rows]``. Prints the cold time (first call:
element tables, parsing every unique ligand once) and the warm time (cached vectors, only the
gather), as rows/s. A ratio benchmark, not a timed test.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd


def main(n_rows: int = 100_000) -> int:
    from qdml.chemistry.ligands import knowledge_base_ligands
    from qdml.features.ligand import LigandFeaturizer

    names = knowledge_base_ligands() + ["KI", "Cs+/Rb+", "NH4+/CaCl2", "SO ₄ ²⁻", "In ³⁺"]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"ligand": rng.choice(np.array(names, dtype=object), size=n_rows)})
    featurizer = LigandFeaturizer().fit(frame)
    for label in ("cold", "warm"):
        start = time.perf_counter()
        X = featurizer.transform(frame)
        elapsed = time.perf_counter() - start
        print(f"{label}: {n_rows} rows x {X.shape[1]} features from {frame['ligand'].nunique()} unique "
              f"ligands in {elapsed:.3f} s = {n_rows / elapsed:,.0f} rows/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
