"""``qdml summary [FILE]``: what a dataset covers (bundled data by default)."""

from __future__ import annotations

NAME = "summary"
HELP = "counts by ligand class, QD family, sample, target coverage and the rows left out of training"
DESCRIPTION = """\
Summarize a dataset: rows by ligand class (the review's five classes plus pseudohalide,
organic-inorganic hybrid and organic), by QD family (lead-halide perovskite, II-VI, III-V,
I-III-VI, IV-VI ...), by sample (device / film / solution), how many rows carry each
measured column (eqe %, plqy %, peak_nm, fwhm_nm, von_v, lmax_cd_m2, lifetime_ns), and
exactly which rows training leaves out (an excluding flag such as suspect-value); rows
whose flags are only notes stay in training and are counted.
Without FILE: the bundled datasets/qd_ligand_literature.csv.
--output FILE writes every table in full: Markdown (.md, or any other name) or JSON (.json).
"""

TITLES = {
    "overview": "Overview",
    "ligand_class": "Rows by ligand class",
    "qd_family": "Rows by QD family",
    "sample": "Rows by sample (where the value was measured)",
    "coverage": "Target coverage (usable = not left out)",
    "left_out": "Rows left out of training (kept as published; use --include-flagged to train on them)",
    "notes": "Rows with flags that are notes only (kept in training)",
}
#: Tables shown in full on the terminal; the others are counted and written by --output.
TERMINAL = ("overview", "ligand_class", "qd_family", "sample", "coverage", "left_out")


def add_args(parser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE", help="dataset CSV (default: bundled data)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write every table in full (.md Markdown or .json)")


def run(args) -> int:
    from qdml.cli.common import console, print_frame
    from qdml.data import dataset_path
    from qdml.validation import read_validated
    from qdml.workflows.summary import summarize

    path = args.file or dataset_path()
    if args.output:
        from qdml.data.io import check_output

        check_output(args.output, "--output", inputs=[path])
    data = read_validated(path)
    tables = summarize(data)
    tables["coverage"] = _rounded_coverage(tables["coverage"])
    out = console()
    out.print(f"{path}  sha256 {data.sha256[:12]}", markup=False)
    hint = "use --output FILE.md to get them all"
    for key in TERMINAL:
        frame = tables[key]
        if key == "left_out" and frame.empty:
            out.print("No rows are left out of training.")
            continue
        print_frame(frame, title=TITLES[key], max_rows=60, headers=_HEADERS, hint=hint)
    notes = tables["notes"]
    if len(notes):
        out.print(f"{len(notes)} more row(s) carry flags that are notes only and stay in training "
                  "(--output FILE.md lists them).", markup=False, soft_wrap=False)
    if args.output:
        write_summary(args.output, path, data.sha256, tables)
        out.print(f"wrote every table to {args.output}", markup=False)
    return 0


_HEADERS = {"line": "line", "min": "min", "median": "median", "max": "max"}


def _rounded_coverage(frame):
    """min / median / max of each row to what its column supports (peaks 1 nm, PLQY 0.1 %)."""
    from qdml.targets import TARGETS

    out = frame.copy()
    for col in ("min", "median", "max"):
        out[col] = [round(v, TARGETS[t].decimals) if t in TARGETS else v for t, v in zip(out["target"], out[col])]
    return out


def write_summary(output, path, sha256: str, tables: dict) -> None:
    """Every table in full, as Markdown or (``.json``) JSON; written atomically."""
    import json

    from qdml.data.io import atomic_write

    if str(output).lower().endswith(".json"):
        payload = {"file": str(path), "sha256": sha256,
                   "tables": {k: json.loads(tables[k].to_json(orient="records")) for k in TITLES}}
        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    else:
        parts = [f"# Summary of {path}", "", f"sha256 {sha256}", ""]
        for key in TITLES:
            frame = tables[key]
            parts += [f"## {TITLES[key]}", "", _markdown(frame) if len(frame) else "(none)", ""]
        text = "\n".join(parts)
    with atomic_write(output) as fh:
        fh.write(text)


def _markdown(frame) -> str:
    """A Markdown table without the optional 'tabulate' dependency; numbers rounded by target."""
    from qdml.cli.tables import frame_columns

    cols = frame_columns(frame)
    esc = [[c.header] + c.cells for c in cols]
    rows = list(zip(*esc))
    lines = ["| " + " | ".join(str(v).replace("|", "\\|") for v in rows[0]) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(str(v).replace("|", "\\|").replace("\n", " ") for v in r) + " |" for r in rows[1:]]
    return "\n".join(lines)
