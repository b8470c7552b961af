"""End-to-end through the real command line (subprocess), on real rows of the review."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pandas as pd
import pytest

from qdml.data import dataset_path
from tests.conftest import HEADER, ROW_CL, ROW_SCN, write_csv

# End to end: a fresh interpreter per call. The fast lane drives the same entry point in-process
# (tests/cli/test_output.py).
pytestmark = pytest.mark.slow

QDML = [sys.executable, "-m", "qdml.cli.main"]


def run(*args, cwd=None):
    # a wide pipe: tables keep every column, so the assertions below read whole headers
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(QDML + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def model_dir(small_bundle):
    return small_bundle


def test_help_is_fast_and_explains_units():
    r = run("--help")
    assert r.returncode == 0 and "PLQY" in r.stdout and "validate" in r.stdout
    r = run("predict", "--help")
    assert "control_plqy" in r.stdout and "nm" in r.stdout


def test_validate_bundled_dataset_is_clean():
    r = run("validate", dataset_path())
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_validate_reports_line_and_column(tmp_path):
    bad = write_csv(tmp_path, "\n".join([HEADER, ROW_SCN, ROW_CL.replace(",26.1,", ",-26.1,")]) + "\n")
    before = bad.read_bytes()
    r = run("validate", bad)
    assert r.returncode != 0
    assert f"{bad}:3: column 'eqe'" in r.stderr
    assert bad.read_bytes() == before


def test_summary_runs_on_bundled_data():
    r = run("summary")
    assert r.returncode == 0, r.stderr
    assert "lead-halide perovskite" in r.stdout


def test_featurize_writes_table_and_rejects_unknown_ligand(tmp_path):
    good = write_csv(tmp_path, "ligand,qd\nSCN-,CsPbBr3\nKI,CsPbI3\n", "pairs.csv")
    out = tmp_path / "features.csv"
    r = run("featurize", good, "--output", out)
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out)
    assert len(table) == 2 and any(c.startswith("ligand__") for c in table.columns)
    bad = write_csv(tmp_path, "ligand,qd\nSCN-,CsPbBr3\nunobtainium,CsPbI3\n", "bad.csv")
    out2 = tmp_path / "f2.csv"
    r = run("featurize", bad, "--output", out2)
    assert r.returncode != 0 and ":3: column 'ligand'" in r.stderr
    assert not out2.exists()


def test_predict_table2_pair_untested_pair_and_unresolvable_row(tmp_path, model_dir):
    pairs = write_csv(tmp_path, "ligand,qd,el_color,note\nSCN-,CsPbBr3,green,table 2\nKI,CsPbI3,Red,untested\nunobtainium,CsPbI3,,bad\n", "p.csv")
    out = tmp_path / "preds.csv"
    r = run("predict", "--input", pairs, "--output", out, "--model", model_dir)
    assert r.returncode == 0, r.stderr
    preds = pd.read_csv(out, keep_default_na=False)
    assert list(preds["note"]) == ["table 2", "untested", "bad"]
    for t in ("plqy", "eqe", "peak_nm"):
        assert {f"{t}_pred", f"{t}_lo", f"{t}_hi"} <= set(preds.columns)
    assert preds.loc[2, "plqy_pred"] == "" and preds.loc[2, "in_domain"] in (False, "False")
    assert "unobtainium" in preds.loc[2, "domain_reason"]
    lo, p, hi = (float(preds.loc[0, c]) for c in ("peak_nm_lo", "peak_nm_pred", "peak_nm_hi"))
    assert lo <= p <= hi and 480 < p < 560  # green CsPbBr3


def test_predict_explain_prints_the_nearest_rows_with_their_evidence(model_dir):
    r = run("predict", "--ligand", "Cl-", "--qd", "CsPbI3", "--el-color", "red", "--explain", "--model", model_dir)
    assert r.returncode == 0, r.stderr
    assert "Nearest training rows" in r.stdout and "evidence:" in r.stdout and "Feng" in r.stdout


def test_predict_untreated_qd_from_size_and_refuse_impossible_control(model_dir):
    r = run("predict", "--ligand", "native", "--qd", "CdSe", "--size-nm", "4", "--model", model_dir)
    assert r.returncode == 0, r.stderr
    bad = run("predict", "--ligand", "KBr", "--qd", "CsPbBr3", "--control-plqy", "150", "--model", model_dir)
    assert bad.returncode != 0 and "control_plqy" in bad.stderr and "Traceback" not in bad.stderr


def test_predict_single_pair(model_dir):
    r = run("predict", "--ligand", "SCN-", "--qd", "CsPbI3", "--el-color", "red", "--model", model_dir)
    assert r.returncode == 0, r.stderr
    assert "SCN-" in r.stdout


def test_add_data_good_file_appends_and_keeps_old_lines(tmp_path):
    target = tmp_path / "data.csv"
    target.write_bytes(open(dataset_path(), "rb").read())
    before = target.read_bytes()
    new = write_csv(tmp_path, "ligand,qd,plqy,peak_nm,reference,evidence\nKBr,CsPbBr3,91,515,our lab 2026,notebook p.12\n", "new.csv")
    r = run("add-data", new, "--into", target)
    assert r.returncode == 0, r.stderr
    after = target.read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    assert b"user file new.csv, line 2" in after
    r = run("add-data", new, "--into", target)  # again: a duplicate, skipped
    assert "skipped 1" in r.stdout and target.read_bytes() == after


@pytest.mark.parametrize(
    "text,line,column",
    [
        ("ligand,qd,plqy\nKBr,CsPbBr3,140\n", 2, "plqy"),
        ("ligand,qd,eqe\nKBr,CsPbBr3,1\nKBr,CsPbI3,-0.5\n", 3, "eqe"),
        ("ligand,qd,plqy\nKBr,CsPbBr3,abc\n", 2, "plqy"),
        ("ligand,qd,plqy\nunobtainium,CsPbBr3,50\n", 2, "ligand"),
        ("ligand,qd,plqy\nKBr,Xx9Qq,50\n", 2, "qd"),
        ("ligand,qd,role,plqy\nKBr,CsPbBr3,before,50\n", 2, "role"),
    ],
)
def test_add_data_bad_file_changes_nothing(tmp_path, text, line, column):
    target = tmp_path / "data.csv"
    target.write_bytes(open(dataset_path(), "rb").read())
    before = target.read_bytes()
    bad = write_csv(tmp_path, text, "bad.csv")
    r = run("add-data", bad, "--into", target)
    assert r.returncode != 0
    assert f"bad.csv:{line}: column '{column}'" in r.stderr
    assert target.read_bytes() == before


def test_two_concurrent_add_data_keep_every_row(tmp_path):
    target = tmp_path / "data.csv"
    target.write_bytes(open(dataset_path(), "rb").read())
    n0 = len(pd.read_csv(target))
    files = [
        write_csv(tmp_path, f"ligand,qd,plqy,reference\nKBr,CsPbBr3,{50 + i},lab {i}\nNaBr,CsPbBr3,{60 + i},lab {i}\n", f"n{i}.csv")
        for i in range(2)
    ]
    results = [None, None]

    def go(i):
        results[i] = run("add-data", files[i], "--into", target)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert len(pd.read_csv(target)) == n0 + 4


def test_rank_returns_every_inorganic_kb_ligand_once_sorted(tmp_path, model_dir):
    from qdml.chemistry.ligands import knowledge_base_ligands

    out = tmp_path / "rank.csv"
    r = run("rank", "--qd", "CsPbI3", "--target", "eqe", "--by", "lower", "--output", out, "--model", model_dir,
            "--plot", tmp_path / "rank.png")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out)
    inorganic = knowledge_base_ligands(include_organic=False, include_placeholders=False)
    assert sorted(table["ligand"]) == sorted(set(inorganic))
    assert not {"native", "OAm", "TOPO", "MBrn", "ZnX2"} & set(table["ligand"])
    assert {"precedents", "nearest_precedent", "note", "eqe_beats_baseline"} <= set(table.columns)
    every = tmp_path / "every.csv"
    r = run("rank", "--qd", "CsPbI3", "--target", "eqe", "--include-organic", "--output", every, "--model", model_dir)
    assert r.returncode == 0, r.stderr
    assert sorted(pd.read_csv(every)["ligand"]) == sorted(set(knowledge_base_ligands()))
    assert list(table.columns[:7]) == ["rank", "ligand", "eqe_pred", "eqe_lo", "eqe_hi", "score", "measured_eqe"]
    assert "in_domain" in table.columns
    assert table["score"].is_monotonic_decreasing
    assert (table["score"] == table["eqe_lo"]).all()
    assert (tmp_path / "rank.png").stat().st_size > 1000


def test_rank_with_a_peak_goal_puts_the_closest_peaks_first(tmp_path, model_dir):
    """A red-emitting CsPbI3 LED wants ~630 nm: ranking by the peak must not just favour the reddest."""
    out = tmp_path / "rank.csv"
    r = run("rank", "--qd", "CsPbI3", "--target", "peak_nm", "--goal", "peak_nm=630", "--output", out,
            "--model", model_dir, "--el-color", "red")
    assert r.returncode == 0, r.stderr
    assert "goal peak_nm = 630" in r.stdout
    table = pd.read_csv(out)
    distance = (table["peak_nm_pred"] - 630).abs()
    assert distance.is_monotonic_increasing
    assert (table["score"] == -distance).all()
    bad = run("rank", "--qd", "CsPbI3", "--target", "eqe", "--goal", "peak_nm=630", "--model", model_dir)
    assert bad.returncode != 0 and "not ranked" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_evaluate_writes_json_with_contract_keys_and_an_offline_report(tmp_path):
    import json

    out, html = tmp_path / "scores.json", tmp_path / "report.html"
    r = run("evaluate", "--scheme", "leave-one-qd-out", "--targets", "peak_nm", "--mode", "absolute",
            "--json", out, "--report", html)
    assert r.returncode == 0, r.stderr
    entries = json.loads(out.read_text())
    assert {(e["features"]) for e in entries} == {"full", "composition-only"}
    keys = {"target", "scheme", "mode", "features", "n", "mae", "rmse", "r2", "spearman", "mae_sd",
            "baseline_mae", "baselines", "mae_ci", "coverage", "estimator"}
    for e in entries:
        assert keys <= set(e) and e["scheme"] == "leave-one-qd-out" and e["mode"] == "absolute"
        assert isinstance(e["baselines"], dict) and len(e["mae_ci"]) == 2 and 0 <= e["coverage"] <= 1
    page = html.read_text()
    assert "data:image/png;base64," in page and "http" not in page
    # opens with a headline card per target, before any figure; ends with a glossary of every column
    body = page.split("<body>", 1)[1]
    assert body.index("class='card") < body.index("<img")
    assert "Peak (nm)" in body.split("<img", 1)[0] and "best baseline" in body.split("<img", 1)[0]
    glossary = body.split("<h2>Glossary</h2>", 1)[1]
    for column in ("MAE", "best baseline", "vs best baseline", "skill", "coverage", "Spearman ρ"):
        assert f"<dt>{column}" in glossary
    assert "ligand__" not in page and "_missing" not in page  # features under readable names
    assert "leave-one-qd-out" in r.stdout and "MAE (nm)" in r.stdout and "best baseline" in r.stdout


@pytest.mark.slow
def test_screen_small_example_writes_rows_and_shows_the_best(tmp_path):
    out = tmp_path / "screen.csv"
    r = run("screen", "examples/screen_small.toml", "--output", out, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert r.returncode == 0, r.stderr
    rows = pd.read_csv(out)
    assert len(rows) > 2000 and {"plqy_pred", "plqy_lo", "plqy_hi", "score", "in_domain"} <= set(rows.columns)
    assert "Best by lower plqy" in r.stdout
    assert "note" in rows.columns and rows["note"].fillna("").str.contains("exchanges the lattice halide").any()
    # the top PLQY candidates tie when one value is predicted for all of them, and the screen says so
    top = rows.sort_values("plqy_lo", ascending=False).head(15)
    assert ("best by plqy share one score" in r.stderr) == (top["plqy_lo"].round(1).nunique() == 1)
