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
    "load_dataset": "qdml.validation",
    "load_training_data": "qdml.validation",
    "dataset_path": "qdml.data",
    "read_validated": "qdml.validation",
    "validate_file": "qdml.validation",
    "parse_ligand": "qdml.chemistry.ligands",
    "parse_qd_composition": "qdml.chemistry.composition",
    "LigandFeaturizer": "qdml.features.ligand",
    "QDFeaturizer": "qdml.features.qd",
    "PairFeaturizer": "qdml.features.pair",
    "predict": "qdml.workflows.prediction",
    "rank": "qdml.workflows.ranking",
    "train": "qdml.workflows.training",
    "evaluate": "qdml.workflows.evaluation",
    "add_data": "qdml.workflows.merging",
    "summarize": "qdml.workflows.summary",
    "verdicts": "qdml.evaluation.verdict",
    "plot_ranking": "qdml.evaluation.plots",
    "plot_pareto": "qdml.evaluation.plots",
    "plot_parity": "qdml.evaluation.plots",
    "plot_cv_comparison": "qdml.evaluation.plots",
    "load_bundle": "qdml.learn.bundle",
    "Predictor": "qdml.learn.predictor",
    "TARGETS": "qdml.targets",
    "Target": "qdml.targets",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'qdml' has no attribute {name!r}")


def __dir__():
    return __all__
