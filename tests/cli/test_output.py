"""What a chemist reads: tables that fit 80 columns with units, rounded CSVs, verdict sentences,
progress only on a terminal, bundles found through --models-dir, summary --output, add-data warnings,
--pareto rules."""

from __future__ import annotations

import csv
import json
import os
import pty
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pandas as pd
import pytest

from qdml.cli.main import main
from qdml.data import dataset_path
from qdml.targets import TARGETS
from tests.conftest import write_csv

QDML = [sys.executable, "-m", "qdml.cli.main"]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys, monkeypatch):
    """The real ``qdml`` entry point, in this process (no interpreter start-up per call)."""

    def call(*args, cwd=None, env=None, columns=80):
        monkeypatch.setenv("COLUMNS", str(columns))
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # --help
            code = int(exc.code or 0)
        out = capsys.readouterr()
        for key in env or {}:
            monkeypatch.delenv(key)
        monkeypatch.chdir(REPO)
        return Result(code, out.out, out.err)

    return call


def run_with_tty_stderr(*args, cwd=None):
    """Run with stderr on a pseudo-terminal (what a user at a terminal sees); return (rc, stderr text)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm", "PYTHONPATH": REPO}
    proc = subprocess.Popen(QDML + [str(a) for a in args], stdout=subprocess.DEVNULL, stderr=slave, cwd=cwd, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def models(tmp_path_factory, small_bundle):
    """A models folder holding the shared small bundle under the name 'lab'."""
    folder = tmp_path_factory.mktemp("models")
    shutil.copytree(small_bundle, folder / "lab")
    return folder


def test_train_by_name_writes_into_the_models_folder_and_says_how_to_use_it(run, tmp_path):
    folder = tmp_path / "my models"
    r = run("train", "--no-cv", "--targets", "fwhm_nm", "--name", "widths", "--models-dir", folder, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (folder / "widths" / "metadata.json").is_file() and not (tmp_path / "models").exists()
    assert "qdml predict --model widths --models-dir" in r.stdout and "no cross-validation scores" in " ".join(r.stdout.split()).lower()


def test_every_command_taking_a_model_documents_models_dir(run):
    for command in ("train", "predict", "rank", "screen"):
        r = run(command, "--help", columns=200)
        assert "--models-dir" in r.stdout and "QDML_MODELS_DIR" in r.stdout, command


def test_a_named_bundle_is_found_from_any_folder_through_models_dir_or_the_environment(run, models, tmp_path):
    r = run("predict", "--ligand", "KI", "--qd", "CsPbI3", "--model", "lab", "--models-dir", models, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = run("predict", "--ligand", "KI", "--qd", "CsPbI3", "--model", "lab", cwd=tmp_path,
            env={"QDML_MODELS_DIR": str(models)})
    assert r.returncode == 0, r.stderr
    r = run("predict", "--ligand", "KI", "--qd", "CsPbI3", "--model", "lab", cwd=models,
            env={"QDML_MODELS_DIR": str(tmp_path)})
    assert r.returncode != 0 and "no model bundle 'lab'" in r.stderr and "Traceback" not in r.stderr


def test_prediction_table_fits_80_columns_with_units_and_every_value_whole(run, models, tmp_path):
    pairs = write_csv(tmp_path, "ligand,qd,el_color\nSCN-,CsPbBr3,green\nIn(NO3)3,PbS,NIR\n"
                      "Cs+/Rb+,FAPbI3,red\nKI,CsPbI3,red\nunobtainium,CsPbI3,\n", "pairs.csv")
    out = tmp_path / "preds.csv"
    r = run("predict", "--input", pairs, "--output", out, "--model", "lab", "--models-dir", models)
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if not line.startswith("wrote ")]  # a path stays whole
    assert max(len(line) for line in lines) <= 80
    text = r.stdout
    assert "PLQY (%)" in text and "peak (nm)" in text and "EQE (%)" in text
    assert "…" not in text and "..." not in text and not re.search(r"\de[+-]\d", text)
    preds = pd.read_csv(out)
    for ligand in ("SCN-", "In(NO3)3", "Cs+/Rb+", "unobtainium"):
        assert ligand in text  # never cut to "In(N..."
    # PbS emits in the near infrared: its peak prints as a whole number of nm, not 1.38e+03
    pbs = preds[preds["qd"] == "PbS"].iloc[0]
    assert float(pbs["peak_nm_pred"]) > 800 and f"{int(pbs['peak_nm_pred'])}" in text
    for value in preds["plqy_pred"].dropna():
        assert f"{value:.1f}" in text


def test_csv_outputs_hold_what_the_data_supports(run, models, tmp_path):
    pairs = write_csv(tmp_path, "ligand,qd,el_color,note\nSCN-,CsPbBr3,green,table 2\nKI,CsPbI3,red,untested\n", "p.csv")
    out = tmp_path / "preds.csv"
    assert run("predict", "-i", pairs, "-o", out, "--model", "lab", "--models-dir", models).returncode == 0
    ranked = tmp_path / "rank.csv"
    assert run("rank", "--qd", "CsPbI3", "--target", "eqe", "--target", "plqy", "--output", ranked,
               "--model", "lab", "--models-dir", models).returncode == 0
    for path in (out, ranked):
        for line in path.read_text().splitlines()[1:]:
            for cell in next(csv.reader([line])):
                assert not re.fullmatch(r"-?\d+\.\d{4,}", cell), (path.name, cell)  # no 17-digit floats
    preds = pd.read_csv(out)
    assert list(preds["note"]) == ["table 2", "untested"]
    assert (preds["peak_nm_pred"] == preds["peak_nm_pred"].round(0)).all()
    assert (preds["plqy_pred"] == preds["plqy_pred"].round(1)).all()


def test_a_bundle_without_scores_says_so_under_the_table(run, models):
    r = run("predict", "--ligand", "SCN-", "--qd", "CsPbBr3", "--model", "lab", "--models-dir", models)
    text = " ".join(r.stdout.split())
    for t in ("PLQY", "EQE"):
        assert f"{t}: no cross-validation scores in this bundle" in text


def test_shipped_bundle_gets_one_sentence_per_target_naming_its_best_baseline(run):
    from qdml.evaluation.verdict import BASELINE_NAMES, best_baseline, compare, headline_entry
    from qdml.learn.bundle import load_bundle

    bundle = load_bundle()
    r = run("predict", "--ligand", "SCN-", "--qd", "CsPbBr3", "--el-color", "green", columns=400)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()  # 400 columns: one sentence per line
    words = {"better": "beats its best baseline", "same": "not distinguishable from its best baseline",
             "worse": "worse than its best baseline"}
    for t in bundle.predictor.targets:
        entry = headline_entry(bundle.metadata["cv_scores"], t)
        name, mae = best_baseline(entry)
        assert mae == min(v for v in entry["baselines"].values() if v is not None)
        label = TARGETS[t].label
        sentence = next(line for line in lines if line.startswith(label[:1].upper() + label[1:] + ":"))
        assert words[compare(entry)] in sentence and BASELINE_NAMES[name] in sentence
        # a rule is said once, in the target's own sentence, not as a WARNING log line
        rule = bundle.predictor.target_info[t].get("rule")
        assert ("Predicted by a rule, not a fitted model" in sentence) == bool(rule)
        assert not rule or rule not in r.stderr


def test_pareto_needs_two_targets_and_its_plot_shows_both(run, models, tmp_path):
    r = run("rank", "--qd", "CsPbI3", "--target", "eqe", "--pareto", "--model", "lab", "--models-dir", models)
    assert r.returncode == 1 and "--pareto needs at least two targets" in r.stderr and "Traceback" not in r.stderr
    png, csv = tmp_path / "front.png", tmp_path / "front.csv"
    r = run("rank", "--qd", "CsPbI3", "--target", "eqe", "--target", "plqy", "--pareto", "--plot", png,
            "--output", csv, "--model", "lab", "--models-dir", models)
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(csv)
    assert table["pareto_front"].is_monotonic_increasing and table["pareto_front"].iloc[0] == 1
    assert png.stat().st_size > 5000 and "Pareto" in r.stdout


def test_progress_bar_only_on_a_terminal_and_never_with_quiet(run, good_csv):
    plain = run("validate", good_csv)
    assert plain.returncode == 0 and plain.stderr == ""
    rc, seen = run_with_tty_stderr("validate", good_csv)
    assert rc == 0 and "validating" in seen
    rc, seen = run_with_tty_stderr("validate", "-q", good_csv)
    assert rc == 0 and "validating" not in seen


def test_summary_output_lists_exactly_the_rows_training_leaves_out(run, tmp_path):
    from qdml.validation import load_training_data, read_validated

    out = tmp_path / "summary.json"
    r = run("summary", "--output", out)
    assert r.returncode == 0, r.stderr
    tables = json.loads(out.read_text())["tables"]
    all_lines = set(read_validated(dataset_path()).frame.index)
    frame, _, _ = load_training_data()
    used = set(frame["_line"])
    assert {row["line"] for row in tables["left_out"]} == all_lines - used
    assert "more row(s) not shown" not in r.stdout or "--output" in r.stdout
    md = tmp_path / "summary.md"
    assert run("summary", "-o", md).returncode == 0
    assert "## Rows left out of training" in md.read_text()


def test_add_data_warns_when_a_control_lands_unpaired_and_says_how_to_pair_it(run, tmp_path):
    target = tmp_path / "data.csv"
    target.write_bytes(dataset_path().read_bytes())
    # the untreated ZnSeTe/ZnSe/ZnS control of Zheng 2023 (line 26), without its pair_id
    control = 'native,ZnSeTe/ZnSe/ZnS,control,blue,0.74,39.7,,,,,,our lab 2026,lab notebook p.3'
    new = write_csv(tmp_path, "ligand,qd,role,el_color,eqe,plqy,peak_nm,fwhm_nm,von_v,lmax_cd_m2,lifetime_ns,"
                    f"reference,evidence\n{control}\n", "new.csv")
    r = run("add-data", new, "--into", target)
    assert r.returncode == 0, r.stderr
    warning = next(line for line in r.stderr.splitlines() if line.startswith("warning:"))
    assert f"{new}:2: column 'pair_id'" in warning and "shared pair_id" in warning


def test_tables_keep_every_row_value_at_80_columns_for_rank_and_summary(run, models):
    r = run("rank", "--qd", "CsPbI3", "--target", "eqe", "--top", "5", "--model", "lab", "--models-dir", models)
    assert r.returncode == 0 and max(len(x) for x in r.stdout.splitlines()) <= 80
    assert "EQE (%)" in r.stdout
    r = run("summary")
    assert r.returncode == 0 and max(len(x) for x in r.stdout.splitlines()) <= 80


@pytest.mark.slow
def test_evaluate_prints_one_table_per_target_with_units(run):
    r = run("evaluate", "--scheme", "leave-one-qd-out", "--targets", "peak_nm", "--mode", "absolute")
    assert r.returncode == 0, r.stderr
    assert max(len(x) for x in r.stdout.splitlines()) <= 80
    words = r.stdout.split()
    assert {"MAE", "(nm)", "best", "baseline:", "leave-one-qd-out", "composition-only"} <= set(words)
    assert "Peak: " in r.stdout  # the plain-words verdict under the table
