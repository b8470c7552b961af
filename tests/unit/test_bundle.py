"""Model bundles: checksums refuse changed files; intervals widen out of domain; training is reproducible."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from qdml.exceptions import BundleError
from qdml.learn.bundle import load_bundle
from qdml.workflows.prediction import predict
from qdml.workflows.training import train


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "small"
    train(targets=["plqy", "peak_nm"], out_dir=out, schemes=())
    return out


def test_bundle_has_metadata(bundle_dir):
    b = load_bundle(bundle_dir)
    meta = b.metadata
    assert meta["targets"] == ["plqy", "peak_nm"]
    assert len(meta["dataset_sha256"]) == 64 and meta["rows"] >= 20
    assert meta["feature_names"] and meta["versions"]["scikit-learn"]
    for t in ("plqy", "peak_nm"):
        assert meta["target_models"][t]["estimator"]
        assert meta["target_models"][t]["inner_cv_mae"]


def test_changed_file_is_refused(bundle_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(bundle_dir, copy)
    with open(copy / "predictor.skops", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(BundleError, match="checksum"):
        load_bundle(copy)


def test_extra_file_is_refused(bundle_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy2"
    shutil.copytree(bundle_dir, copy)
    (copy / "evil.joblib").write_bytes(b"x")
    with pytest.raises(BundleError, match="not listed"):
        load_bundle(copy)


def test_intervals_widen_out_of_domain(bundle_dir):
    b = load_bundle(bundle_dir)
    # In3+ on CsPbBr3: a Table 2 neighbourhood; Eu3+ on PbS: element, ligand and family never seen.
    pairs = pd.DataFrame({"ligand": ["Br-", "Eu3+"], "qd": ["CsPbBr3", "PbS"]})
    out = predict(pairs, b)
    width = (out["plqy_hi"] - out["plqy_lo"]).to_numpy()
    assert not out.loc[1, "in_domain"] and "never seen" in out.loc[1, "domain_reason"]
    assert width[1] > width[0]


@pytest.mark.slow
def test_training_is_reproducible_bit_for_bit(bundle_dir, tmp_path):
    again = tmp_path / "again"
    train(targets=["plqy", "peak_nm"], out_dir=again, schemes=())
    for name in ("predictor.skops", "metadata.json"):
        a = hashlib.sha256((bundle_dir / name).read_bytes()).hexdigest()
        b = hashlib.sha256((again / name).read_bytes()).hexdigest()
        assert a == b, name


def test_stale_bundle_is_refused_with_one_line(bundle_dir, tmp_path, monkeypatch):
    """A bundle trained before a feature was added must say 'retrain', not fail with a shape error."""
    import qdml.features.pair as pair

    monkeypatch.setattr(pair, "PAIR_FEATURES", pair.PAIR_FEATURES + ["pair__new_descriptor"])
    with pytest.raises(BundleError, match="stale.*new: pair__new_descriptor.*retrain") as err:
        load_bundle(bundle_dir)
    assert "\n" not in str(err.value)


def test_foreign_type_in_bundle_is_refused_before_it_runs(bundle_dir, tmp_path):
    """A bundle whose predictor file was replaced (checksums recomputed) holding an untrusted type."""
    import shutil

    import skops.io as sio

    from qdml.learn.bundle import CHECKSUMS, _sha256

    copy = tmp_path / "foreign"
    shutil.copytree(bundle_dir, copy)
    sio.dump({"payload": collections_counter()}, copy / "predictor.skops")
    lines = [f"{_sha256(p)}  {p.name}" for p in sorted(copy.iterdir()) if p.name != CHECKSUMS]
    (copy / CHECKSUMS).write_text("\n".join(lines) + "\n")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(BundleError, match="does not trust"):
        load_bundle(copy)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def collections_counter():
    import collections

    return collections.Counter("qdml")


def test_bare_name_never_reads_the_current_directory(bundle_dir, tmp_path, monkeypatch):
    """./models/default in a downloaded folder must not replace the shipped bundle."""
    import shutil

    shutil.copytree(bundle_dir, tmp_path / "models" / "default")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QDML_MODELS_DIR", str(tmp_path / "empty"))
    assert load_bundle("default").path.resolve() != (tmp_path / "models" / "default").resolve()
    assert load_bundle("./models/default").path.resolve() == (tmp_path / "models" / "default").resolve()


def test_shipped_bundle_was_trained_on_the_bundled_dataset():
    """A dataset change without retraining would ship a model that describes other data."""
    from qdml.data import dataset_path
    from qdml.validation import read_validated

    meta = load_bundle("default").metadata
    assert meta["dataset_sha256"] == read_validated(dataset_path()).sha256, "retrain: qdml train --output-dir models/default --jobs 2"
    assert meta["cv_scores"], "the shipped bundle carries its nested-CV scores"


def test_every_candidate_estimator_fitted_on_real_rows_is_trusted():
    """Inner CV may pick any candidate; each must come back from a bundle (the GP's kernel once did not)."""
    import skops.io as sio

    from qdml.features.pair import PairFeaturizer
    from qdml.learn.bundle import TRUSTED_TYPES
    from qdml.learn.estimators import candidate_estimators
    from qdml.validation import load_training_data

    frame, _, _ = load_training_data()
    frame = frame[frame["plqy"].notna()]
    X = PairFeaturizer().fit(frame).transform_frame(frame)
    for name, est in candidate_estimators("plqy", feature_names=list(X.columns)).items():
        est.fit(X.to_numpy(), frame["plqy"].to_numpy(float))
        untrusted = set(sio.get_untrusted_types(data=sio.dumps(est))) - set(TRUSTED_TYPES)
        assert not untrusted, (name, sorted(untrusted))


def test_shipped_domain_knows_only_real_elements():
    """The applicability domain's element list comes from parsed compositions, not letters of
    abbreviations (the "A" of FA, the "Ix" of CsPb(IxBr1-x)3)."""
    import json

    from qdml.chemistry.elements import is_element
    from qdml.data import bundled_models_dir

    meta = json.loads((bundled_models_dir() / "default" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["domain"]["elements"] and all(is_element(e) for e in meta["domain"]["elements"])
