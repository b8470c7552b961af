"""``qdml audit`` through the real command line: exit codes, the one-line problem format, --help."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

from qdml.data import dataset_path

QDML = [sys.executable, "-m", "qdml.cli.main"]
LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+): column '(?P<col>[a-z0-9_]+)': .+$")


def run(*args):
    return subprocess.run(QDML + [str(a) for a in args], capture_output=True, text=True)


def test_bundled_dataset_passes_the_audit():
    r = run("audit")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "audit OK" in r.stdout and len(r.stdout.strip().splitlines()) == 1


def test_problems_are_one_line_each_with_file_line_and_column(tmp_path):
    records = list(csv.DictReader(io.StringIO(dataset_path().read_text(encoding="utf-8"))))
    header = list(records[0])
    scn = next(r for r in records if r["ligand"] == "SCN-" and r["qd"] == "CsPbBr3")
    scn["lifetime_ns"] = "137"       # the citation number of its evidence
    scn["flags"] += "; typo: x"      # a token outside the vocabulary
    path = tmp_path / "lab.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerow(scn)
    r = run("audit", path)
    assert r.returncode == 1
    lines = r.stdout.strip().splitlines()
    parsed = [LINE.match(x) for x in lines]
    assert all(parsed), lines
    assert {(m["line"], m["col"]) for m in parsed} == {("2", "lifetime_ns"), ("2", "flags")}
    assert all(m["file"] == str(path) for m in parsed)
    assert "2 problem(s)" in r.stderr
    only = run("audit", "--check", "flags", path)
    assert only.returncode == 1 and "column 'flags'" in only.stdout and "lifetime_ns" not in only.stdout


def test_audit_reports_validation_problems_of_a_broken_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("ligand,qd,plqy,treatment\nSCN-,CsPbBr3,82,soaked\n", encoding="utf-8")
    r = run("audit", path)
    assert r.returncode == 1 and f"{path}:2: column 'treatment'" in r.stdout


def test_cli_lists_the_checks_of_the_audit_module():
    from qdml.audit import CHECKS
    from qdml.cli import audit

    assert audit.CHECKS == CHECKS


def test_help_explains_the_checks():
    r = run("audit", "--help")
    assert r.returncode == 0
    for word in ("from-to", "twins", "upper-bound", "flag_vocabulary.csv", "FILE:LINE: column 'NAME'"):
        assert word in r.stdout
    assert "audit" in run("--help").stdout
