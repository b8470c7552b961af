"""Evaluate data files (or a validated frame) by nested cross-validation: the public ``qdml.evaluate``."""

from __future__ import annotations

import pandas as pd

from qdml.data.schema import is_excluded
from qdml.evaluation.evaluate import EvaluationResult
from qdml.evaluation.evaluate import evaluate as _evaluate
from qdml.learn.estimators import DEFAULT_CONFIDENCE
from qdml.validation import load_training_data


def evaluate(
    data=None,
    targets: list[str] | str | None = None,
    schemes: list[str] | str | None = None,
    modes: tuple[str, ...] = ("absolute",),
    include_flagged: bool = False,
    random_state: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    n_jobs: int = 1,
    progress=None,
) -> EvaluationResult:
    """Nested cross-validation of each target under each scheme, beside baselines on the same folds.

    ``data``: dataset file(s) (default: the bundled literature table), or a frame returned by
    :func:`qdml.load_dataset` / :func:`qdml.validation.read_validated`; flagged rows are left
    out unless ``include_flagged``. ``targets`` default to PLQY, EQE and peak; ``schemes`` to
    every scheme (:data:`qdml.evaluation.schemes.SCHEMES`). The result's ``entries`` are the
    rows of ``qdml evaluate --json``; ``predictions[(target, scheme, mode, features)]`` the
    held-out predictions (for :func:`qdml.plot_parity`).

    Examples
    --------
    >>> result = qdml.evaluate(targets="peak_nm", schemes="leave-one-ligand-out")  # doctest: +SKIP
    >>> result.entries[0]["mae"], result.entries[0]["baselines"]  # doctest: +SKIP
    """
    if isinstance(data, pd.DataFrame):
        frame = data if include_flagged else data[~data["flags"].map(is_excluded)]
    else:
        paths = [data] if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__") else data
        frame, _, _ = load_training_data(paths, include_flagged)
    targets = [targets] if isinstance(targets, str) else list(targets or ("plqy", "eqe", "peak_nm"))
    schemes = [schemes] if isinstance(schemes, str) else (list(schemes) if schemes else None)
    return _evaluate(frame, targets, schemes, modes=tuple(modes), random_state=random_state,
                     confidence=confidence, n_jobs=n_jobs, progress=progress)
