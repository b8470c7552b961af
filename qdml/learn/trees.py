"""Tree ensembles whose saved form is a few arrays, not one object per tree.

scikit-learn's ``ExtraTreesRegressor`` and ``GradientBoostingRegressor`` save every tree as an
estimator object with its own parameters, ``Tree`` and random state: in a bundle of about
forty fitted ensembles (one per target and CV+ fold) that is ~47 000 skops nodes and ~2 s to
load. The subclasses here fit and predict exactly as scikit-learn's; only ``__getstate__``
packs the fitted trees into one node array, one value array and one JSON string (and
:class:`~qdml.learn.state.CompactState` the ensemble's own plain attributes), and
``__setstate__`` rebuilds them.

Rebuilding is also a check: scikit-learn indexes a tree's child and feature indices without
bounds checks (skops does not trust ``Tree`` for that reason), so every packed tree is refused
unless its children come after their parent and inside the tree, its features lie inside the
ensemble's inputs and its stored depth is its real depth.
"""

from __future__ import annotations

import json

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor as _ExtraTreesRegressor
from sklearn.ensemble import GradientBoostingRegressor as _GradientBoostingRegressor
from sklearn.tree import DecisionTreeRegressor, ExtraTreeRegressor
from sklearn.tree._tree import NODE_DTYPE, TREE_LEAF, Tree

from qdml.learn.state import CompactState

PACK_FORMAT = 1
_SCALARS = (str, int, float, bool, type(None))


def _pack(trees, own_rng) -> dict | None:
    """The fitted trees as a few arrays and a JSON string; None where they are not plain trees."""
    grid = np.asarray(trees, dtype=object) if isinstance(trees, np.ndarray) else None
    flat = list(grid.ravel()) if grid is not None else list(trees)
    if not flat:
        return None
    states = [t.__getstate__() for t in flat]
    if any(set(s) != set(states[0]) or not isinstance(s.get("tree_"), Tree) for s in states):
        return None
    common = {k: v for k, v in states[0].items() if k not in ("tree_", "random_state")}
    if not all(isinstance(v, _SCALARS) for v in common.values()) or any(
        {k: v for k, v in s.items() if k in common} != common for s in states
    ):
        return None
    seeds = [s["random_state"] for s in states]
    if own_rng is not None and all(r is own_rng for r in seeds):
        random_state, seed_array = "ensemble", None  # boosting: every stage shares the booster's RandomState
    elif all(isinstance(r, (int, np.integer)) and not isinstance(r, bool) for r in seeds):
        random_state, seed_array = "seeds", np.asarray(seeds, dtype=np.int64)
    elif all(r is None for r in seeds):
        random_state, seed_array = "none", None
    else:
        return None
    tree_states = [s["tree_"].__getstate__() for s in states]
    first = states[0]["tree_"]
    if any(t["tree_"].n_features != first.n_features or t["tree_"].n_outputs != first.n_outputs
           or np.any(t["tree_"].n_classes != 1) for t in states):
        return None
    meta = {
        "format": PACK_FORMAT,
        "shape": list(grid.shape) if grid is not None else None,
        "common": common,
        "random_state": random_state,
        "n_features": int(first.n_features),
        "n_outputs": int(first.n_outputs),
    }
    return {
        "meta": json.dumps(meta, sort_keys=True),
        "seeds": seed_array,
        "node_count": np.asarray([t["node_count"] for t in tree_states], dtype=np.int64),
        "max_depth": np.asarray([t["max_depth"] for t in tree_states], dtype=np.int64),
        "nodes": np.concatenate([t["nodes"] for t in tree_states]),
        "values": np.concatenate([t["values"] for t in tree_states]),
    }


