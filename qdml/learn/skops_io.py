"""Import ``skops.io`` without the scan of scikit-learn that costs a one-pair prediction a second.

At import, skops lists every scikit-learn estimator as trusted by default by importing all of
scikit-learn (``all_estimators``, which brings pytest and dask along), and finds the module of
each scipy ufunc by searching every loaded module. qdml passes
:data:`qdml.learn.bundle.TRUSTED_TYPES`, a complete list, so :func:`import_skops_io` leaves the
estimator list empty while skops imports -- loading only gets stricter -- and imports
``scipy.special`` before anything else so that its ufuncs are found at once. This module
imports nothing heavy itself: it must run first. Only the CLI calls it; in a user's own process
skops keeps its usual defaults.
"""

from __future__ import annotations

import sys


def import_skops_io():
    """``skops.io``, imported the lean way if nothing imported it yet (see the module docstring)."""
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import scipy.special  # noqa: F401  (first: see the module docstring)
    import sklearn.utils

    real = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda *args, **kwargs: []
    try:
        import skops.io
    finally:
        sklearn.utils.all_estimators = real
    return skops.io
