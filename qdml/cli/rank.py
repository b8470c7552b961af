"""``qdml rank --qd CsPbI3 --target eqe``: candidate ligands for one QD, best first."""

from __future__ import annotations

NAME = "rank"
HELP = "rank candidate ligands (knowledge base or --candidates FILE) for one QD"
DESCRIPTION = """\
Score the knowledge base's inorganic ligands (the review's classes and organic-inorganic
hybrids carrying an inorganic ion; --include-organic adds organic ligands, "native" and
placeholders such as MBrn, ZnX2), or the 'ligand' column of --candidates FILE, on one QD
and sort by score, best first. Default target: the one whose model beats its best simple
rule by the most under leave-one-reference-out (the bundle's cv_scores; never the peak,
ties go to PLQY, then EQE); a target whose model does not beat its best baseline is said
to be no better than that rule. Equal scores are ties and share a rank (1, 1, 1, 4 ...);
tied ligands are ordered by the value measured on this QD in the literature, then by the
number of precedents, and a note says how many tie and why (a rule gives every ligand one
value). --by mean ranks by the prediction, lower by the
interval's lower bound (a cautious choice), ucb by its upper bound (an exploring one).
Several --target: the score is the weighted sum of each target's score divided by its
training SD (--weight eqe=2 ...); --pareto ranks by Pareto front first.
--goal peak_nm=630 scores a target by closeness to a wanted value instead (the distance
of the prediction, of the interval's farther end with --by lower, or of the interval
itself with --by ucb).
Output columns: rank, ligand, <target>_pred, <target>_lo, <target>_hi, score,
measured_<target> (the measured value where the pair is in the data),
<target>_beats_baseline, in_domain, note, precedents (literature rows with the ligand on the
QD's family), nearest_precedent (closest training row: reference and measured values).
Units: plqy and eqe in %, peak_nm in nm.
"""


def add_args(parser) -> None:
    from qdml.cli.common import add_model_args, add_sample_args

    parser.add_argument("--qd", required=True, help="QD composition, e.g. CsPbI3")
    parser.add_argument("--target", action="append",
                        help="target to rank by (repeatable; default: the one with the highest skill over its best "
                             "baseline under leave-one-reference-out)")
    parser.add_argument("--include-organic", action="store_true",
                        help='also rank organic ligands, "native" and placeholders (MBrn, ZnX2)')
    parser.add_argument("--by", choices=["mean", "lower", "ucb"], default="mean", help="score: prediction, lower bound or upper bound")
    parser.add_argument("--weight", action="append", metavar="TARGET=W", help="weight of a target in the combined score")
    parser.add_argument("--goal", action="append", metavar="TARGET=VALUE",
                        help="wanted value of a target, e.g. peak_nm=630: closer is better")
    parser.add_argument("--pareto", action="store_true",
                        help="rank by Pareto front over two or more targets first (needs two --target)")
    parser.add_argument("--candidates", metavar="FILE", help="CSV with a 'ligand' column (default: every knowledge-base ligand)")
    parser.add_argument("--top", type=int, help="show/write only the N best")
    parser.add_argument("--output", "-o", metavar="FILE.csv", help="write the ranking as CSV")
    parser.add_argument("--plot", metavar="ranking.png",
                        help="plot the top candidates with their intervals (with --pareto: the first two "
                        "targets against each other; with --goal: the goal marked)")
    add_model_args(parser)
    parser.add_argument("--confidence", type=float, default=0.8, help="interval level (default 0.8)")
    add_sample_args(parser)


