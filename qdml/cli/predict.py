"""``qdml predict``: predictions with intervals for one pair or a CSV of pairs."""

from __future__ import annotations

NAME = "predict"
HELP = "predict PLQY, EQE, peak ... with 80 % intervals for untested ligand-QD pairs"
DESCRIPTION = """\
Predict every target of a model bundle for one pair (--ligand "SCN-" --qd CsPbI3) or for
each row of a CSV (--input pairs.csv --output preds.csv).

Input columns: ligand, qd; optional el_color (violet, blue, sky-blue, cyan, green,
yellow, orange, red, deep-red, NIR; case-insensitive, unknown -> missing with a warning),
size_nm (nm), pristine_peak_nm (nm, the untreated QDs' PL peak), abs_peak_nm (nm, their
first excitonic absorption peak), and for the paired model
control_plqy (%), control_eqe (%), control_peak_nm (nm): the untreated sample's values.
Other columns pass through unchanged. Output, one row per input row in input order:
<target>_pred, <target>_lo, <target>_hi (units: plqy/eqe %, peak_nm/fwhm_nm nm, rounded to
what the data supports: 0.1 % and 1 nm), in_domain, domain_reason,
note (e.g. a halide ligand that exchanges a perovskite's lattice halide and changes its colour),
precedents (literature rows with the same ligand on the same QD family), nearest_precedent
(the closest training row: reference and measured values); --explain prints, for one pair,
the nearest training rows with their evidence quotes.
Without colour or pristine peak, the peak starts from the untreated QDs' confinement-aware
estimate (a sizing curve at --size-nm, else the family's typical size); --ligand native
predicts the untreated QDs' peak. A colour or pristine peak the composition cannot emit is
ignored and makes the row out of domain.
Under the table, one sentence per target says whether the model beats its best baseline
in the bundle's cross-validation scores.
A row whose ligand or QD does not resolve gets empty predictions and the reason; the
command exits non-zero only if the file is invalid or no row resolves.
"""


