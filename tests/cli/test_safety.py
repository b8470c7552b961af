"""Issue 19, through the real command line: no command destroys a user's files, hangs on a string,
runs code from a model folder, or answers bad input with a traceback.

Each test is a reproduction from the issue (an adversarial user's session). Commands run in this
process through ``qdml.cli.main.main``, so any exception other than a deliberate QdmlError escapes
and fails the test: a traceback cannot hide behind an exit code.
"""

from __future__ import annotations

import json
import pickle
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from qdml.cli.main import main
from qdml.data import bundled_models_dir, dataset_path
from qdml.learn.bundle import CHECKSUMS, METADATA, PREDICTOR_FILE, _sha256
from tests.conftest import write_csv

# Real rows of the review's Table 2 (Zhang et al., Nanotechnology 36 (2025) 102001).
PAIRS = "ligand,qd\nSCN-,CsPbBr3\nCl-,CsPbI3\n"
DATA = "ligand,qd,eqe,plqy,peak_nm\nSCN-,CsPbBr3,17.3,82,521\nCl-,CsPbI3,26.1,90,638\n"
SPEC = '[ligands]\ninclude = ["SCN-", "Cl-"]\n[compositions]\ninclude = ["CsPbBr3"]\n'


@dataclass
class Run:
    code: int
    out: str
    err: str

    def refused(self, command: str, *words: str) -> str:
        """Exit 1 with exactly one line, ``qdml COMMAND: ...``, holding every word."""
        lines = self.err.strip().splitlines()
        assert self.code == 1, (self.code, self.err)
        assert len(lines) == 1 and lines[0].startswith(f"qdml {command}: "), self.err
        for w in words:
            assert w in lines[0], (w, lines[0])
        return lines[0]


@pytest.fixture
def qdml(capsys, monkeypatch, tmp_path):
    """Run the CLI in this process with an empty user models folder; return code, stdout, stderr."""
    monkeypatch.setenv("QDML_MODELS_DIR", str(tmp_path / "user-models"))

    def run(*args) -> Run:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes: a snapshot to prove nothing changed."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("shipped") / "default"
    shutil.copytree(bundled_models_dir() / "default", out)
    return out


@pytest.fixture
def bundle(shipped, tmp_path) -> Path:
    out = tmp_path / "bundle"
    shutil.copytree(shipped, out)
    return out


def reseal(folder: Path) -> None:
    """Recompute checksums.sha256, as anyone who can replace a file can."""
    lines = [f"{_sha256(p)}  {p.name}" for p in sorted(folder.iterdir()) if p.name != CHECKSUMS]
    (folder / CHECKSUMS).write_text("\n".join(lines) + "\n")


def read_only(path: Path) -> None:
    path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


# =========================================================================== data loss


@pytest.mark.parametrize("name", ["../victim", "", ".", "..", "ABS", "../../tmp/evil", "a/b"])
def test_train_refuses_a_name_that_is_a_path_and_deletes_nothing(qdml, tmp_path, monkeypatch, name):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.tex").write_text("years of work")
    models = tmp_path / "user-models"
    (models / "keep").mkdir(parents=True)
    (models / "keep" / "notes.txt").write_text("mine")
    monkeypatch.chdir(models)
    before = tree(tmp_path)
    r = qdml("train", "--no-cv", "--name", str(victim) if name == "ABS" else name)
    r.refused("train", "not a plain name")
    assert tree(tmp_path) == before


