"""Time the default evaluation (every scheme, plqy/eqe/peak_nm, absolute and paired) on the bundled data."""

from __future__ import annotations

import argparse
import time

from qdml.evaluation.evaluate import evaluate
from qdml.evaluation.schemes import SCHEMES
from qdml.workflows import load_training_data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    frame, _, _ = load_training_data()
    timings = []
    t_all = time.perf_counter()
    for scheme in SCHEMES:
        t0 = time.perf_counter()
        result = evaluate(frame, ["plqy", "eqe", "peak_nm"], [scheme], modes=("absolute", "paired"), n_jobs=args.jobs)
        timings.append((scheme, time.perf_counter() - t0, len(result.entries)))
    total = time.perf_counter() - t_all
    for scheme, dt, n in timings:
        print(f"scheme={scheme} seconds={dt:.1f} entries={n}")
    print(f"rows={len(frame)} total_seconds={total:.1f} target_seconds=60 ratio_to_target={total / 60:.2f}")


if __name__ == "__main__":
    main()
