"""Predict N pairs (a CSV written to a temp dir, read back, predicted, written) and print pairs/s."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from qdml.chemistry.ligands import knowledge_base_ligands
from qdml.learn.bundle import load_bundle
from qdml.validation import read_pairs
from qdml.workflows.prediction import predict

QDS = ["CsPbBr3", "CsPbI3", "CsPb(Br0.4Cl0.6)3", "FA0.8Cs0.2PbI3", "InP/ZnSe/ZnS", "CdSe/ZnS", "MAPbBr3"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    ligs = knowledge_base_ligands()
    pairs = pd.DataFrame({"ligand": rng.choice(ligs, args.n), "qd": rng.choice(QDS, args.n)})
    bundle = load_bundle(args.model)
    with tempfile.TemporaryDirectory() as d:
        src, dst = Path(d) / "pairs.csv", Path(d) / "preds.csv"
        pairs.to_csv(src, index=False)
        t0 = time.perf_counter()
        frame = read_pairs(src, strict=False).reset_index(drop=True)
        out = predict(frame, bundle)
        out.to_csv(dst, index=False)
        dt = time.perf_counter() - t0
    print(f"n={args.n} seconds={dt:.2f} rate={args.n / dt:.0f} pairs/s target_seconds=5 ratio_to_target={dt / 5:.2f}")


if __name__ == "__main__":
    main()
