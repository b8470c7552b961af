"""Cold start: a one-pair prediction imports only what it uses, and the lean skops import loads every model qdml makes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

#: Heavy packages the predict path must never import (mendeleev pulled in the first three; dask
#: and pytest came with skops's scan of all of scikit-learn).
FORBIDDEN = ("mendeleev", "sqlalchemy", "pint", "dask", "pytest", "matplotlib")


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True)


@pytest.mark.parametrize("argv", [
    ["predict", "--ligand", "SCN-", "--qd", "CsPbBr3"],
    ["rank", "--qd", "CsPbI3", "--target", "eqe", "--top", "5"],
])
def test_commands_import_no_heavy_package_they_do_not_use(argv):
    r = _python(f"""
        import sys
        from qdml.cli.main import main
        rc = main({argv!r})
        print("RESULT", rc, [m for m in {FORBIDDEN!r} if m in sys.modules])
    """)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "RESULT 0 []"
    assert "SCN-" in r.stdout or "rank" in argv


@pytest.mark.slow
def test_lean_skops_import_loads_every_candidate_model(tmp_path):
    """With skops's default trust list left empty, TRUSTED_TYPES alone must cover every candidate."""
    import numpy as np
    import skops.io as sio

    from qdml.features.pair import PairFeaturizer
    from qdml.learn.estimators import ConformalRegressor, candidate_estimators
    from qdml.validation import load_training_data

    frame, _, _ = load_training_data()
    saved = []
    for target, mode in (("plqy", "absolute"), ("peak_nm", "absolute"), ("plqy", "paired")):
        rows = frame[frame[target].notna()]
        if mode == "paired":
            rows = rows.assign(control_plqy=rows["plqy"] * 0.8)  # a control column to learn from
        rows = rows.head(60)
        X = PairFeaturizer(paired=mode == "paired").fit(rows).transform_frame(rows)
        y = rows[target].to_numpy(float)
        for name, est in candidate_estimators(target, mode=mode, feature_names=None).items():
            path = tmp_path / f"{target}_{mode}_{name}.skops"
            path.write_bytes(sio.dumps(ConformalRegressor(est).fit(X, y)))
            np.save(tmp_path / f"{path.stem}.npy", X.to_numpy())
            saved.append(path.stem)
    r = _python(f"""
        import sys
        from qdml.learn.skops_io import import_skops_io
        sio = import_skops_io()
        from qdml.learn.bundle import TRUSTED_TYPES
        failed = []
        for stem in {saved!r}:
            try:
                sio.load({str(tmp_path)!r} + "/" + stem + ".skops", trusted=list(TRUSTED_TYPES))
            except Exception as exc:
                failed.append((stem, str(exc)[:300]))
        print("FAILED", failed, [m for m in ("dask", "pytest") if m in sys.modules])
    """)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "FAILED [] []"
    assert len(saved) >= 18  # 6 candidates a target and mode, gp-ard among them
