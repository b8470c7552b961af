"""Counts that describe a dataset: ligand classes, QD families, target coverage, flagged rows."""

from __future__ import annotations

import pandas as pd

from qdml.chemistry.composition import parse_qd_composition
from qdml.chemistry.ligands import parse_ligand
from qdml.data.schema import MEASURED, ValidatedData, is_excluded
from qdml.exceptions import QdmlError


def _safe(parser, value: str, attr: str) -> str:
    try:
        return str(getattr(parser(value), attr))
    except QdmlError:
        return "unresolved"


def role_counts(series: pd.Series, role: pd.Series, name: str) -> pd.DataFrame:
    """Treated and control rows per value of ``series``, most rows first."""
    table = pd.crosstab(series.rename(name), role.rename("role"))
    for col in ("treated", "control"):
        if col not in table.columns:
            table[col] = 0
    table = table[["treated", "control"]]
    table["rows"] = table.sum(axis=1)
    return table.sort_values("rows", ascending=False).reset_index()


def summarize(data: ValidatedData) -> dict[str, pd.DataFrame]:
    """Tables a curator reads before training: what the data covers and what it lacks.

    ``left_out`` lists exactly the rows training leaves out by default (an excluding flag such as
    ``suspect-value``); ``notes`` the flagged rows that stay in training.
    """

    frame = data.frame
    lig_class = frame["ligand"].map(lambda v: _safe(parse_ligand, v, "ligand_class"))
    family = frame["qd"].map(lambda v: _safe(parse_qd_composition, v, "family"))
    role = frame["role"].replace("", "treated")

    coverage = pd.DataFrame(
        {
            "target": list(MEASURED),
            "unit": [MEASURED[c][0] for c in MEASURED],
            "rows": [int(frame[c].notna().sum()) for c in MEASURED],
            "usable": [int((frame[c].notna() & ~frame["flags"].map(is_excluded)).sum()) for c in MEASURED],
            "min": [frame[c].min() for c in MEASURED],
            "median": [frame[c].median() for c in MEASURED],
            "max": [frame[c].max() for c in MEASURED],
        }
    )
    excluded = frame["flags"].map(is_excluded)
    # exactly the rows training leaves out (an excluding flag); other flags are notes kept in training
    left_out = frame[excluded][["ligand", "qd", "flags"]].reset_index()
    notes = frame[(frame["flags"] != "") & ~excluded][["ligand", "qd", "flags"]].reset_index()
    pairs = frame[frame["pair_id"] != ""]["pair_id"].nunique()
    overview = pd.DataFrame(
        {
            "item": ["rows", "treated", "control", "complete pairs", "references", "ligands", "QD compositions"],
            "count": [
                len(frame),
                int((role == "treated").sum()),
                int((role == "control").sum()),
                int(pairs),
                int(frame["reference"].replace("", pd.NA).nunique()),
                int(frame["ligand"].nunique()),
                int(frame["qd"].nunique()),
            ],
        }
    )
    sample = role_counts(frame["sample"].replace("", "unspecified"), role, "sample")
    return {
        "overview": overview,
        "ligand_class": role_counts(lig_class, role, "ligand_class"),
        "qd_family": role_counts(family, role, "qd_family"),
        "sample": sample,
        "coverage": coverage,
        "left_out": left_out,
        "notes": notes,
        "flagged": frame[frame["flags"] != ""][["ligand", "qd", "flags"]].reset_index(),  # every flagged row
    }
