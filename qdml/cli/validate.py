"""``qdml validate FILE...``: report every problem of each file; exit 0 only when all are clean."""

from __future__ import annotations

import sys

NAME = "validate"
HELP = "check data files against the schema (every problem, with file:line and column)"
DESCRIPTION = """\
Check one or more dataset CSV files without changing them.

Rules: UTF-8 text (BOM allowed; UTF-16 is named, not misread), comma-delimited (a
semicolon export is detected, and its decimal commas, 82,5, are read with a note);
columns ligand and qd plus at least one measured column; numbers finite and in range
(eqe 0-100 %, plqy 0-100 % or above only with flags 'quantum-cutting', peak_nm 250-2500,
fwhm_nm / von_v / lmax_cd_m2 / lifetime_ns > 0, size_nm 0.5-1000, abs_peak_nm 200-3000);
role treated or control; treatment exchange, post-treatment, in-synthesis, doping,
device-layer or unknown; no exact duplicate rows; every ligand resolves and every QD
composition parses. 'qdml audit' checks what the rows say against their evidence.
Each problem is printed on one line as FILE:LINE: column 'NAME': message (header = line 1).
Physically implausible values are kept and flagged (reported as notes).
Long files show a progress bar on a terminal (not with -q).
"""


def add_args(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="CSV files to check")


def run(args) -> int:
    from qdml.cli.common import print_warnings, progress_bar
    from qdml.exceptions import ValidationError
    from qdml.validation import read_validated

    status = 0
    for path in args.files:
        try:
            with progress_bar(f"validating {path}", quiet=getattr(args, "quiet", False)) as progress:
                data = read_validated(path, progress=progress)
        except ValidationError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            print(f"{path}: {len(exc.problems)} problem(s)", file=sys.stderr)
            status = 1
            continue
        if not getattr(args, "quiet", False):
            print_warnings(data.warnings)
        print(f"{path}: OK, {data.n_rows} rows, {len(data.warnings)} flagged")
    return status
