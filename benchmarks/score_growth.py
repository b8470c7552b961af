"""How the nested-CV scores move as the data grows: the review's rows, then each curation stage.

The dataset is append-only, so a stage is "every row up to CSV line N". Prints a Markdown table
(one line per stage, target, scheme, mode and feature set: model MAE with its 95 % CI beside the
baseline of the same folds); the data card quotes it.
"""

from __future__ import annotations

import argparse

from qdml.evaluation.evaluate import evaluate
from qdml.validation import load_training_data

#: Last CSV line of each earlier stage: the review (Table 2 + text), the first curation session.
#: (31, 142) before issue 21 merged three twins (old lines 27, 55, 69 deleted); 148 ends the second session,
#: the last stage before the third curation session (issue 21 part 4).
DEFAULT_STAGES = (30, 139, 148)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--schemes", nargs="+", default=["leave-one-ligand-out", "leave-one-reference-out"])
    ap.add_argument("--stages", type=int, nargs="*", default=list(DEFAULT_STAGES),
                    help="last CSV line of each earlier stage (header = line 1); the full file is always last")
    args = ap.parse_args()
    frame, _, _ = load_training_data()
    cuts = [*sorted(args.stages), int(frame["_line"].max())]
    print("| rows up to line (rows used) | target | scheme | mode | features | n | MAE [95% CI] | baseline MAE | skill "
          "| best other baseline | 80% coverage |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for cut in cuts:
        rows = frame[frame["_line"] <= cut].reset_index(drop=True)
        result = evaluate(rows, ["plqy", "eqe", "peak_nm"], args.schemes, modes=("absolute", "paired"), n_jobs=args.jobs)
        for e in result.entries:
            if not e["n"]:
                continue
            ref = "no-change" if e["mode"] == "paired" else "mean"
            lo, hi = e["mae_ci"]
            others = {k: v for k, v in e["baselines"].items() if k != ref and v is not None}
            best = min(others, key=others.get) if others else None
            other = f"{others[best]:.3g} ({best})" if best else ""
            print(f"| {cut} ({len(rows)}) | {e['target']} | {e['scheme']} | {e['mode']} | {e['features']} | {e['n']} "
                  f"| {e['mae']:.3g} [{lo:.3g}, {hi:.3g}] | {e['baselines'][ref]:.3g} ({ref}) | {e['skill']:.2f} "
                  f"| {other} | {e['coverage']:.2f} |")


if __name__ == "__main__":
    main()
