"""``qdml summary [FILE]``: what a dataset covers (bundled data by default)."""

from __future__ import annotations

NAME = "summary"
HELP = "counts by ligand class, QD family, sample, target coverage and flagged rows"
DESCRIPTION = """\
Summarize a dataset: rows by ligand class (the review's five classes plus pseudohalide,
organic-inorganic hybrid and organic), by QD family (lead-halide perovskite, II-VI, III-V,
I-III-VI, IV-VI ...), by sample (device / film / solution), how many rows carry each
measured column (eqe %, plqy %, peak_nm, fwhm_nm, von_v, lmax_cd_m2, lifetime_ns), and
which rows are flagged. Without FILE: the bundled datasets/qd_ligand_literature.csv.
"""


def add_args(parser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE", help="dataset CSV (default: bundled data)")


def run(args) -> int:
    from qdml.cli.common import console, print_frame
    from qdml.data import dataset_path
    from qdml.validation import read_validated
    from qdml.workflows.summary import summarize

    path = args.file or dataset_path()
    data = read_validated(path)
    tables = summarize(data)
    console().print(f"[bold]{path}[/bold]  sha256 {data.sha256[:12]}")
    titles = {
        "overview": "Overview",
        "ligand_class": "Rows by ligand class",
        "qd_family": "Rows by QD family",
        "sample": "Rows by sample (where the value was measured)",
        "coverage": "Target coverage (usable = not flagged)",
        "flagged": "Flagged rows (kept as published; flagged values are left out of training)",
    }
    for key, title in titles.items():
        frame = tables[key]
        if key == "flagged" and frame.empty:
            console().print("No flagged rows.")
            continue
        print_frame(frame, title=title)
    return 0
