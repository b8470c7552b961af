"""Saved state in one JSON string: fewer skops nodes, so bundles load faster.

skops writes every attribute of an estimator as its own node (plus a node for its key), and
every string of a list or object array (``feature_names_in_``) as one more; loading costs
~20 us a node. :class:`CompactState` keeps an object's plain attributes -- str, int, float,
bool, None, lists and str-keyed dicts of those, and 1-D object arrays of str -- in one JSON
string, and leaves the rest (numeric arrays, fitted sub-estimators) to skops. JSON holds no
code: reading it back builds only those plain values, each exactly as it was.
"""

from __future__ import annotations

import json

import numpy as np

_PLAIN = (str, int, float, bool, type(None))
KEY = "_json_state"


def _is_json(value) -> bool:
    """True for values that JSON gives back exactly (no tuples, no non-str keys, no numpy scalars)."""
    if type(value) in _PLAIN:
        return True
    if type(value) is list:
        return all(_is_json(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _is_json(v) for k, v in value.items())
    return False


def _is_names(value) -> bool:
    return (isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 1
            and all(type(v) is str for v in value))


class CompactState:
    """Mixin: plain attributes saved as one JSON string (see the module docstring)."""

    def __getstate__(self):
        state = super().__getstate__()
        plain, names, rest = {}, {}, {}
        for key, value in state.items():
            if _is_json(value):
                plain[key] = value
            elif _is_names(value):
                names[key] = value.tolist()
            else:
                rest[key] = value
        rest[KEY] = json.dumps({"plain": plain, "names": names}, sort_keys=True)
        return rest

    def __setstate__(self, state):
        if KEY in state:
            state = dict(state)
            packed = json.loads(state.pop(KEY))
            plain, names = packed["plain"], packed["names"]
            if not isinstance(plain, dict) or not isinstance(names, dict) or any(
                not isinstance(v, list) or any(type(x) is not str for x in v) for v in names.values()
            ):
                raise ValueError("malformed saved state")
            state.update(plain)
            state.update({k: np.asarray(v, dtype=object) for k, v in names.items()})
        parent = getattr(super(), "__setstate__", None)
        if parent is None:  # a plain class: object has no __setstate__
            self.__dict__.update(state)
        else:
            parent(state)
