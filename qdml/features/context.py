"""What each row is, beyond its features: canonical ligand, composition, paper, elements, class, family.

Cross-validation groups rows by these keys, and the applicability domain compares a new pair's
elements, ligand class and QD family with those seen in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qdml.chemistry.composition import parse_qd_composition
from qdml.chemistry.ligands import parse_ligand
from qdml.data.paper_key import paper_key


@dataclass(frozen=True)
class RowKeys:
    """What each row is, for grouping: canonical ligand, QD notation, paper, element set."""

    ligand: np.ndarray
    qd: np.ndarray
    reference: np.ndarray
    elements: list[frozenset]


def row_keys(frame: pd.DataFrame) -> RowKeys:
    """Group labels per row; each unique ligand and composition is parsed once."""
    lig_cache = {v: parse_ligand(v) for v in frame["ligand"].unique()}
    qd_cache = {v: parse_qd_composition(v) for v in frame["qd"].unique()}

    elements = [
        ligand_elements(lig_cache[lv]) | qd_elements(qd_cache[qv])
        for lv, qv in zip(frame["ligand"], frame["qd"])
    ]
    # papers group by DOI, else normalised reference, so a paper entered twice stays on one side
    references = frame["reference"] if "reference" in frame.columns else [""] * len(frame)
    dois = frame["doi"] if "doi" in frame.columns else [""] * len(frame)
    refs = [paper_key(r, d) or f"(no reference, line {line})" for r, d, line in zip(references, dois, frame.index)]
    return RowKeys(
        ligand=np.array([lig_cache[v].name for v in frame["ligand"]], dtype=object),
        qd=np.array([str(v).replace(" ", "") for v in frame["qd"]], dtype=object),
        reference=np.array(refs, dtype=object),
        elements=elements,
    )


def ligand_elements(lig) -> frozenset:
    """Elements of a parsed ligand and of its components."""
    out = set(getattr(lig, "elements", {}) or {})
    for comp, _ in getattr(lig, "components", []) or []:
        if comp is not lig:
            out |= set(getattr(comp, "elements", {}) or {})
    return frozenset(out)


def qd_elements(comp) -> frozenset:
    """Elements of a parsed composition: every layer and dopant, molecular cations by their atoms."""
    return frozenset(comp.elements)


def row_context(frame: pd.DataFrame) -> tuple[list[set], list[str], list[str]]:
    """Elements, ligand classes and QD families of each row (for the applicability domain)."""
    keys = row_keys(frame)
    lig = {v: parse_ligand(v).ligand_class for v in frame["ligand"].unique()}
    fam = {v: parse_qd_composition(v).family for v in frame["qd"].unique()}
    return ([set(e) for e in keys.elements], [lig[v] for v in frame["ligand"]], [fam[v] for v in frame["qd"]])