def run(args) -> int:
    from qdml.cli.common import start_bundle_command

    start_bundle_command()  # first: see its docstring
    import sys

    from qdml.cli.common import check_confidence, console, load_model, sample_values
    from qdml.cli.tables import show
    from qdml.cli.views import SAVE_HINT, print_verdicts, ranking_columns
    from qdml.data.io import check_output
    from qdml.data.output import write_csv
    from qdml.exceptions import QdmlError
    from qdml.targets import get_target
    from qdml.workflows.ranking import rank

    targets = list(dict.fromkeys(args.target)) if args.target else None  # None: the most skilful target
    if args.pareto and (targets is None or len(targets) < 2):
        raise QdmlError("--pareto needs at least two targets to trade off, e.g. --target eqe --target plqy")
    weights = _assignments(args.weight, "--weight")
    goals = _assignments(args.goal, "--goal")
    check_confidence(args.confidence)
    if args.top is not None and args.top < 1:
        raise QdmlError(f"--top {args.top}: must be a positive whole number")
    if args.output:
        check_output(args.output, "--output", inputs=[args.candidates])
    if args.plot:
        check_output(args.plot, "--plot", inputs=[args.candidates, args.output])
    candidates = None
    if args.candidates:
        from qdml.validation import read_pairs_column

        candidates = read_pairs_column(args.candidates, "ligand")
    sample = sample_values(args)
    bundle = load_model(args)
    table = rank(args.qd, targets, by=args.by, candidates=candidates, model=bundle,
                 weights=({**{t: 1.0 for t in targets}, **weights} if targets else weights or None),
                 pareto=args.pareto, top=args.top, confidence=args.confidence, sample=sample, goals=goals,
                 include_organic=args.include_organic)
    targets = table.attrs.get("targets", targets)
    out = console()
    if args.output:
        write_csv(table, args.output, score_decimals=_score_decimals(targets))
        out.print(f"wrote {len(table)} rows to {args.output}", markup=False)
    wanted = "".join(f" (goal {t} = {v:g})" for t, v in goals.items())
    by = {"mean": "prediction", "lower": "cautious bound", "ucb": "optimistic bound"}[args.by]
    shown = args.top or 30
    show(out, ranking_columns(table.head(shown), targets, goals),
         title=f"Ligands for {args.qd}, ranked by the {by} ({args.by}) of "
         f"{', '.join(get_target(t).label for t in targets)}{wanted}; "
         f"value ({int(round(args.confidence * 100))} % interval)",
         more_rows=max(len(table) - shown, 0), hint=SAVE_HINT)
    print_verdicts(out, bundle.metadata.get("cv_scores") or [], targets, bundle.predictor.target_info)
    if not getattr(args, "quiet", False):
        for sentence in table.attrs.get("notes", []):
            if sentence not in bundle.predictor.rule_sentences:  # the verdict lines already say which targets a rule predicts
                print(f"note: {sentence}", file=sys.stderr)
        if "note" in table.columns:  # one line per distinct note, naming every ligand it concerns
            noted = table.head(shown)
            noted = noted[noted["note"].astype(str) != ""]
            for text, rows in noted.groupby("note", sort=False):
                who = ", ".join(f"{lig} (rank {r})" for lig, r in zip(rows["ligand"], rows["rank"]))
                print(f"note: {who}: {text}", file=sys.stderr)
    if args.plot:
        from qdml.evaluation.plots import plot_pareto, plot_ranking

        if args.pareto:
            plot_pareto(table, targets[0], targets[1], args.plot,
                        title=f"{args.qd}: Pareto fronts of {targets[0]} and {targets[1]} ({args.by})")
        else:
            plot_ranking(table, targets[0], args.plot, title=f"{args.qd}: top ligands by {args.by} {targets[0]}",
                         goal=goals.get(targets[0]))
        out.print(f"wrote {args.plot}", markup=False)
    return 0


def _score_decimals(targets: list[str]) -> int:
    """One target: the score is in its unit (its decimals); several: SD units (3 decimals)."""
    from qdml.targets import get_target

    return get_target(targets[0]).decimals if len(targets) == 1 else 3


def _assignments(items, flag: str) -> dict[str, float]:
    """``["eqe=2", "peak_nm=630"]`` -> ``{"eqe": 2.0, "peak_nm": 630.0}``."""
    import math

    from qdml.exceptions import QdmlError

    out = {}
    for item in items or []:
        name, _, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            raise QdmlError(f"{flag} {item!r}: expected TARGET=NUMBER") from None
        if not math.isfinite(number):
            raise QdmlError(f"{flag} {item}: {value.strip()} is not a finite number")
        out[name.strip()] = number
    return out
