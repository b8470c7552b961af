"""``qdml audit [FILE]``: the curator's check of a dataset; exit 0 only when nothing is found."""

from __future__ import annotations

import sys

NAME = "audit"
HELP = "curator's check of a dataset: each value against its evidence, names, pairs, twins, flags"
DESCRIPTION = """\
Check that each row of a dataset says what its evidence says (default FILE: the bundled
datasets/qd_ligand_literature.csv). Runs validate first; then:

  values      every number (eqe, plqy, peak_nm, fwhm_nm, von_v, lmax_cd_m2, lifetime_ns,
              size_nm, abs_peak_nm) is in its evidence as a value of that column: its own
              Table 2 cell, or prose with the column's unit (% nm V cd ns) or keyword;
              citation numbers "[137]" and formula digits "CsPbBr3" do not count
  qualifiers  "~", "about", "over", "up to", "average", "decent" before a value need the
              flag token approx / lower-bound / upper-bound / not-maximum; a luminance
              read from prose must be called a maximum or carry not-maximum
  names       the evidence or reference names the ligand (notation, alias in ligands.csv,
              or every ion/molecule of it) and the QD (formula, core elements, acronym,
              or "perovskite"); a 'notation:' flag naming the stored value waives it
  from-to     a "from X to Y" sentence: the control holds X, the treated row Y
  twins       one paper (DOI or normalised reference), role and sample with two or more
              equal values, whatever the ligand spelling (or the same QD under two references)
  flags       every flag item starts with a token of datasets/flag_vocabulary.csv
  treatment   treated rows have one (exchange, post-treatment, in-synthesis, doping,
              device-layer, unknown), controls none, dopant-not-surface rows are doping
  doi         a bare DOI, one per reference, and the DOI of the source URL filled in

Each problem is printed on one line as FILE:LINE: column 'NAME': message (header = line 1);
the exit status is 1 when there is any, else 0 with a one-line summary.
"""


#: The checks of :mod:`qdml.audit` (kept here so that ``--help`` imports nothing heavy; a test compares).
CHECKS = ("values", "qualifiers", "names", "from-to", "twins", "flags", "treatment", "doi")


def add_args(parser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE", help="dataset CSV (default: the bundled dataset)")
    parser.add_argument(
        "--check", action="append", choices=CHECKS, metavar="CHECK",
        help=f"run only this check (repeatable): {', '.join(CHECKS)}",
    )


def run(args) -> int:
    from qdml.audit import audit_file
    from qdml.data import dataset_path

    path = str(args.file or dataset_path())
    checks = tuple(args.check) if args.check else CHECKS
    problems = audit_file(path, checks=checks)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{path}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    from qdml.validation import read_validated

    print(f"{path}: audit OK, {read_validated(path).n_rows} rows, checks: {', '.join(checks)}")
    return 0