def test_train_output_dir_never_replaces_a_folder_that_is_not_a_bundle(qdml, tmp_path):
    victim = tmp_path / "results"
    victim.mkdir()
    (victim / "plqy.csv").write_text("a,b\n1,2\n")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep")
    before = tree(tmp_path)
    qdml("train", "--no-cv", "--output-dir", victim).refused("train", "not a qdml model bundle")
    qdml("train", "--no-cv", "--output-dir", a_file).refused("train", "not a folder")
    qdml("train", "--no-cv", "--output-dir", "").refused("train", "empty")
    assert tree(tmp_path) == before
    locked = tmp_path / "locked"
    locked.mkdir()
    read_only(locked)
    before = tree(tmp_path)
    qdml("train", "--no-cv", "--output-dir", locked / "new").refused("train", "read-only")
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    "command,make",
    [
        ("featurize", lambda d: ["featurize", d / "d.csv", "--output", d / "d.csv"]),
        ("predict", lambda d: ["predict", "--input", d / "p.csv", "--output", d / "p.csv"]),
        ("rank", lambda d: ["rank", "--qd", "CsPbI3", "--candidates", d / "c.csv", "--output", d / "c.csv"]),
        ("rank", lambda d: ["rank", "--qd", "CsPbI3", "--candidates", d / "c.csv", "--plot", d / "c.csv"]),
        ("evaluate", lambda d: ["evaluate", "--data", d / "d.csv", "--json", d / "d.csv"]),
        ("evaluate", lambda d: ["evaluate", "--json", dataset_path()]),
        ("screen", lambda d: ["screen", d / "s.toml", "--output", d / "s.toml"]),
    ],
)
def test_no_command_writes_its_output_over_its_input(qdml, tmp_path, command, make):
    write_csv(tmp_path, DATA, "d.csv")
    write_csv(tmp_path, PAIRS, "p.csv")
    write_csv(tmp_path, "ligand\nSCN-\nKBr\n", "c.csv")
    (tmp_path / "s.toml").write_text(SPEC)
    before, shipped_data = tree(tmp_path), dataset_path().read_bytes()
    qdml(*make(tmp_path)).refused(command, "is also an input")
    assert tree(tmp_path) == before and dataset_path().read_bytes() == shipped_data


def test_outputs_read_only_a_folder_or_in_a_read_only_folder_are_refused(qdml, tmp_path, bundle):
    pairs = write_csv(tmp_path, PAIRS, "p.csv")
    ro_file = write_csv(tmp_path, "keep me\n", "ro.csv")
    read_only(ro_file)
    folder = tmp_path / "out.csv"
    folder.mkdir()
    ro_dir = tmp_path / "ro"
    ro_dir.mkdir()
    read_only(ro_dir)
    before = tree(tmp_path)
    for out, words in ((ro_file, "read-only"), (folder, "is a folder"), (ro_dir / "x.csv", "read-only")):
        qdml("featurize", pairs, "--output", out).refused("featurize", words)
        qdml("predict", "--input", pairs, "--output", out, "--model", bundle).refused("predict", words)
        qdml("rank", "--qd", "CsPbI3", "--output", out, "--model", bundle).refused("rank", words)
    qdml("evaluate", "--json", ro_file).refused("evaluate", "read-only")
    qdml("predict", "--input", pairs, "--output", bundle / "preds.csv", "--model", bundle).refused("predict", "inside the model bundle")
    assert tree(tmp_path) == before


def _immutable(path: Path) -> bool:
    try:
        return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
    except OSError:
        return False


def test_immutable_files_are_refused_not_a_traceback(qdml, tmp_path):
    target = tmp_path / "data.csv"
    target.write_bytes(dataset_path().read_bytes())
    new = write_csv(tmp_path, "ligand,qd,plqy,reference\nKBr,CsPbBr3,91,our lab\n", "new.csv")
    if not _immutable(target):
        pytest.skip("chattr +i is not available here")
    try:
        qdml("add-data", new, "--into", target).refused("add-data", "read-only")
        qdml("featurize", new, "--output", target).refused("featurize", "read-only")
        assert target.read_bytes() == dataset_path().read_bytes()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "new.csv"]
    finally:
        subprocess.run(["chattr", "-i", str(target)])


