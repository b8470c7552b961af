"""Locate and load the data files shipped with qdml, however it is installed.

A built wheel carries the repository's top-level ``datasets/`` and ``models/`` folders as
``qdml/_bundled/datasets`` and ``qdml/_bundled/models`` (see ``pyproject.toml``); an editable
install reads them from the repository itself. Loaders are cached: a table is read once per
process, and callers must not mutate the frames they get (copy first).
"""

from __future__ import annotations

import functools
import importlib.resources
import pathlib

import pandas as pd

DATASET_NAME = "qd_ligand_literature.csv"


def _bundled_root(kind: str) -> pathlib.Path:
    """Folder ``kind`` (``datasets`` or ``models``): the wheel's copy first, else the repository's."""
    try:
        packaged = importlib.resources.files("qdml") / "_bundled" / kind
        if packaged.is_dir():
            return pathlib.Path(str(packaged))
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):  # pragma: no cover
        pass
    import qdml

    return pathlib.Path(qdml.__file__).resolve().parent.parent / kind


def bundled_path(*parts: str) -> pathlib.Path:
    """Path of a bundled data file, e.g. ``bundled_path("ligands.csv")``.

    The path may not exist (a caller checks); it is never inside a user's working directory.
    """
    return _bundled_root("datasets").joinpath(*parts)


def bundled_models_dir() -> pathlib.Path:
    """Folder holding the shipped model bundles (``models/``)."""
    return _bundled_root("models")


def dataset_path() -> pathlib.Path:
    """Path of the bundled literature table (``datasets/qd_ligand_literature.csv``)."""
    return bundled_path(DATASET_NAME)


@functools.cache
def read_bundled_csv(name: str, as_str: bool = True) -> pd.DataFrame:
    """Read a bundled CSV once per process.

    ``keep_default_na=False`` keeps empty cells as empty strings (an empty ``smiles`` means
    "none", never NaN); ``as_str=True`` reads every column as text so that callers convert
    numbers explicitly and nothing is guessed (``"NA"`` stays a string, ``"1.0"`` a string).

    The frame is shared between callers: copy it before changing it.
    """
    path = bundled_path(name)
    return pd.read_csv(
        path,
        keep_default_na=False,
        dtype=str if as_str else None,
        encoding="utf-8",
        comment=None,
    )
