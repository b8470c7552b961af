"""``LigandFeaturizer``: ligand strings -> numeric ion-physics features (scikit-learn transformer).

Each unique ligand string is parsed and featurized once (cached), then rows are gathered by
index, so 100 000 rows drawn from a few dozen ligands take a fraction of a second.

Features (``ligand__`` prefix), per row:

======================================  ==========================================================
``charge``                              formal charge (salts 0; mixtures weight-averaged)
``abs_charge``                          composition-weighted mean |charge| of the ions
``radius_pm``, ``radius_missing``       Shannon ionic radius (monatomic, CN VI) or thermochemical
                                        radius (polyatomic), weighted over ions
``electronegativity``, ``..._missing``  Pauling electronegativity of the binding (donor or
                                        acceptor) atom, weighted
``polarizability_a3``, ``..._missing``  ion polarizability, Tessman-Kahn-Shockley (1953), weighted
``hardness_ev``, ``hardness_missing``   Parr-Pearson absolute hardness, weighted
``hsab_hard|borderline|soft|unknown``   Pearson HSAB class of each ion, weighted one-hot
``hsab_inferred``                       weight of ions whose HSAB class is inferred, not tabulated
``binding_X|L|Z``                       the ligand's CBC binding type (salts keep one: see
                                        :mod:`qdml.chemistry.ligands`)
``class_<name>``                        the ligand's class (8 classes of the review + organic)
``n_atoms``, ``n_atoms_missing``        atoms per formula unit
``is_mixture``, ``n_components``        salt or mixture; number of distinct ions/molecules
``organic_fraction``                    weight of organic components
``in_knowledge_base``                   1 when every part comes from the curated table
``untreated``                           1 for "native" and the original organic capping (oleate,
                                        oleylamine ...): the sample was not treated
======================================  ==========================================================

"Weighted" means the stoichiometric/mixture weights of ``Ligand.components`` (sum 1), so a salt
or mixture is the composition-weighted vector of its ions. A "missing" column is the weight of
ions with no cited value; the value itself is the mean over the ions that have one, else (by
default) the median over the knowledge base's single species -- never a silent NaN. rdkit
descriptors are deliberately absent: they are not ion physics (Crippen MolMR is 0 for halides).
Unknown ligands raise :class:`~qdml.exceptions.UnknownLigandError`, with the row noted.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from qdml.chemistry.elements import electronegativity_pauling, is_element
from qdml.chemistry.ligands import (
    HSAB_CLASSES,
    LIGAND_CLASSES,
    UNTREATED_LIGANDS,
    BindingType,
    Ligand,
    knowledge_base_ligands,
    parse_ligand,
)
from qdml.exceptions import QdmlError, UnknownLigandError

PREFIX = "ligand__"
_CLASS_SLUGS = {
    "metal chalcogenide complex": "metal_chalcogenide_complex",
    "metal-free chalcogenide": "metal_free_chalcogenide",
    "oxoanion": "oxoanion",
    "halide/metal halide": "halide_metal_halide",
    "metal cation": "metal_cation",
    "pseudohalide": "pseudohalide",
    "organic-inorganic hybrid": "organic_inorganic_hybrid",
    "organic": "organic",
}
assert tuple(_CLASS_SLUGS) == LIGAND_CLASSES

#: value column -> its missing indicator (imputed columns)
_IMPUTED = {
    "radius_pm": "radius_missing",
    "electronegativity": "electronegativity_missing",
    "polarizability_a3": "polarizability_missing",
    "hardness_ev": "hardness_missing",
    "n_atoms": "n_atoms_missing",
}
_WEIGHTED = ["radius_pm", "electronegativity", "polarizability_a3", "hardness_ev"]
#: Feature names without the ``ligand__`` prefix, in column order.
FEATURES: list[str] = (
    ["charge", "abs_charge"]
    + [c for v in _WEIGHTED for c in (v, _IMPUTED[v])]
    + [f"hsab_{h}" for h in HSAB_CLASSES]
    + ["hsab_unknown", "hsab_inferred"]
    + [f"binding_{b.value}" for b in BindingType]
    + [f"class_{slug}" for slug in _CLASS_SLUGS.values()]
    + ["n_atoms", "n_atoms_missing", "is_mixture", "n_components", "organic_fraction", "in_knowledge_base",
       "untreated"]
)
_INDEX = {name: i for i, name in enumerate(FEATURES)}

CITATIONS = (
    "Shannon, Acta Cryst. A 1976, 32, 751 (ionic radii)",
    "Jenkins & Thakur, J. Chem. Educ. 1979, 56, 576; Jenkins et al., Inorg. Chem. 1999, 38, 3609 (thermochemical radii)",
    "Parr & Pearson, J. Am. Chem. Soc. 1983, 105, 7512; Pearson, Inorg. Chem. 1988, 27, 734 (absolute hardness)",
    "Pearson, J. Am. Chem. Soc. 1963, 85, 3533 (HSAB classes)",
    "Tessman, Kahn & Shockley, Phys. Rev. 1953, 92, 890 (ion polarizabilities)",
    "Green, J. Organomet. Chem. 1995, 500, 127; Anderson et al., J. Am. Chem. Soc. 2013, 135, 18536 (CBC binding types)",
    "Pauling electronegativity and element data via mendeleev (Mentel, https://github.com/lmmentel/mendeleev)",
)


def _binding_en(leaf: Ligand) -> float | None:

    atom = leaf.binding_atom
    if not atom or not is_element(atom):
        return None
    return electronegativity_pauling(atom)


@functools.lru_cache(maxsize=65536)
def ligand_vector(text: str) -> tuple[float, ...]:
    """Raw feature vector of one ligand string (NaN where no ion has a value; not imputed)."""
    lig = parse_ligand(text)
    v = [0.0] * len(FEATURES)
    comps = list(lig.components) or [(lig, 1.0)]
    total = sum(w for _, w in comps) or 1.0
    comps = [(c, w / total) for c, w in comps]
    v[_INDEX["charge"]] = float(lig.charge)
    v[_INDEX["abs_charge"]] = sum(abs(c.charge) * w for c, w in comps)
    getters = {
        "radius_pm": lambda c: c.radius_pm,
        "electronegativity": _binding_en,
        "polarizability_a3": lambda c: c.polarizability_a3,
        "hardness_ev": lambda c: c.hardness_ev,
    }
    for col, get in getters.items():
        known = [(float(x), w) for c, w in comps if (x := get(c)) is not None and not math.isnan(float(x))]
        have = sum(w for _, w in known)
        v[_INDEX[col]] = sum(x * w for x, w in known) / have if have > 0 else math.nan
        v[_INDEX[_IMPUTED[col]]] = round(1.0 - have, 12)
    for c, w in comps:
        key = f"hsab_{c.hsab_class}" if c.hsab_class in HSAB_CLASSES else "hsab_unknown"
        v[_INDEX[key]] += w
        if c.hsab_inferred:
            v[_INDEX["hsab_inferred"]] += w
    v[_INDEX[f"binding_{BindingType(lig.binding_type).value}"]] = 1.0
    if lig.ligand_class in _CLASS_SLUGS:
        v[_INDEX[f"class_{_CLASS_SLUGS[lig.ligand_class]}"]] = 1.0
    n_atoms = lig.n_atoms
    v[_INDEX["n_atoms"]] = n_atoms if n_atoms > 0 else math.nan
    v[_INDEX["n_atoms_missing"]] = 0.0 if n_atoms > 0 else 1.0
    v[_INDEX["is_mixture"]] = 1.0 if lig.is_mixture else 0.0
    v[_INDEX["n_components"]] = float(len(comps))
    v[_INDEX["organic_fraction"]] = lig.organic_fraction
    v[_INDEX["in_knowledge_base"]] = 1.0 if lig.in_knowledge_base else 0.0
    v[_INDEX["untreated"]] = 1.0 if lig.name in UNTREATED_LIGANDS else 0.0
    return tuple(float(x) for x in v)


@functools.lru_cache(maxsize=1)
def knowledge_base_medians() -> dict[str, float]:
    """Median of each imputable feature over the knowledge base's single species (constants)."""
    rows = [ligand_vector(name) for name in knowledge_base_ligands()]
    rows = [r for r in rows if r[_INDEX["is_mixture"]] == 0.0]
    out = {}
    for col in _IMPUTED:
        vals = [r[_INDEX[col]] for r in rows if not math.isnan(r[_INDEX[col]])]
        out[col] = float(np.median(vals)) if vals else 0.0
    return out


