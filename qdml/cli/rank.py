"""``qdml rank --qd CsPbI3 --target eqe``: candidate ligands for one QD, best first."""

from __future__ import annotations

NAME = "rank"
HELP = "rank candidate ligands (knowledge base or --candidates FILE) for one QD"
DESCRIPTION = """\
Score every ligand of the knowledge base (or the 'ligand' column of --candidates FILE)
on one QD and sort by score, best first. --by mean ranks by the prediction, lower by the
interval's lower bound (a cautious choice), ucb by its upper bound (an exploring one).
Several --target: the score is the weighted sum of each target's score divided by its
training SD (--weight eqe=2 ...); --pareto ranks by Pareto front first.
Output columns: rank, ligand, <target>_pred, <target>_lo, <target>_hi, score,
measured_<target> (the measured value where the pair is in the data), in_domain.
Units: plqy and eqe in %, peak_nm in nm.
"""


def add_args(parser) -> None:
    from qdml.cli.common import add_sample_args

    parser.add_argument("--qd", required=True, help="QD composition, e.g. CsPbI3")
    parser.add_argument("--target", action="append", help="target to rank by (repeatable; default eqe)")
    parser.add_argument("--by", choices=["mean", "lower", "ucb"], default="mean", help="score: prediction, lower bound or upper bound")
    parser.add_argument("--weight", action="append", metavar="TARGET=W", help="weight of a target in the combined score")
    parser.add_argument("--pareto", action="store_true", help="rank by Pareto front over the targets first")
    parser.add_argument("--candidates", metavar="FILE", help="CSV with a 'ligand' column (default: every knowledge-base ligand)")
    parser.add_argument("--top", type=int, help="show/write only the N best")
    parser.add_argument("--output", "-o", metavar="FILE.csv", help="write the ranking as CSV")
    parser.add_argument("--plot", metavar="ranking.png", help="plot the top candidates with their intervals")
    parser.add_argument("--model", default=None, help="bundle name or folder (default: default)")
    parser.add_argument("--confidence", type=float, default=0.8, help="interval level (default 0.8)")
    add_sample_args(parser)


def run(args) -> int:
    from qdml.cli.common import console, print_frame, sample_values
    from qdml.exceptions import QdmlError
    from qdml.io import atomic_write
    from qdml.workflows import rank

    targets = args.target or ["eqe"]
    weights = {}
    for item in args.weight or []:
        name, _, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise QdmlError(f"--weight {item!r}: expected TARGET=NUMBER") from None
    candidates = None
    if args.candidates:
        from qdml.schema import read_pairs_column

        candidates = read_pairs_column(args.candidates, "ligand")
    sample = sample_values(args)
    table = rank(args.qd, targets, by=args.by, candidates=candidates, model=args.model,
                 weights={t: weights.get(t, 1.0) for t in targets}, pareto=args.pareto, top=args.top,
                 confidence=args.confidence, sample=sample)
    if args.output:
        with atomic_write(args.output) as fh:
            table.to_csv(fh, index=False)
        console().print(f"wrote {len(table)} rows to {args.output}")
    shown = table.drop(columns=["domain_reason"])
    print_frame(shown, title=f"Ligands for {args.qd}, ranked by {args.by} of {', '.join(targets)}", max_rows=args.top or 30)
    if args.plot:
        from qdml.plots import plot_ranking

        plot_ranking(table, targets[0], args.plot, title=f"{args.qd}: top ligands by {args.by} {targets[0]}")
        console().print(f"wrote {args.plot}")
    return 0
