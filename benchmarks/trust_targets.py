"""The targets of issue 20 ("Trustworthy predictions"), measured by nested CV on the bundled data.

For every target under leave-one-ligand-out and leave-one-reference-out (absolute mode, full
features, and paired mode): MAE beside the best baseline, ``skill_vs_best``, whether the model is
worse than its best baseline beyond the bootstrap interval, and the 80 % interval coverage. Under
leave-one-reference-out it also counts how many held-out literature values fall inside their
interval *or* belong to a row the applicability domain (fitted on the fold's training side only)
flags as out of domain. Prints Markdown tables; ``--json`` keeps the raw entries.

A second table scores *what ships* under every grouped scheme: where the shipped bundle predicts a
target by a rule, that rule's held-out errors (the baseline of the same name, on the same folds)
against the best baseline's, with a paired bootstrap interval of the difference. The nested entries
of the first table measure the selection procedure as each scheme would run it (inner CV grouped by
that scheme's groups), which is not what ships (inner CV grouped by paper).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from qdml.evaluation.evaluate import evaluate
from qdml.evaluation.metrics import bootstrap_mae_ci
from qdml.features.context import row_context
from qdml.features.pair import PairFeaturizer
from qdml.learn.bundle import load_bundle
from qdml.learn.domain import ApplicabilityDomain
from qdml.validation import load_training_data

SCHEMES = ("leave-one-ligand-out", "leave-one-reference-out")
GROUPED = ("leave-one-ligand-out", "leave-one-reference-out", "leave-one-qd-out", "leave-one-cluster-out",
           "leave-one-element-out")
#: A shipped rule and the baseline column that computes the same predictions on the same folds.
RULE_BASELINE = {"family-median": "family-median", "family-mean": "family-mean", "mean": "mean",
                 "colour-prior": "colour-prior", "control+median": "control-plus-median-change",
                 "no-change": "no-change"}


def inside_or_flagged(frame, preds, X) -> float:
    """Share of held-out rows whose value lies in the interval or whose pair is out of domain."""
    elements, classes, families = row_context(frame)
    ok = 0
    rows = 0
    target_lines = set(preds["line"])
    for _, fold in preds.groupby("fold"):
        test = fold["line"].to_numpy()
        train = np.array(sorted(target_lines - set(test)))
        pos = {line: i for i, line in enumerate(frame.index)}
        tr, te = [pos[i] for i in train], [pos[i] for i in test]
        dom = ApplicabilityDomain().fit(X.iloc[tr], [elements[i] for i in tr], [classes[i] for i in tr],
                                        [families[i] for i in tr])
        verdict = dom.assess(X.iloc[te], [elements[i] for i in te], [classes[i] for i in te], [families[i] for i in te])
        inside = ((fold["lo"] <= fold["y"]) & (fold["y"] <= fold["hi"])).to_numpy()
        ok += int((inside | ~verdict["in_domain"].to_numpy(bool)).sum())
        rows += len(fold)
    return ok / rows if rows else float("nan")


def shipped_table(frame, targets, jobs: int) -> None:
    """What ships, under every grouped scheme: the shipped rule beside the best baseline, same folds."""
    info = load_bundle().predictor.target_info
    result = evaluate(frame, targets, list(GROUPED), modes=("absolute", "paired"), n_jobs=jobs)
    print()
    print("| target | mode | scheme | n | shipped | shipped MAE | best baseline (MAE) | shipped - best [95% CI] | worse? |")
    print("|---|---|---|---|---|---|---|---|---|")
    worse = total = 0
    for (target, scheme, mode, features), p in result.predictions.items():
        key = ("paired_" if mode == "paired" else "") + target
        rule = RULE_BASELINE.get(info.get(key, {}).get("estimator"))
        if features != "full" or rule is None or f"baseline:{rule}" not in p.columns:
            continue
        y = p["y"].to_numpy(float)
        errs = {c.split(":", 1)[1]: np.abs(p[c].to_numpy(float) - y) for c in p.columns if c.startswith("baseline:")}
        errs = {k: v for k, v in errs.items() if np.isfinite(v).all()}
        best = min(errs, key=lambda k: (errs[k].mean(), k))
        diff = errs[rule] - errs[best]
        diff = np.where(np.abs(diff) < 1e-9, 0.0, diff)
        lo, hi = bootstrap_mae_ci(diff, random_state=0)
        if lo is None or hi is None:  # too few held-out rows for an interval
            continue
        bad = lo > 1e-9
        worse += bad
        total += 1
        print(f"| {target} | {mode} | {scheme} | {len(y)} | {info[key]['estimator']} | {errs[rule].mean():.3g} | "
              f"{best} ({errs[best].mean():.3g}) | {diff.mean():+.3g} [{lo:+.3g}, {hi:+.3g}] | {'yes' if bad else 'no'} |")
    print(f"\nshipped rule worse than the best baseline beyond the interval: {worse} of {total} grouped entries")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--targets", default="plqy,eqe,peak_nm,fwhm_nm")
    ap.add_argument("--json", help="write the evaluation entries here")
    args = ap.parse_args()
    frame, _, _ = load_training_data()
    targets = [t for t in args.targets.split(",") if t]
    result = evaluate(frame, targets, list(SCHEMES), modes=("absolute", "paired"), n_jobs=args.jobs)
    X = PairFeaturizer().fit(frame).transform_frame(frame)
    print("| target | scheme | mode | features | n | MAE [95% CI] | best baseline (MAE) | skill_vs_best | "
          "model - best [95% CI] | worse than best? | 80% coverage | inside or flagged OOD |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for e in result.entries:
        if not e["n"]:
            continue
        key = (e["target"], e["scheme"], e["mode"], e["features"])
        lo, hi = e["mae_ci"]
        d_lo, d_hi = e.get("vs_best_ci") or [None, None]
        flagged = ""
        if e["scheme"] == "leave-one-reference-out" and e["mode"] == "absolute" and e["features"] == "full":
            flagged = f"{inside_or_flagged(frame, result.predictions[key], X):.2f}"
        diff = e["mae"] - e["best_baseline_mae"]
        diff = 0.0 if abs(diff) < 1e-9 else diff  # a rule scored against itself
        print(f"| {e['target']} | {e['scheme']} | {e['mode']} | {e['features']} | {e['n']} | "
              f"{e['mae']:.3g} [{lo:.3g}, {hi:.3g}] | {e['best_baseline']} ({e['best_baseline_mae']:.3g}) | "
              f"{e['skill_vs_best']:.2f} | {diff:+.3g} [{d_lo:+.3g}, {d_hi:+.3g}] | "
              f"{'yes' if e['worse_than_best_baseline'] else 'no'} | {e['coverage']:.2f} | {flagged} |")
    shipped_table(frame, targets, args.jobs)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result.entries, fh, indent=2)


if __name__ == "__main__":
    main()
