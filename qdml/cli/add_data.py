"""``qdml add-data NEW.csv [--into DATASET.csv]``: validate and append a user's rows."""

from __future__ import annotations

NAME = "add-data"
HELP = "validate NEW.csv and append its rows to a dataset (atomic, locked, duplicates skipped)"
DESCRIPTION = """\
Add your measurements to a dataset, then retrain with 'qdml train' (or train on files
side by side: qdml train --data A.csv --data B.csv).

NEW.csv is validated exactly like the bundled data (same errors: file, line, column);
a failure changes nothing. Rows already in the dataset are reported and skipped; new
rows are appended (existing lines stay byte-identical) with provenance: an empty
'source' becomes "user file NEW.csv, line N". The write is atomic (temporary file and
rename) under a file lock, so two add-data runs at once both land. Columns of NEW.csv
that the dataset lacks are reported and not added.

Controls: an untreated sample is a row with role=control that shares a pair_id with its
treated rows (e.g. pair_id mylab-2026-01 on the control and on each treatment). Then the
paired model learns what each treatment changes from your own control. A control row
without pair_id, or an untreated ('native', 'pristine') row not marked control, lands
unpaired: add-data warns, naming the line and the fix.
"""


def add_args(parser) -> None:
    parser.add_argument("new", metavar="NEW.csv", help="your rows: ligand, qd and measured columns")
    parser.add_argument("--into", metavar="DATASET.csv", help="dataset to extend (default: the bundled dataset)")


def run(args) -> int:
    from qdml.cli.common import console
    from qdml.workflows.merging import add_data

    report = add_data(args.new, args.into)
    out = console()
    out.print(f"{report.into}: added {report.added} row(s); now {report.rows_after} rows")
    if report.skipped_duplicates:
        out.print(f"skipped {len(report.skipped_duplicates)} row(s) already present (lines {', '.join(map(str, report.skipped_duplicates))} of {args.new})")
    if report.dropped_columns:
        out.print(f"columns not in the dataset, not added: {', '.join(report.dropped_columns)}")
    import sys

    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