def add_args(parser) -> None:
    from qdml.cli.common import add_model_args, add_sample_args

    g = parser.add_argument_group("one pair")
    g.add_argument("--ligand", help='ligand notation, e.g. "SCN-", "SO4 2-", KBr, "Cs+/Rb+"')
    g.add_argument("--qd", help="QD composition, e.g. CsPbI3, CsPb(Br0.4Cl0.6)3, InP/ZnSe/ZnS")
    add_sample_args(parser)
    f = parser.add_argument_group("a file of pairs")
    f.add_argument("--input", "-i", metavar="pairs.csv", help="CSV of pairs")
    f.add_argument("--output", "-o", metavar="preds.csv", help="write predictions here (CSV)")
    add_model_args(parser)
    parser.add_argument("--confidence", type=float, default=0.8, help="interval level between 0 and 1 (default 0.8)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="processes for a large --input, 20 000 rows at a time (default 1; -1 = every core)")
    parser.add_argument("--explain", action="store_true",
                        help="for one pair: also print the nearest training rows with their evidence quotes")


def run(args) -> int:
    from qdml.cli.common import start_bundle_command

    start_bundle_command()  # first: see its docstring
    import sys

    import pandas as pd

    from qdml.cli.common import check_confidence, check_jobs, console, load_model, sample_values
    from qdml.cli.tables import show
    from qdml.cli.views import SAVE_HINT, prediction_columns, print_verdicts
    from qdml.data.io import atomic_write, check_output
    from qdml.exceptions import QdmlError
    from qdml.validation import read_pairs
    from qdml.workflows.prediction import predict_chunks

    check_confidence(args.confidence)
    check_jobs(args.jobs)
    if args.output:
        check_output(args.output, "--output", inputs=[args.input])
    if args.input:
        pairs = read_pairs(args.input, strict=False)  # indexed by file line (header = 1)
    elif args.ligand and args.qd:
        pairs = pd.DataFrame([{"ligand": args.ligand, "qd": args.qd, **sample_values(args)}])
    else:
        raise QdmlError("give --ligand and --qd, or --input pairs.csv")
    bundle = load_model(args)
    seen = _Seen()
    chunks = predict_chunks(pairs, model=bundle, confidence=args.confidence, n_jobs=args.jobs,
                            as_csv=bool(args.output))
    out = console()
    if args.output:
        with atomic_write(args.output) as fh:  # rows streamed as their chunk is predicted
            for chunk, text in chunks:
                fh.write(text)
                seen.add(chunk)
        out.print(f"wrote {seen.rows} rows to {args.output}", markup=False)
    else:
        for chunk in chunks:
            seen.add(chunk)
    show(out, prediction_columns(seen.head),
         title=f"Predictions: value ({int(round(args.confidence * 100))} % interval)",
         more_rows=max(seen.rows - seen.SHOW, 0), hint=SAVE_HINT)
    print_verdicts(out, bundle.metadata.get("cv_scores") or [], bundle.predictor.targets, bundle.predictor.target_info)
    if not getattr(args, "quiet", False):
        for i, row in seen.reasons.iterrows():  # one line each: grep and editors rely on it
            where = f"{args.input}:{i}" if args.input else f"row {i + 1}"
            print(f"note: {where} ({row['ligand']} on {row['qd']}): {row['domain_reason']}", file=sys.stderr)
        if len(seen.head) <= 5 and "nearest_precedent" in seen.head.columns:
            for i, row in seen.head.iterrows():
                if row["nearest_precedent"]:
                    where = f"{args.input}:{i}" if args.input else f"row {i + 1}"
                    n = int(row["precedents"]) if row["precedents"] == row["precedents"] else 0
                    print(f"evidence: {where}: {n} literature row(s) with {row['ligand']} on this QD family; "
                          f"nearest training row: {row['nearest_precedent']}", file=sys.stderr)
        note_col = "qdml_note" if "qdml_note" in seen.head.columns else "note"
        notes = seen.head[seen.head[note_col].astype(str) != ""] if note_col in seen.head.columns else seen.head.iloc[0:0]
        for i, row in notes.head(20).iterrows():
            where = f"{args.input}:{i}" if args.input else f"row {i + 1}"
            print(f"note: {where} ({row['ligand']} on {row['qd']}): {row[note_col]}", file=sys.stderr)
    if not seen.resolved:
        print("qdml predict: no row could be resolved", file=sys.stderr)
        return 1
    if args.explain:
        if args.input:
            raise QdmlError("--explain works on one pair: give --ligand and --qd")
        from qdml.workflows.prediction import explain

        near = explain(pairs.iloc[0].to_dict(), model=bundle)
        out = console()
        out.print(f"Nearest training rows to {args.ligand} on {args.qd} (distance 1 = the 95th percentile of the "
                  "training rows' own nearest-neighbour distances):", markup=False)
        for i, row in near.iterrows():
            out.print(f"{i + 1}. distance {row['distance']:.2f}: {row['ligand']} on {row['qd']} ({row['values']}) - "
                      f"{row['reference']} [{row['line']}]", markup=False)
            out.print(f"   evidence: \"{row['evidence']}\"", markup=False)
    return 0


class _Seen:
    """What the terminal shows of a prediction streamed to a file: the first rows, the first
    notes, the row count and whether any row resolved."""

    SHOW, NOTES = 40, 20

    def __init__(self):
        self.rows, self.resolved = 0, False
        self._head, self._reasons = [], []

    def add(self, chunk) -> None:
        if self.rows < self.SHOW:
            self._head.append(chunk.head(self.SHOW - self.rows))
        self.rows += len(chunk)
        reason = chunk["domain_reason"].astype(str)
        self.resolved = self.resolved or bool((~reason.str.match(r"^(ligand|qd): ")).any())
        have = sum(len(r) for r in self._reasons)
        if have < self.NOTES:
            self._reasons.append(chunk[reason != ""].head(self.NOTES - have))

    @property
    def head(self):
        import pandas as pd

        return pd.concat(self._head) if len(self._head) > 1 else self._head[0]

    @property
    def reasons(self):
        import pandas as pd

        return pd.concat(self._reasons) if self._reasons else self.head.iloc[0:0]
