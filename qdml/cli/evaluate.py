"""``qdml evaluate``: nested cross-validation under every scheme, beside baselines on the same folds."""

from __future__ import annotations

from qdml.cli.common import add_data_args

NAME = "evaluate"
HELP = "score models by nested CV under honest schemes, beside baselines (table, --json, --report)"
DESCRIPTION = """\
Evaluate by nested cross-validation: on each outer training side an inner CV picks the
estimator, which then predicts the held-out rows with an 80 % CV+ interval. Folds that
together hold out at most a fifth of the rows (leave-one-out, small groups) share one
choice, made on rows none of them holds out; targets under 40 rows are nested fold by
fold. The inner CV is grouped the way the outer scheme is (by paper, ligand, composition,
cluster or element) and its candidates include the simple rules. Baselines are scored on
the same folds: the training mean, the per-family mean, the family median (same family
and role), the nearest neighbour in feature space, for the peak the colour prior (the
prior the model starts from, no fitting) and the bulk band gap, and in paired mode
no-change and control-plus-median-change; each entry names its best baseline.

Schemes: repeated-kfold (5x3, optimistic), leave-one-out, leave-one-ligand-out,
leave-one-qd-out, leave-one-reference-out (no paper on both sides), leave-one-cluster-out
(k-means, Meredig 2018), leave-one-element-out (every row with the element held out).
Modes: absolute (the treated value) and paired (from the control's value: ΔPLQY, EQE
ratio, peak shift; baseline: no change). Units: plqy and eqe in %, peak_nm in nm.
--json writes one object per (target, scheme, mode, features) with keys target, scheme,
mode, features, n, mae, rmse, r2, spearman, mae_sd, baseline_mae, baselines, mae_ci,
coverage, estimator, best_baseline, best_baseline_mae, skill_vs_best (1 - MAE / best
baseline MAE) (plus skill, verdict, n_folds, n_selections, vs_best_ci,
worse_than_best_baseline, beats_best_baseline).
The terminal shows one table per target (units in the headers) with the best baseline
and whether the model beats it, then one plain sentence per target. Every column and
scheme is explained in docs/evaluation.md and in the report's glossary; --report opens
with a headline card per target. A progress bar shows on a terminal (not with -q).
"""


def add_args(parser) -> None:
    from qdml.evaluation.schemes import SCHEMES

    add_data_args(parser)
    parser.add_argument("--scheme", action="append", choices=SCHEMES, metavar="NAME",
                        help="CV scheme (repeatable; default: all): " + ", ".join(SCHEMES))
    parser.add_argument("--targets", default="plqy,eqe,peak_nm", help="comma-separated targets (default: plqy,eqe,peak_nm)")
    parser.add_argument("--mode", action="append", choices=["absolute", "paired"], help="absolute and/or paired (default: both)")
    parser.add_argument("--confidence", type=float, default=0.8, help="interval level for coverage (default 0.8)")
    parser.add_argument("--json", metavar="PATH", help="write the entries as a JSON list")
    parser.add_argument("--report", metavar="PATH.html", help="write a self-contained HTML report (plots inline)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="worker processes for the blocks of folds (joblib; default 2; 1 runs in this process)")


def run(args) -> int:
    import json

    from qdml.cli.common import check_confidence, check_jobs, console, progress_bar
    from qdml.cli.train import SMALL_DATA_NOTE
    from qdml.cli.views import print_evaluation
    from qdml.data import dataset_path
    from qdml.data.io import atomic_write, check_output
    from qdml.evaluation.evaluate import evaluate
    from qdml.validation import load_training_data

    check_jobs(args.jobs)
    check_confidence(args.confidence)
    inputs = list(args.data or [dataset_path()])
    if args.json:
        check_output(args.json, "--json", inputs=inputs)
    if args.report:
        check_output(args.report, "--report", inputs=inputs + [args.json])
    frame, seen, warnings = load_training_data(args.data, args.include_flagged)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    modes = tuple(args.mode or ("absolute", "paired"))
    quiet = getattr(args, "quiet", False)
    with progress_bar("evaluating", quiet=quiet) as progress:
        result = evaluate(frame, targets, args.scheme, modes=modes, random_state=args.seed,
                          confidence=args.confidence, n_jobs=args.jobs, progress=progress)
    out = console()
    print_evaluation(out, result.entries, title_suffix=f" ({len(frame)} rows)")
    out.print(SMALL_DATA_NOTE, markup=False, soft_wrap=False)
    if args.json:
        with atomic_write(args.json) as fh:
            json.dump(result.entries, fh, indent=2)
            fh.write("\n")
        out.print(f"wrote {len(result.entries)} entries to {args.json}", markup=False)
    if args.report:
        from qdml.evaluation.report import write_report

        with progress_bar("report: feature importance", quiet=quiet):
            write_report(args.report, result, frame, seen)
        out.print(f"wrote report to {args.report}", markup=False)
    return 0
