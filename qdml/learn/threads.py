"""One BLAS/OpenMP thread for work on small matrices, where more threads only wait for each other."""

from __future__ import annotations


def one_thread(user_api: str | None = None):
    """A context manager limiting BLAS and OpenMP (or only ``user_api``) to one thread.

    Uses scikit-learn's cached threadpool controller: building a new one scans every loaded
    library (~40 ms). Results do not change: the same operations run on one thread.
    """
    try:
        from sklearn.utils.parallel import _get_threadpool_controller
    except ImportError:  # pragma: no cover  (a private helper that may move)
        from threadpoolctl import ThreadpoolController as _get_threadpool_controller
    return _get_threadpool_controller().limit(limits=1, user_api=user_api)