def _check_trees(nodes: np.ndarray, counts: np.ndarray, depths: np.ndarray, n_features: int) -> None:
    """Refuse trees whose indices would read outside their arrays (see the module docstring)."""
    n = len(nodes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    tree_of = np.repeat(np.arange(len(counts)), counts)
    local = np.arange(n) - starts[tree_of]
    size = counts[tree_of]
    left, right, feature = (nodes[k].astype(np.int64) for k in ("left_child", "right_child", "feature"))
    leaf = (left == TREE_LEAF) & (right == TREE_LEAF)
    split = ((left > local) & (left < size) & (right > local) & (right < size)
             & (feature >= 0) & (feature < n_features))
    if not np.all(leaf | split):
        raise ValueError("packed trees hold child or feature indices outside their tree")
    depth = np.full(n, -1, dtype=np.int64)
    frontier, level = starts, 0
    while frontier.size:
        depth[frontier] = level
        inner = frontier[~leaf[frontier]]
        offsets = starts[tree_of[inner]]
        frontier, level = np.concatenate([offsets + left[inner], offsets + right[inner]]), level + 1
    real = np.full(len(counts), -1, dtype=np.int64)
    np.maximum.at(real, tree_of, depth)
    if not np.array_equal(real, depths):
        raise ValueError("packed trees store a depth that is not their real depth")


def _unpack(packed: dict, tree_cls: type, n_features_in: int, own_rng) -> np.ndarray | list:
    meta = json.loads(packed["meta"])
    nodes, values = packed["nodes"], packed["values"]
    counts = np.asarray(packed["node_count"], dtype=np.int64)
    depths = np.asarray(packed["max_depth"], dtype=np.int64)
    n_features, n_outputs = int(meta["n_features"]), int(meta["n_outputs"])
    if meta.get("format") != PACK_FORMAT or not isinstance(nodes, np.ndarray) or nodes.dtype.names != NODE_DTYPE.names:
        raise ValueError("not a packed tree ensemble of this qdml")
    if n_features != n_features_in or counts.ndim != 1 or not len(counts) or np.any(counts < 1) \
            or depths.shape != counts.shape or int(counts.sum()) != len(nodes) or len(values) != len(nodes):
        raise ValueError("packed trees do not match their ensemble")
    _check_trees(nodes, counts, depths, n_features)
    common = meta["common"]
    seeds = packed.get("seeds")
    how = meta["random_state"]
    if how == "seeds" and (seeds is None or len(seeds) != len(counts)):
        raise ValueError("packed trees lack their seeds")
    n_classes = np.ones(n_outputs, dtype=np.intp)
    trees, start = [], 0
    for k, (count, max_depth) in enumerate(zip(counts.tolist(), depths.tolist())):
        tree = Tree(n_features, n_classes, n_outputs)
        tree.__setstate__({"max_depth": max_depth, "node_count": count,
                           "nodes": nodes[start:start + count], "values": values[start:start + count]})
        start += count
        est = tree_cls.__new__(tree_cls)
        seed = own_rng if how == "ensemble" else (int(seeds[k]) if how == "seeds" else None)
        est.__setstate__({**common, "tree_": tree, "random_state": seed})
        trees.append(est)
    if meta["shape"] is None:
        return trees
    grid = np.empty(len(trees), dtype=object)
    grid[:] = trees
    return grid.reshape(meta["shape"])


class _PackedTrees:
    """Mixin: ``estimators_`` saved packed (see the module docstring)."""

    _tree_class: type = DecisionTreeRegressor
    _shares_rng = False

    def __getstate__(self):
        state = super().__getstate__()
        trees = state.get("estimators_")
        if trees is None:
            return state
        packed = _pack(trees, state.get("_rng") if self._shares_rng else None)
        return state if packed is None else {**state, "estimators_": packed}

    def __setstate__(self, state):
        packed = state.get("estimators_")
        if isinstance(packed, dict):
            rng = state.get("_rng") if self._shares_rng else None
            state = {**state, "estimators_": _unpack(packed, self._tree_class, int(state["n_features_in_"]), rng)}
        super().__setstate__(state)


class ExtraTreesRegressor(CompactState, _PackedTrees, _ExtraTreesRegressor):
    """scikit-learn's ``ExtraTreesRegressor``, saved packed."""

    _tree_class = ExtraTreeRegressor


class GradientBoostingRegressor(CompactState, _PackedTrees, _GradientBoostingRegressor):
    """scikit-learn's ``GradientBoostingRegressor``, saved packed."""

    _tree_class = DecisionTreeRegressor
    _shares_rng = True
