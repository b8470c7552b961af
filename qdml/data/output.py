"""Tables written for people: target values rounded to what the data supports, written atomically.

A PLQY read off a paper carries 0.1 %, a peak 1 nm; a CSV cell of ``56.23749812763412`` claims
a precision nobody measured and hides the number a chemist wants. Every CSV qdml writes goes
through :func:`round_for_output` (input columns pass through unchanged).
"""

from __future__ import annotations

import os

import pandas as pd

from qdml.data.io import guard_frame
from qdml.data.io import write_csv as write_guarded_csv
from qdml.targets import column_target

#: Decimals of dimensionless outputs (scores combining several targets, fractions).
SCORE_DECIMALS = 3


def round_for_output(frame: pd.DataFrame, score_decimals: int | None = SCORE_DECIMALS, keep=()) -> pd.DataFrame:
    """A copy with target columns (``<t>_pred/_lo/_hi``, ``measured_<t>``) rounded to the target's decimals.

    ``score`` is rounded to ``score_decimals`` (None leaves it); columns in ``keep`` (the
    user's own input columns) are never touched.
    """
    out = frame.copy()
    for col in out.columns:
        if col in keep or out[col].dtype.kind != "f":
            continue
        target = column_target(col)
        if target is not None and col != target.name:
            rounded = out[col].round(target.decimals)
            # whole numbers print as 525, not 525.0 (empty cells stay empty)
            out[col] = rounded.astype("Int64") if target.decimals == 0 else rounded
        elif col == "score" and score_decimals is not None:
            out[col] = out[col].round(score_decimals)
    return out


def csv_rows(frame: pd.DataFrame, score_decimals: int | None = SCORE_DECIMALS, keep=(), header: bool = True) -> str:
    """The CSV text :func:`write_csv` writes for these rows (``header=False``: without the header
    line), so a file written in chunks is the file written at once."""
    return guard_frame(round_for_output(frame, score_decimals, keep)).to_csv(index=False, header=header)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, score_decimals: int | None = SCORE_DECIMALS, keep=()) -> None:
    """Round (see :func:`round_for_output`) and write ``frame`` as CSV: atomic, spreadsheet-safe text."""
    write_guarded_csv(round_for_output(frame, score_decimals, keep), path)
