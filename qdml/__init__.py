"""qdml: featurize inorganic ligand / quantum-dot pairs, train honest regressors, predict and rank.

Public names are imported lazily so that ``qdml --help`` stays fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "QdmlError": "qdml.exceptions",
    "ValidationError": "qdml.exceptions",
    "UnknownLigandError": "qdml.exceptions",
    "CompositionParseError": "qdml.exceptions",
    "BundleError": "qdml.exceptions",
    "load_dataset": "qdml.data",
    "read_validated": "qdml.schema",
    "validate_file": "qdml.schema",
    "parse_ligand": "qdml.chemistry.ligands",
    "parse_qd_composition": "qdml.chemistry.composition",
    "LigandFeaturizer": "qdml.chemistry.ligand_features",
    "QDFeaturizer": "qdml.chemistry.qd_features",
    "PairFeaturizer": "qdml.featurize",
    "predict": "qdml.workflows",
    "rank": "qdml.workflows",
    "train": "qdml.workflows",
    "load_bundle": "qdml.bundle",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'qdml' has no attribute {name!r}")


def __dir__():
    return __all__