class LigandInputError(QdmlError, ValueError):
    """Input that is not a column of ligand strings."""


def _ligand_column(X) -> np.ndarray:
    """The ligand strings of X as a 1-D object array (DataFrame 'ligand' column, list, array)."""
    if isinstance(X, pd.DataFrame):
        if "ligand" in X.columns:
            col = X["ligand"]
        elif X.shape[1] == 1:
            col = X.iloc[:, 0]
        else:
            raise LigandInputError("LigandFeaturizer needs a 'ligand' column")
        values = col.to_numpy(dtype=object)
    elif isinstance(X, pd.Series):
        values = X.to_numpy(dtype=object)
    elif isinstance(X, str):
        raise LigandInputError("pass a list of ligand strings, not a single string")
    else:
        arr = np.asarray(X, dtype=object)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise LigandInputError(f"expected one column of ligand strings, got shape {arr.shape}")
        values = arr
    return values


class LigandFeaturizer(TransformerMixin, BaseEstimator):
    """Turn ligand strings into ion-physics features (see the module docstring for the list).

    Parameters
    ----------
    impute_missing : bool, default=True
        Replace a value no ion has (e.g. the radius of Sn2S6 4-) by the knowledge-base median
        and keep the ``*_missing`` indicator; ``False`` leaves NaN there, for estimators that
        handle missing values themselves.

    Examples
    --------
    >>> f = LigandFeaturizer().fit([["SCN-"], ["In3+"]])
    >>> f.transform(["KI"]).shape[1] == len(f.get_feature_names_out())
    True
    """

    def __init__(self, impute_missing: bool = True):
        self.impute_missing = impute_missing

    def fit(self, X, y=None):
        """Check the input and record its shape; the features themselves learn nothing."""
        if not isinstance(self.impute_missing, (bool, np.bool_)):
            raise LigandInputError("impute_missing must be True or False")
        _ligand_column(X)
        self.n_features_in_ = 1
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def transform(self, X) -> np.ndarray:
        """Features of every row, shape (n_rows, n_features), dtype float64."""
        check_is_fitted(self, "n_features_in_")
        values = _ligand_column(X)
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        if (codes < 0).any():
            row = int(np.flatnonzero(codes < 0)[0])
            err = UnknownLigandError("", [])
            err.add_note(f"row {row}: missing ligand value")
            raise err
        table = np.empty((len(uniques), len(FEATURES)), dtype=np.float64)
        for i, text in enumerate(uniques):
            try:
                table[i] = ligand_vector(text if isinstance(text, str) else str(text))
            except UnknownLigandError as exc:
                row = int(np.flatnonzero(codes == i)[0])
                exc.add_note(f"row {row} of the input")
                raise
        if self.impute_missing:
            medians = knowledge_base_medians()
            for col in _IMPUTED:
                j = _INDEX[col]
                bad = np.isnan(table[:, j])
                table[bad, j] = medians[col]
        return table[codes] if len(values) else np.empty((0, len(FEATURES)))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``ligand__<feature>`` names, in column order."""
        check_is_fitted(self, "n_features_in_")
        return np.asarray([PREFIX + f for f in FEATURES], dtype=object)

    @staticmethod
    def citations() -> list[str]:
        """Sources of every value the features use."""
        return list(CITATIONS)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = True
        tags.requires_fit = True
        return tags
