"""Time the default evaluation (every scheme, plqy/eqe/peak_nm, absolute and paired) on the bundled data.

One ``evaluate`` call, as ``qdml evaluate`` makes it: every block of folds of every entry shares
one pool of ``--jobs`` workers.
"""

from __future__ import annotations

import argparse
import time

from qdml.evaluation.evaluate import evaluate
from qdml.validation import load_training_data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    frame, _, _ = load_training_data()
    t0 = time.perf_counter()
    result = evaluate(frame, ["plqy", "eqe", "peak_nm"], modes=("absolute", "paired"), n_jobs=args.jobs)
    total = time.perf_counter() - t0
    folds = sum(e["n_folds"] for e in result.entries)
    choices = sum(e.get("n_selections") or 0 for e in result.entries)
    print(f"rows={len(frame)} entries={len(result.entries)} outer_folds={folds} model_choices={choices}")
    print(f"total_seconds={total:.1f} target_seconds=60 ratio_to_target={total / 60:.2f}")


if __name__ == "__main__":
    main()