def test_add_data_refuses_targets_it_cannot_or_must_not_change(qdml, tmp_path):
    new = write_csv(tmp_path, "ligand,qd,plqy,reference\nKBr,CsPbBr3,91,our lab\n", "new.csv")
    ro = tmp_path / "ro.csv"
    ro.write_bytes(dataset_path().read_bytes())
    read_only(ro)
    (tmp_path / "folder.csv").mkdir()
    before = tree(tmp_path)
    qdml("add-data", new, "--into", ro).refused("add-data", "read-only")
    qdml("add-data", new, "--into", tmp_path / "missing.csv").refused("add-data", "file not found")
    qdml("add-data", new, "--into", tmp_path / "folder.csv").refused("add-data", "is a folder")
    qdml("add-data", new, "--into", tmp_path / "no" / "such" / "data.csv").refused("add-data", "does not exist")
    qdml("add-data", new, "--into", new).refused("add-data", "is also NEW.csv")
    assert tree(tmp_path) == before  # nothing created: no folder, no .lock, no .tmp


def test_add_data_leaves_no_lock_file_behind(qdml, tmp_path):
    target = tmp_path / "data.csv"
    target.write_bytes(dataset_path().read_bytes())
    new = write_csv(tmp_path, "ligand,qd,plqy,reference\nKBr,CsPbBr3,91,our lab\n", "new.csv")
    (tmp_path / "data.csv.lock").write_text("")  # left by a run killed with kill -9: no lock is held
    r = qdml("add-data", new, "--into", target)
    assert r.code == 0, r.err
    bad = write_csv(tmp_path, "ligand,qd,plqy\nKBr,CsPbBr3,140\n", "bad.csv")
    assert qdml("add-data", bad, "--into", target).code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "data.csv", "new.csv"]


# =========================================================================== hangs


