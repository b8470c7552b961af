"""Compact saved models: the same predictions after a skops round trip, and tampered trees refused."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import skops.io as sio
from sklearn.ensemble import ExtraTreesRegressor as SkExtraTrees
from sklearn.ensemble import GradientBoostingRegressor as SkGradientBoosting

from qdml.exceptions import BundleError
from qdml.learn import trees
from qdml.learn.bundle import TRUSTED_TYPES, load_bundle, save_bundle
from qdml.learn.estimators import ConformalRegressor, GroupMeanRegressor, RareIndicatorFilter


@pytest.fixture(scope="module")
def plqy_rows():
    """Every PLQY row of the bundled dataset, featurized (real rows, real features)."""
    from qdml.features.pair import PairFeaturizer
    from qdml.validation import load_training_data

    frame, _, _ = load_training_data()
    frame = frame[frame["plqy"].notna()].reset_index(drop=True)
    X = PairFeaturizer().fit(frame).transform_frame(frame)
    return X, frame["plqy"].to_numpy(float)


def _round_trip(obj):
    return sio.loads(sio.dumps(obj), trusted=list(TRUSTED_TYPES))


PARAMS = {
    "gb": (trees.GradientBoostingRegressor, SkGradientBoosting,
           dict(n_estimators=30, max_depth=2, learning_rate=0.2, subsample=0.8, random_state=0)),
    "et": (trees.ExtraTreesRegressor, SkExtraTrees,
           dict(n_estimators=20, min_samples_leaf=2, max_features=0.5, random_state=0, n_jobs=1)),
}


@pytest.mark.parametrize("kind", sorted(PARAMS))
def test_packed_ensembles_predict_exactly_as_scikit_learn(plqy_rows, kind):
    X, y = plqy_rows
    ours_cls, sk_cls, params = PARAMS[kind]
    A = X.to_numpy()
    ours, reference = ours_cls(**params).fit(A, y), sk_cls(**params).fit(A, y)
    loaded = _round_trip(ours)
    assert type(loaded) is ours_cls
    np.testing.assert_array_equal(loaded.predict(A), reference.predict(A))
    np.testing.assert_array_equal(loaded.predict(A[::-1]), ours.predict(A[::-1]))
    # the trees are a handful of arrays, not one skops object per tree
    names = zipfile.ZipFile(io.BytesIO(sio.dumps(ours))).namelist()
    assert len(names) < 20 and "sklearn.tree._tree.Tree" not in sio.get_untrusted_types(data=sio.dumps(ours))


@pytest.mark.parametrize("field, value, why", [
    ("left_child", 10**6, "indices outside"),   # a child far past the end of its tree
    ("right_child", 0, "indices outside"),      # a child before its parent: a loop, not a tree
    ("feature", 10**4, "indices outside"),      # a column the ensemble never sees
])
def test_tampered_trees_are_refused_before_scikit_learn_reads_them(plqy_rows, field, value, why):
    X, y = plqy_rows
    model = trees.GradientBoostingRegressor(n_estimators=5, max_depth=2, random_state=0).fit(X.to_numpy(), y)
    state = model.__getstate__()
    state["estimators_"]["nodes"][field][0] = value
    with pytest.raises(ValueError, match=why):
        trees.GradientBoostingRegressor.__new__(trees.GradientBoostingRegressor).__setstate__(state)


def test_tree_with_a_false_depth_is_refused(plqy_rows):
    X, y = plqy_rows
    model = trees.ExtraTreesRegressor(n_estimators=3, random_state=0).fit(X.to_numpy(), y)
    state = model.__getstate__()
    state["estimators_"]["max_depth"][1] -= 1  # scikit-learn sizes decision_path buffers by it
    with pytest.raises(ValueError, match="real depth"):
        trees.ExtraTreesRegressor.__new__(trees.ExtraTreesRegressor).__setstate__(state)


def test_tampered_bundle_is_refused_with_one_line(plqy_rows, tmp_path, monkeypatch):
    """A bundle whose packed trees were edited (checksums rewritten to match) does not load."""
    from qdml.learn.predictor import Predictor
    from qdml.learn.trees import _pack

    def tampered(*args):
        packed = _pack(*args)
        packed["nodes"]["left_child"][0] = -7
        return packed

    X, y = plqy_rows
    model = ConformalRegressor(trees.GradientBoostingRegressor(n_estimators=5, random_state=0)).fit(X.to_numpy(), y)
    monkeypatch.setattr(trees, "_pack", tampered)
    save_bundle(tmp_path / "tampered", Predictor({"plqy": model}), {})
    monkeypatch.undo()
    with pytest.raises(BundleError, match="not a loadable qdml bundle file") as err:
        load_bundle(tmp_path / "tampered")
    assert "\n" not in str(err.value)


def test_plain_attributes_travel_as_one_json_string(plqy_rows):
    X, y = plqy_rows
    for model in (RareIndicatorFilter().fit(X), GroupMeanRegressor().fit(X, y), ConformalRegressor().fit(X, y)):
        schema = json.loads(zipfile.ZipFile(io.BytesIO(sio.dumps(model))).read("schema.json"))
        assert "_json_state" in schema["content"]["content"]
        loaded = _round_trip(model)
        assert "_json_state" not in vars(loaded)
        assert loaded.feature_names_in_.dtype == object
        np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
        assert sorted(vars(loaded)) == sorted(vars(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
