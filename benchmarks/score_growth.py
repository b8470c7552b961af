"""How the nested-CV scores move as the data grows: the review's rows alone, then the full set.

Prints one line per (subset, target, scheme, mode, features) with the model MAE, its 95 % CI and
the baseline MAEs; the data card quotes the result.
"""

from __future__ import annotations

import argparse

from qdml.evaluation.evaluate import evaluate
from qdml.workflows import load_training_data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--schemes", nargs="+", default=["leave-one-ligand-out", "leave-one-reference-out"])
    args = ap.parse_args()
    frame, _, _ = load_training_data()
    subsets = {"review (Table 2 + text)": frame[frame["source"].str.startswith("review")], "full": frame}
    for label, rows in subsets.items():
        result = evaluate(rows.reset_index(drop=True), ["plqy", "eqe", "peak_nm"], args.schemes,
                          modes=("absolute", "paired"), n_jobs=args.jobs)
        for e in result.entries:
            b = e["baselines"]
            ref = "no-change" if e["mode"] == "paired" else "mean"
            ci = e["mae_ci"]
            print(f"subset={label!r} rows={len(rows)} target={e['target']} scheme={e['scheme']} mode={e['mode']} "
                  f"features={e['features']} n={e['n']} mae={e['mae']:.3g} ci=[{ci[0]:.3g},{ci[1]:.3g}] "
                  f"{ref}_mae={b.get(ref, float('nan')):.3g} skill={e['skill']:.2f} coverage={e['coverage']:.2f} "
                  f"estimator={e['estimator']}")


if __name__ == "__main__":
    main()