def test_validate_returns_on_cells_that_once_backtracked_exponentially(tmp_path):
    """Issue: a 41-character QD cell made validate take 109 s; "C" * 117 never returned.

    Run as a user runs it (a subprocess); the timeout is a hang guard, not a speed target.
    """
    cells = ["Cs" * 13 + "PbBr3", "Cs" * 18 + "PbBr3", "C" * 117, "Yb3+," * 30 + "-doped CsPbCl3"]
    path = write_csv(tmp_path, "ligand,qd,plqy\n" + "".join(f"KBr,\"{c}\",50\n" for c in cells))
    r = subprocess.run([sys.executable, "-m", "qdml.cli.main", "validate", str(path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    # Cs13PbBr3 and Cs18PbBr3 cannot balance their charges; "C" * 117 is no QD; the Yb-doped one is fine
    assert f"{path}:2: column 'qd'" in r.stderr and "charges do not balance" in r.stderr
    assert f"{path}:4: column 'qd'" in r.stderr and "3 problem(s)" in r.stderr and f"{path}:5:" not in r.stderr


# =========================================================================== foreign code


class PwnPickle:
    """What a hostile pickle does: run code when loaded (here: write a file)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "pwned"))


class PwnObject:
    """What a hostile object in a skops file would do when rebuilt."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __setstate__(self, state):
        Path(state["marker"]).write_text("pwned")
        self.__dict__.update(state)


def test_payloads_are_live(tmp_path):
    """The hostile files below really run code when loaded by a trusting loader (the tests can fail)."""
    import skops.io as sio

    pickle.loads(pickle.dumps(PwnPickle(tmp_path / "a")))
    assert (tmp_path / "a").exists()
    sio.loads(sio.dumps(PwnObject(tmp_path / "b")), trusted=[f"{__name__}.PwnObject"])
    assert (tmp_path / "b").exists()


def _predict_refused(qdml, tmp_path, model, *words):
    out = tmp_path / "preds.csv"
    line = qdml("predict", "--ligand", "SCN-", "--qd", "CsPbBr3", "--model", model, "--output", out).refused("predict", *words)
    assert not out.exists()
    return line


def test_replaced_pickle_with_recomputed_checksums_is_refused_and_runs_nothing(qdml, tmp_path, bundle):
    marker = tmp_path / "pwned"
    (bundle / PREDICTOR_FILE).write_bytes(pickle.dumps(PwnPickle(marker)))
    reseal(bundle)
    _predict_refused(qdml, tmp_path, bundle, "not a loadable qdml bundle file")
    (bundle / "predictor.joblib").write_bytes(pickle.dumps(PwnPickle(marker)))
    meta = json.loads((bundle / METADATA).read_text())
    (bundle / METADATA).write_text(json.dumps({**meta, "predictor_file": "predictor.joblib"}))
    reseal(bundle)
    _predict_refused(qdml, tmp_path, bundle, "not a loadable qdml bundle file")
    assert not marker.exists()


def test_foreign_type_in_the_predictor_file_is_refused_before_it_is_built(qdml, tmp_path, bundle):
    import skops.io as sio

    marker = tmp_path / "pwned"
    sio.dump(PwnObject(marker), bundle / PREDICTOR_FILE)
    reseal(bundle)
    _predict_refused(qdml, tmp_path, bundle, "does not trust", "PwnObject")
    assert not marker.exists()


def test_predictor_file_outside_the_bundle_is_refused(qdml, tmp_path, bundle, shipped):
    meta = json.loads((bundle / METADATA).read_text())
    (bundle / METADATA).write_text(json.dumps({**meta, "predictor_file": str(shipped / PREDICTOR_FILE)}))
    reseal(bundle)
    _predict_refused(qdml, tmp_path, bundle, "inside the bundle folder")
    (bundle / METADATA).write_text(json.dumps({**meta, "predictor_file": "../default/" + PREDICTOR_FILE}))
    reseal(bundle)
    _predict_refused(qdml, tmp_path, bundle, "inside the bundle folder")


def test_models_default_in_the_current_folder_is_never_used(qdml, tmp_path, shipped, monkeypatch):
    """A downloaded folder with ./models/default must not replace the shipped bundle."""
    import skops.io as sio

    planted = tmp_path / "download" / "models" / "default"
    shutil.copytree(shipped, planted)
    marker = tmp_path / "pwned"
    sio.dump(PwnObject(marker), planted / PREDICTOR_FILE)
    reseal(planted)
    monkeypatch.chdir(tmp_path / "download")
    r = qdml("predict", "--ligand", "SCN-", "--qd", "CsPbBr3")
    assert r.code == 0, r.err
    assert "SCN-" in r.out and not marker.exists()
    qdml("predict", "--ligand", "SCN-", "--qd", "CsPbBr3", "--model", "./models/default").refused("predict", "does not trust")
    assert not marker.exists()


@pytest.mark.parametrize(
    "damage,words",
    [
        (lambda b: (b / CHECKSUMS).write_text("not a checksum line\n"), "malformed checksum line"),
        (lambda b: (b / CHECKSUMS).write_bytes(b"\xff\xfe\x00garbage"), "not a UTF-8 checksum file"),
        (lambda b: ((b / METADATA).write_text("[1, 2]"), reseal(b)), "must be a JSON object"),
        (lambda b: ((b / METADATA).write_text(json.dumps({k: v for k, v in json.loads((b / METADATA).read_text()).items()
                                                          if k != "predictor_file"})), reseal(b)), "predictor_file"),
        (lambda b: ((b / PREDICTOR_FILE).write_bytes((b / PREDICTOR_FILE).read_bytes()[:5000]), reseal(b)),
         "not a loadable qdml bundle file"),
        (lambda b: (b / METADATA).write_text("{"), "checksum mismatch"),
    ],
)
def test_damaged_bundles_get_one_line(qdml, tmp_path, bundle, damage, words):
    damage(bundle)
    _predict_refused(qdml, tmp_path, bundle, words)


def test_help_says_where_bundles_are_looked_up(capsys):
    for command in ([], ["predict"], ["rank"], ["screen"], ["train"]):
        with pytest.raises(SystemExit):
            main(command + ["--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "QDML_MODELS_DIR" in text, command
        if command in (["predict"], ["rank"], ["screen"]):
            assert "never in the current folder" in text, command
        if command == ["screen"]:
            assert "--max-candidates" in text and "10,000,000" in text


# =========================================================================== one-line errors


def test_k0br_is_an_unknown_ligand_not_a_zero_division(qdml, tmp_path, bundle):
    data = write_csv(tmp_path, "ligand,qd,plqy\nKBr,CsPbBr3,91\nK0Br,CsPbBr3,80\n")
    r = qdml("validate", data)
    assert r.code == 1 and f"{data}:3: column 'ligand': unknown ligand 'K0Br'" in r.err
    r = qdml("predict", "--ligand", "K0Br", "--qd", "CsPbBr3", "--model", bundle)
    assert r.code == 1 and r.err.strip().endswith("qdml predict: no row could be resolved")
    pairs = write_csv(tmp_path, "ligand,qd\nK0Br,CsPbBr3\nKBr,CsPbBr3\n", "p.csv")
    out = tmp_path / "preds.csv"
    r = qdml("predict", "--input", pairs, "--output", out, "--model", bundle)
    assert r.code == 0, r.err
    preds = pd.read_csv(out, keep_default_na=False)
    assert "unknown ligand 'K0Br'" in preds.loc[0, "domain_reason"] and preds.loc[1, "plqy_pred"] != ""


@pytest.mark.parametrize(
    "extra,words",
    [
        ('[screen]\ntop = "ten"\n', '[screen] top = "ten"'),
        ('[score]\nweights = {plqy = "heavy"}\n', 'weights.plqy = "heavy"'),
        ("[screen]\nconfidence = [0.8]\n", "confidence = [0.8]"),
        ("[score]\ngoals = {peak_nm = nan}\n", "finite"),
        ("[score]\nweights = {eqe = nan}\n", "finite"),
        ("[score]\nweights = {foo = 2.0}\n", "unknown target 'foo'"),
        ("[score]\ngoals = {peak_nm = 5000}\n", "outside the range"),
        ("[sample]\nsize_nm = -5\n", "size_nm"),
        ("[screen]\nchunk_size = 0\n", "chunk_size = 0"),
        ("[[compositions.template]]\ntemplate = \"CsPb(Br{x}Cl{1-x})3\"\nx = { start = 0.0, stop = inf, step = 0.05 }\n",
         "x.stop = inf"),
        ("[[compositions.template]]\ntemplate = \"CsPb(Br{x}Cl{1/x})3\"\nx = [0, 1]\n", "no value at x = 0"),
    ],
)
def test_screen_spec_type_errors_are_one_line(qdml, tmp_path, extra, words):
    spec = tmp_path / "s.toml"
    spec.write_text(extra + SPEC)
    qdml("screen", spec).refused("screen", str(spec), words)


def test_screen_bad_flags_specs_and_outputs_are_one_line_and_leave_nothing(qdml, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    eu = tmp_path / "utf16.toml"
    eu.write_bytes(SPEC.encode("utf-16-le"))
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "out.csv").mkdir()
    no_bool = tmp_path / "kb.toml"
    no_bool.write_text(SPEC.replace("[ligands]\n", '[ligands]\nknowledge_base = "no"\n'))
    before = tree(tmp_path)
    qdml("screen", eu).refused("screen", "not UTF-8")
    qdml("screen", tmp_path / "folder.toml").refused("screen", "is a folder")
    qdml("screen", no_bool).refused("screen", 'knowledge_base = "no"', "true or false")
    qdml("screen", spec, "--jobs", "0").refused("screen", "--jobs 0")
    qdml("screen", spec, "--scheduler", "not a url").refused("screen", "tcp://HOST:PORT")
    qdml("screen", spec, "--chunk-size", "-1").refused("screen", "--chunk-size -1")
    qdml("screen", spec, "--top", "-1").refused("screen", "--top -1")
    qdml("screen", spec, "--output", tmp_path / "out.csv").refused("screen", "is a folder")
    qdml("train", "--jobs", "0").refused("train", "--jobs 0")
    qdml("evaluate", "--jobs", "0").refused("evaluate", "--jobs 0")
    assert tree(tmp_path) == before  # no .tmp left behind


def test_screen_refuses_a_huge_spec_before_any_work_and_a_flag_raises_the_limit(qdml, tmp_path, bundle):
    """Issue: a spec of 6.2 x 10^9 candidates just started (another reached 7.35 GB, then MemoryError)."""
    huge = tmp_path / "huge.toml"
    huge.write_text(
        "[ligands]\nknowledge_base = true\nmixtures_of_two = true\n"
        '[[compositions.template]]\ntemplate = "FA{x}MA{y}Cs{1-x-y}Pb(Br{z}Cl{1-z})3"\n'
        "x = { start = 0.0, stop = 1, step = 0.001 }\ny = { start = 0.0, stop = 1, step = 0.01 }\n"
        "z = { start = 0.0, stop = 1, step = 0.01 }\n"
    )
    line = qdml("screen", huge).refused("screen", "candidates", "more than the limit of 10,000,000", "--max-candidates")
    assert "x 10,211,201 compositions" in line
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    qdml("screen", spec, "--max-candidates", "1").refused("screen", "up to 2 candidates")
    r = qdml("screen", spec, "--max-candidates", "2", "--model", bundle)
    assert r.code == 0, r.err


def test_rank_refuses_nan_unknown_targets_and_negative_top(qdml, bundle):
    qdml("rank", "--qd", "CsPbI3", "--weight", "foo=2", "--model", bundle).refused("rank", "unknown target 'foo'")
    qdml("rank", "--qd", "CsPbI3", "--weight", "plqy=2", "--model", bundle).refused("rank", "not ranked")
    qdml("rank", "--qd", "CsPbI3", "--weight", "eqe=nan", "--model", bundle).refused("rank", "not a finite number")
    qdml("rank", "--qd", "CsPbI3", "--target", "peak_nm", "--goal", "peak_nm=nan", "--model", bundle).refused(
        "rank", "not a finite number")
    qdml("rank", "--qd", "CsPbI3", "--target", "peak_nm", "--goal", "peak_nm=inf", "--model", bundle).refused(
        "rank", "not a finite number")
    qdml("rank", "--qd", "CsPbI3", "--top", "-1", "--model", bundle).refused("rank", "--top -1")
    qdml("rank", "--qd", "CsPbI3", "--top", "0", "--model", bundle).refused("rank", "--top 0")


@pytest.mark.parametrize(
    "flag,value,words",
    [
        ("--control-plqy", "150", "value 150 out of range: control_plqy must be within 0-100 %"),
        ("--control-plqy", "-50", "value -50 out of range"),
        ("--control-eqe", "100.0001", "value 100.0001 out of range"),
        ("--size-nm", "-5", "size_nm must be within 0.5-1000 nm"),
        ("--pristine-peak-nm", "1e9", "value 1e9 out of range: pristine_peak_nm must be within 250-2500 nm"),
        ("--control-peak-nm", "inf", "not a finite number"),
        ("--size-nm", "nan", "not a finite number"),
        ("--size-nm", "five", "not a number"),
    ],
)
def test_cli_numbers_follow_the_rules_of_file_cells(qdml, bundle, flag, value, words):
    for command in ("predict", "rank"):
        args = ["--ligand", "SCN-", "--qd", "CsPbBr3"] if command == "predict" else ["--qd", "CsPbBr3"]
        qdml(command, *args, flag, value, "--model", bundle).refused(command, f"{flag} {value}: ", words)


# =========================================================================== data files


def test_fractions_that_do_not_sum_to_one_are_refused_not_renormalised(qdml, tmp_path):
    bad = write_csv(tmp_path, "ligand,qd,plqy\nKBr,CsPb(Br0.4Cl0.7)3,50\nKBr,FA0.8Cs0.3PbI3,50\n", "bad.csv")
    r = qdml("validate", bad)
    assert r.code == 1
    assert f"{bad}:2: column 'qd'" in r.err and "sum to 1.1, not 1" in r.err
    assert f"{bad}:3: column 'qd'" in r.err
    good = write_csv(tmp_path, "ligand,qd,plqy\nKBr,CsPb(Br0.33Cl0.67)3,50\nKBr,CsPb(Br0.33Cl0.33I0.33)3,50\n", "good.csv")
    assert qdml("validate", good).code == 0


def test_utf16_without_bom_is_named_and_values_are_shown_as_written(qdml, tmp_path):
    path = write_csv(tmp_path, DATA, "u16.csv", encoding="utf-16-le")
    r = qdml("validate", path)
    assert r.code == 1 and f"error: {path}: file is UTF-16LE text, not UTF-8" in r.err
    path = write_csv(tmp_path, "ligand,qd,plqy\nKBr,CsPbBr3,100.0001\n", "over.csv")
    r = qdml("validate", path)
    assert f"{path}:2: column 'plqy': value 100.0001 out of range" in r.err


def test_leading_blank_line_and_decimal_commas(qdml, tmp_path):
    """A European export: semicolons, decimal commas, and a blank first line."""
    eu = write_csv(tmp_path, "\nligand;qd;eqe;plqy\nSCN-;CsPbBr3;17,3;82\nCl-;CsPbI3;26,1;90\n", "eu.csv")
    r = qdml("validate", eu)
    assert r.code == 0 and "OK, 2 rows" in r.out
    target = tmp_path / "data.csv"
    target.write_bytes(dataset_path().read_bytes())
    new = write_csv(tmp_path, "ligand;qd;plqy;reference\nKBr;CsPbBr3;82,5;our lab\n", "new.csv")
    r = qdml("add-data", new, "--into", target)
    assert r.code == 0, r.err
    last = target.read_text().splitlines()[-1]
    assert last.startswith("KBr,CsPbBr3,,,,82.5,,") and "our lab" in last  # the dataset's decimal point
    comma = write_csv(tmp_path, 'ligand,qd,lmax_cd_m2\nSCN-,CsPbBr3,"48,000"\n', "comma.csv")
    r = qdml("validate", comma)
    assert r.code == 1 and f"{comma}:2: column 'lmax_cd_m2'" in r.err


def test_add_data_names_a_line_for_problems_found_only_after_merging(qdml, tmp_path):
    target = tmp_path / "data.csv"
    target.write_bytes(dataset_path().read_bytes())
    before = target.read_bytes()
    # a second untreated control for the Zheng 2023 device pair (its control is on line 26)
    new = write_csv(tmp_path, "ligand,qd,role,eqe,reference,pair_id\nKBr,CsPbBr3,treated,10,lab,P1\n"
                              "native,ZnSeTe/ZnSe/ZnS,control,5,lab,Zheng2023-device\n", "new.csv")
    r = qdml("add-data", new, "--into", target)
    assert r.code == 1 and target.read_bytes() == before
    assert f"error: {new}:3: column 'pair_id'" in r.err and "has 2 control" in r.err
    assert f"error: {new}:2: column 'pair_id'" in r.err  # P1 has no control


def test_csv_outputs_are_spreadsheet_safe_and_read_back_as_written(qdml, tmp_path, bundle):
    pairs = write_csv(tmp_path, 'ligand,qd,note\nSO4 2-,CsPbBr3,=HYPERLINK("http://x")\n'
                                "Cs+/Rb+,CsPbBr3,-batch 7\nSCN-,CsPbBr3,-3.5\n", "p.csv")
    out = tmp_path / "preds.csv"
    assert qdml("predict", "--input", pairs, "--output", out, "--model", bundle).code == 0
    raw = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(raw["note"]) == ["'=HYPERLINK(\"http://x\")", "'-batch 7", "-3.5"]
    assert list(raw["ligand"]) == ["SO4 2-", "Cs+/Rb+", "SCN-"]
    from qdml.validation import read_pairs

    assert list(read_pairs(out, strict=False)["note"]) == ['=HYPERLINK("http://x")', "-batch 7", "-3.5"]
    cands = write_csv(tmp_path, "ligand\nSCN-\n@SUM(A1)\n", "c.csv")
    ranked = tmp_path / "rank.csv"
    assert qdml("rank", "--qd", "CsPbBr3", "--candidates", cands, "--output", ranked, "--model", bundle).code == 0
    assert "'@SUM(A1)" in set(pd.read_csv(ranked, dtype=str)["ligand"])
