"""``qdml train``: fit one pipeline per target and write a model bundle."""

from __future__ import annotations

from qdml.cli.common import add_data_args

NAME = "train"
HELP = "train one model per target (PLQY %, EQE %, peak nm, FWHM nm) and save a model bundle"
DESCRIPTION = """\
Train one scikit-learn Pipeline per target on the rows where the target is present
(flagged values left out unless --include-flagged). For each target the estimator
(ridge, ARD Gaussian process, extra trees, gradient boosting, or the training mean) is
chosen by inner cross-validation grouped by paper (what wins on papers it has not seen),
among fitted models and simple rules (mean, family mean and median, and for the peak the
prior itself); where a rule wins, the bundle ships the rule and says so. For peak_nm the
pristine-peak / colour / confinement-aware composition prior is both an input and the base
the model corrects. Intervals: CV+ conformal (Barber et
al. 2021; the same bounds as MAPIE's CrossConformalRegressor "plus", checked in the tests).
Writes MODELS_DIR/NAME/ (MODELS_DIR: --models-dir, else $QDML_MODELS_DIR, else
~/.local/share/qdml/models; or --output-dir DIR): the fitted predictor (skops format, which
loads only allow-listed types), metadata.json (dataset SHA-256, rows, feature names,
versions, chosen estimators, CV scores) and checksums.sha256. The new bundle is written
beside the old one and swapped in when complete; a folder that is not a bundle is never
replaced.
'qdml predict --model NAME' finds a bundle there from any folder.
Training also scores the model by nested CV (repeated-kfold, leave-one-ligand-out,
leave-one-reference-out: rank reads its scores) and prints it beside the baselines (a few minutes; a progress bar shows on a terminal);
'qdml evaluate' runs every scheme.
Retraining on new rows and in a hurry? --no-cv fits the models in seconds and skips the
scores (the bundle then says it has none).
"""


def add_args(parser) -> None:
    add_data_args(parser)
    from qdml.targets import DEFAULT_TARGETS, TARGETS

    parser.add_argument(
        "--targets", default=",".join(DEFAULT_TARGETS),
        help="comma-separated targets (default: %(default)s; known: " + ", ".join(
            f"{t.name} [{t.unit}]" for t in TARGETS.values()).replace("%", "%%") + ")",
    )
    parser.add_argument("--name", default="default",
                        help="bundle name, a plain name (letters, digits, '-', '_', '.'): written to "
                        "MODELS_DIR/NAME/ (default: default)")
    parser.add_argument("--models-dir", metavar="DIR",
                        help="user models folder (default: $QDML_MODELS_DIR, else ~/.local/share/qdml/models)")
    parser.add_argument("--output-dir", metavar="DIR",
                        help="write the bundle here instead (a new folder, or a qdml bundle to replace)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0: the shipped bundle)")
    parser.add_argument("--no-cv", action="store_true",
                        help="skip the nested-CV scores: seconds instead of minutes, e.g. after adding rows "
                        "(metadata then has no scores)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel CV folds (joblib; default 1)")


def run(args) -> int:
    from qdml.cli.common import check_jobs, console, progress_bar
    from qdml.cli.views import print_evaluation
    from qdml.workflows.training import TRAIN_SCHEMES, train

    check_jobs(args.jobs)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    with progress_bar("training", quiet=getattr(args, "quiet", False)) as progress:
        result = train(
            data=args.data, targets=targets, name=args.name, out_dir=args.output_dir, models_dir=args.models_dir,
            include_flagged=args.include_flagged, random_state=args.seed,
            schemes=() if args.no_cv else TRAIN_SCHEMES, n_jobs=args.jobs, progress=progress,
        )
    meta = result.metadata
    out = console()
    out.print(f"model bundle {result.path}  ({meta['rows']} rows from {len(meta['files'])} file(s))", markup=False)
    for t, m in meta["target_models"].items():
        note = f"  FALLBACK: {m['fallback']}" if m.get("fallback") else ""
        out.print(f"  {t}: {m['estimator']} on {m['rows']} rows{note}", markup=False)
        if m.get("rule"):
            out.print(f"    {m['rule']}", markup=False)
    if result.entries:
        out.print()
        print_evaluation(out, result.entries, title_suffix=" (nested CV)")
        out.print(SMALL_DATA_NOTE, markup=False, soft_wrap=False)
    else:
        out.print("No cross-validation scores (--no-cv): run 'qdml evaluate' to see how far to trust this bundle.",
                  markup=False, soft_wrap=False)
    if args.output_dir is None:
        out.print(f"use it from anywhere: qdml predict --model {args.name}"
                  + (f" --models-dir {args.models_dir}" if args.models_dir else ""), markup=False)
    return 0


SMALL_DATA_NOTE = (
    "Small data: intervals on every MAE are wide; compare the model with the baselines of the same "
    "row, and trust grouped schemes (leave-one-ligand/-reference/-element-out) over random k-fold."
)
