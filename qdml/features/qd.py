"""``QDFeaturizer``: numeric features of a quantum dot from its composition and what is known of the sample.

Each unique composition is parsed and featurized once (``lru_cache``); rows are then filled by
index, so 100 000 rows of a few dozen compositions take a fraction of a second.

Features (all prefixed ``qd__``):

- ``family=<family>``: one-hot of the core's family (:data:`~qdml.chemistry.composition.FAMILIES`).
- ``halide_Cl``, ``halide_Br``, ``halide_I``: X-site shares; ``halide_fractions_unknown`` = 1 when
  the notation leaves them open (``CsPbBrxCl3-x``), the shares then being the equal split of the
  halides present (an imputation, flagged).
- ``a_site_Cs``, ``a_site_FA``, ``a_site_MA``, ``a_site_other_organic`` (PEA, pF-PEA, ...),
  ``a_site_other_inorganic`` (Rb, K, ...), ``a_site_unknown``: perovskite A-site shares (equal split
  when open, flagged); all 0 for other families.
- ``b_site_Pb``, ``b_site_Sn``, ``b_site_other``: perovskite B-site shares (``other`` = alloyed or
  doped metals such as Zn in CsPb0.64Zn0.36I3).
- ``n_shells``, ``n_dopants``.
- ``core_en_pauling``, ``core_atomic_mass``, ``core_atomic_number``, ``core_covalent_radius_pm``:
  atom-fraction weighted means over the core (mendeleev via :mod:`qdml.chemistry.elements`;
  Pyykko covalent radii); ``core_fractions_imputed`` = 1 when open shares were split equally.
- ``tolerance_factor`` (Goldschmidt, t = (rA + rX) / (sqrt2 (rB + rX))) and ``octahedral_factor``
  (mu = rB / rX, Li et al., Acta Cryst. B 2008, 64, 702) with Shannon radii (A: XII, B and X: VI)
  and effective radii of molecular A cations (Kieslich, Sun & Cheetham, Chem. Sci. 2014, 5, 4712);
  ``perovskite_factors_missing`` = 1 (and both 0) for non-perovskites or missing radii. A-site
  cations with no tabulated radius (PEA, pF-PEA: 2D spacers) are left out of rA.
- ``bandgap_ev``, ``bandgap_peak_nm`` (= 1239.84 / Eg), ``bandgap_range_ev`` (width of the range
  when shares are open), ``bandgap_uncertain``, ``bandgap_missing`` (then Eg 0 and peak 550 nm).
- ``confined_peak_nm``: the untreated QDs' emission peak at the family's typical size (sizing
  curve or effective-mass confinement plus Stokes shift, :mod:`qdml.chemistry.confinement`);
  ``bandgap_peak_nm`` where no gap is tabulated.
- ``exciton_bohr_radius_nm`` + ``exciton_bohr_radius_missing`` (tabulated cores only).
- ``el_color_nm`` + ``el_color_missing``: the nominal emission colour as a representative
  wavelength (:data:`COLOUR_WAVELENGTH_NM`, a convention); missing or unknown names, and colours
  no QD of the composition can emit (:func:`sample_conflicts`), are imputed with
  ``size_peak_nm``.
- ``size_nm`` + ``size_missing`` (imputed with ``size_fill_nm``);
  ``size_over_bohr_diameter`` + ``size_over_bohr_diameter_missing`` (confinement strength);
  ``size_peak_nm``: the untreated peak estimate at the row's size (``confined_peak_nm`` without one).
- ``pristine_peak_nm`` + ``pristine_peak_missing``: the untreated sample's peak (ignored outside
  the composition's emission window), imputed with the colour wavelength when given, else
  ``size_peak_nm``.

- ``composition_missing``: 1 for rows whose ``qd`` is empty or NaN (composition features then 0,
  with every missing indicator set); a ``qd`` that is given but does not parse raises
  :class:`~qdml.exceptions.CompositionParseError` naming the row.

Missing values are never left as NaN: every imputed column has an indicator column.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from qdml.chemistry import elements
from qdml.chemistry.composition import (
    FAMILIES,
    HALIDES,
    MOLECULAR_CATIONS,
    QDComposition,
    band_gap_prior,
    parse_qd_composition,
    plausible_peak_range_nm,
    reference_citations,
    reference_table,
)
from qdml.chemistry.confinement import untreated_peak_nm
from qdml.exceptions import CompositionParseError, QdmlError

__all__ = [
    "COLOUR_WAVELENGTH_NM",
    "COMPOSITION_FEATURES",
    "SAMPLE_FEATURES",
    "QDFeaturizer",
    "colour_wavelength_nm",
    "composition_features",
    "sample_conflicts",
    "size_peak_nm",
]

#: Representative wavelength (nm) of a nominal emission colour: a modelling convention that
#: follows the usual QLED colour names (e.g. Rec. 2020 primaries: blue 467, green 532, red 630 nm).
COLOUR_WAVELENGTH_NM: dict[str, float] = {
    "violet": 420.0,
    "blue": 470.0,
    "sky-blue": 485.0,
    "cyan": 495.0,
    "green": 525.0,
    "yellow": 575.0,
    "orange": 600.0,
    "red": 640.0,
    "deep-red": 680.0,
    "nir": 780.0,
}
_COLOUR_ALIASES = {
    "skyblue": "sky-blue",
    "pure-blue": "blue",
    "deep-blue": "blue",
    "pure-green": "green",
    "pure-red": "red",
    "deepred": "deep-red",
    "near-infrared": "nir",
    "near-ir": "nir",
    "infrared": "nir",
    "purple": "violet",
}

#: Per-composition features (same for every row of a composition).
COMPOSITION_FEATURES: list[str] = (
    [f"qd__family={f}" for f in FAMILIES]
    + [f"qd__halide_{h}" for h in HALIDES]
    + ["qd__halide_fractions_unknown"]
    + [
        "qd__a_site_Cs", "qd__a_site_FA", "qd__a_site_MA", "qd__a_site_other_organic",
        "qd__a_site_other_inorganic", "qd__a_site_unknown",
        "qd__b_site_Pb", "qd__b_site_Sn", "qd__b_site_other",
        "qd__n_shells", "qd__n_dopants",
        "qd__core_en_pauling", "qd__core_atomic_mass", "qd__core_atomic_number",
        "qd__core_covalent_radius_pm", "qd__core_fractions_imputed",
        "qd__tolerance_factor", "qd__octahedral_factor", "qd__perovskite_factors_missing",
        "qd__bandgap_ev", "qd__bandgap_peak_nm", "qd__bandgap_range_ev", "qd__bandgap_uncertain",
        "qd__bandgap_missing",
        "qd__exciton_bohr_radius_nm", "qd__exciton_bohr_radius_missing",
        "qd__confined_peak_nm",
        "qd__composition_missing",
    ]
)  # fmt: skip
#: Per-row features from what is known of the sample.
SAMPLE_FEATURES: list[str] = [
    "qd__el_color_nm", "qd__el_color_missing",
    "qd__size_nm", "qd__size_missing",
    "qd__size_over_bohr_diameter", "qd__size_over_bohr_diameter_missing",
    "qd__size_peak_nm",
    "qd__pristine_peak_nm", "qd__pristine_peak_missing",
]  # fmt: skip
OPTIONAL_COLUMNS = ("el_color", "size_nm", "pristine_peak_nm")
_DEFAULT_PEAK_NM = 550.0  # only when no band gap is tabulated (flagged by qd__bandgap_missing)

#: Usual charge of B-site metals in lead/tin halide perovskites (for Shannon radii, CN VI).
_B_SITE_CHARGE = {
    "Pb": 2, "Sn": 2, "Ge": 2, "Zn": 2, "Cd": 2, "Mn": 2, "Cu": 2, "Ni": 2, "Co": 2, "Fe": 2,
    "Mg": 2, "Ca": 2, "Sr": 2, "Ba": 2, "Eu": 2, "Bi": 3, "Sb": 3, "In": 3, "Al": 3, "Ga": 3,
    "Yb": 3, "Ce": 3, "Nd": 3, "Er": 3, "La": 3, "Y": 3,
}  # fmt: skip


def colour_wavelength_nm(colour) -> float:
    """Representative wavelength of a nominal colour name (case-insensitive); NaN when unknown.

    >>> colour_wavelength_nm("Sky blue")
    485.0
    >>> import math; math.isnan(colour_wavelength_nm("magenta"))
    True
    """
    if not isinstance(colour, str):
        return float("nan")
    key = "-".join(colour.strip().lower().replace("_", " ").replace("-", " ").split())
    key = _COLOUR_ALIASES.get(key, key)
    return COLOUR_WAVELENGTH_NM.get(key, float("nan"))


# --------------------------------------------------------------------------------------------
# Per-composition features
# --------------------------------------------------------------------------------------------
def _equal_split(site) -> dict[str, float]:
    """Site shares with open (None) shares split equally over the rest of the site."""
    known = {k: float(v) for k, v in site.items() if v is not None}
    unknown = [k for k, v in site.items() if v is None]
    rest = max(0.0, 1.0 - sum(known.values()))
    return {**known, **{k: rest / len(unknown) for k in unknown}} if unknown else known


def _imputed_element_fractions(comp: QDComposition) -> dict[str, float]:
    if comp.element_fractions_complete:
        return dict(comp.element_fractions)
    if comp.is_perovskite:
        counts: dict[str, float] = {}
        for site, mult in ((comp.a_site, 1.0), (comp.b_site, 1.0), (comp.x_site, 3.0)):
            for sp, share in _equal_split(site).items():
                atoms = MOLECULAR_CATIONS.get(sp, {sp: 1})
                for el, n in atoms.items():
                    counts[el] = counts.get(el, 0.0) + mult * share * n
        total = sum(counts.values())
        return {el: n / total for el, n in counts.items()} if total > 0 else {}
    known = dict(comp.element_fractions)
    unknown = [sp for sp in comp.unknown_fraction_species if sp not in known]
    rest = max(0.0, 1.0 - sum(known.values()))
    for sp in unknown:
        known[sp] = rest / len(unknown)
    return known


@cache
def _element_props(symbol: str) -> tuple[float | None, float | None, float | None, float | None]:

    def num(v):
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    return (
        num(elements.electronegativity_pauling(symbol)),
        num(elements.atomic_mass(symbol)),
        num(elements.atomic_number(symbol)),
        num(elements.element_property(symbol, "covalent_radius_pyykko")),
    )


def _weighted(fractions: dict[str, float], index: int) -> float | None:
    acc = wsum = 0.0
    for el, w in fractions.items():
        v = _element_props(el)[index]
        if v is not None and w > 0:
            acc += v * w
            wsum += w
    return acc / wsum if wsum > 0 else None


@cache
def _ion_radius_pm(species: str, site: str) -> float | None:
    """Radius for perovskite factors: molecular cations (Kieslich), else Shannon (A XII, B/X VI)."""

    ref = reference_table()
    if species in MOLECULAR_CATIONS:
        return ref.get("a_cation_radius_pm", {}).get(species)
    if site == "A":
        return elements.shannon_radius_pm(species, 1, "XII")
    if site == "X":
        return elements.shannon_radius_pm(species, -1, "VI")
    charge = _B_SITE_CHARGE.get(species, 2)
    supplement = ref.get("ionic_radius_pm", {}).get(f"{species}{charge}+")
    if supplement is not None:
        return supplement
    return elements.shannon_radius_pm(species, charge, "VI")


def _site_radius(site: dict[str, float], which: str) -> float | None:
    acc = wsum = 0.0
    for sp, w in site.items():
        r = _ion_radius_pm(sp, which)
        if r is not None and w > 0:
            acc += r * w
            wsum += w
    return acc / wsum if wsum > 0 else None


def _bohr_radius_nm(comp: QDComposition) -> float | None:
    table = reference_table().get("exciton_bohr_radius_nm", {})
    if comp.is_perovskite:
        halides = _equal_split(comp.x_site)
        if comp.family.startswith("lead") and all(f"CsPb{h}3" in table for h in halides):
            return sum(w * table[f"CsPb{h}3"] for h, w in halides.items()) / (
                sum(halides.values()) or 1
            )
        return None
    return table.get(comp.core) if comp.fractions_known else None


@lru_cache(maxsize=8192)
def composition_features(qd: str) -> tuple[float, ...]:
    """The :data:`COMPOSITION_FEATURES` of one composition string (cached)."""
    comp = parse_qd_composition(qd)
    out: dict[str, float] = {f"qd__family={f}": float(comp.family == f) for f in FAMILIES}
    halides = _equal_split(comp.halide_fractions) if comp.halide_fractions else {}
    for h in HALIDES:
        out[f"qd__halide_{h}"] = halides.get(h, 0.0)
    out["qd__halide_fractions_unknown"] = float(not comp.halide_fractions_known)
    a = _equal_split(comp.a_site)
    out["qd__a_site_Cs"] = a.get("Cs", 0.0)
    out["qd__a_site_FA"] = a.get("FA", 0.0)
    out["qd__a_site_MA"] = a.get("MA", 0.0)
    out["qd__a_site_other_organic"] = sum(
        w for k, w in a.items() if k in MOLECULAR_CATIONS and k not in ("FA", "MA")
    )
    out["qd__a_site_other_inorganic"] = sum(
        w for k, w in a.items() if k not in MOLECULAR_CATIONS and k != "Cs"
    )
    out["qd__a_site_unknown"] = float(any(v is None for v in comp.a_site.values()))
    b = _equal_split(comp.b_site)
    out["qd__b_site_Pb"] = b.get("Pb", 0.0)
    out["qd__b_site_Sn"] = b.get("Sn", 0.0)
    out["qd__b_site_other"] = sum(w for k, w in b.items() if k not in ("Pb", "Sn"))
    out["qd__n_shells"] = float(comp.n_shells)
    out["qd__n_dopants"] = float(len(comp.dopants))

    fractions = _imputed_element_fractions(comp)
    for i, name in enumerate(
        (
            "qd__core_en_pauling",
            "qd__core_atomic_mass",
            "qd__core_atomic_number",
            "qd__core_covalent_radius_pm",
        )
    ):
        value = _weighted(fractions, i)
        out[name] = 0.0 if value is None else value
    out["qd__core_fractions_imputed"] = float(not comp.element_fractions_complete)

    t = mu = None
    if comp.is_perovskite:
        ra, rb, rx = (
            _site_radius(a, "A"),
            _site_radius(b, "B"),
            _site_radius(_equal_split(comp.x_site), "X"),
        )
        if ra and rb and rx:
            t = (ra + rx) / (math.sqrt(2.0) * (rb + rx))
            mu = rb / rx
    out["qd__tolerance_factor"] = 0.0 if t is None else t
    out["qd__octahedral_factor"] = 0.0 if mu is None else mu
    out["qd__perovskite_factors_missing"] = float(t is None)

    prior = band_gap_prior(comp)
    has_gap = prior.eg_ev is not None
    out["qd__bandgap_ev"] = prior.eg_ev if has_gap else 0.0
    out["qd__bandgap_peak_nm"] = prior.peak_nm if has_gap else _DEFAULT_PEAK_NM
    out["qd__bandgap_range_ev"] = (prior.eg_max_ev - prior.eg_min_ev) if has_gap else 0.0
    out["qd__bandgap_uncertain"] = float(prior.uncertain)
    out["qd__bandgap_missing"] = float(not has_gap)
    bohr = _bohr_radius_nm(comp)
    out["qd__exciton_bohr_radius_nm"] = 0.0 if bohr is None else bohr
    out["qd__exciton_bohr_radius_missing"] = float(bohr is None)
    confined = untreated_peak_nm(qd)
    out["qd__confined_peak_nm"] = confined if math.isfinite(confined) else out["qd__bandgap_peak_nm"]
    out["qd__composition_missing"] = 0.0
    return tuple(float(out[name]) for name in COMPOSITION_FEATURES)


def _missing_composition_features() -> tuple[float, ...]:
    """Row of a QD whose composition is not given: zeros, with every missing indicator set."""
    out = dict.fromkeys(COMPOSITION_FEATURES, 0.0)
    for name in (
        "qd__halide_fractions_unknown", "qd__a_site_unknown", "qd__core_fractions_imputed",
        "qd__perovskite_factors_missing", "qd__bandgap_uncertain", "qd__bandgap_missing",
        "qd__exciton_bohr_radius_missing", "qd__composition_missing",
    ):  # fmt: skip
        out[name] = 1.0
    out["qd__bandgap_peak_nm"] = _DEFAULT_PEAK_NM
    out["qd__confined_peak_nm"] = _DEFAULT_PEAK_NM
    return tuple(out[name] for name in COMPOSITION_FEATURES)


def size_peak_nm(qds, sizes) -> np.ndarray:
    """Untreated peak estimate of each (composition, size) row; NaN where the size is missing or no gap is known."""
    qds = [str(q) for q in qds]
    sizes = np.asarray(sizes, dtype=float)
    out = np.full(len(qds), np.nan)
    cache: dict = {}
    for i, (q, d) in enumerate(zip(qds, sizes)):
        if not np.isfinite(d) or not q.strip():
            continue
        if (q, d) not in cache:
            try:
                cache[(q, d)] = untreated_peak_nm(q, float(d))
            except CompositionParseError:
                cache[(q, d)] = np.nan
        out[i] = cache[(q, d)]
    return out


def sample_conflicts(qds, colour_nm, pristine_nm) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Colours and pristine peaks no QD of the composition can emit: (colour_bad, pristine_bad, reason).

    The window is :func:`~qdml.chemistry.composition.plausible_peak_range_nm` (band gap plus the
    family's confinement and Stokes allowances): red CsPbCl3 or a 250 nm pristine peak is a
    contradiction, not a prior; the reason says which and the value is then ignored.
    """
    qds = [str(q) for q in qds]
    colour_nm, pristine_nm = np.asarray(colour_nm, float), np.asarray(pristine_nm, float)
    windows: dict = {}
    colour_bad = np.zeros(len(qds), bool)
    pristine_bad = np.zeros(len(qds), bool)
    reasons = np.full(len(qds), "", dtype=object)
    for i, q in enumerate(qds):
        if not (np.isfinite(colour_nm[i]) or np.isfinite(pristine_nm[i])) or not q.strip():
            continue
        if q not in windows:
            try:
                windows[q] = plausible_peak_range_nm(q)
            except CompositionParseError:
                windows[q] = (None, None)
        lo, hi = windows[q]
        if lo is None or hi is None:
            continue
        why = []
        if np.isfinite(colour_nm[i]) and not lo <= colour_nm[i] <= hi:
            colour_bad[i] = True
            why.append(f"el_color ({colour_nm[i]:.0f} nm) is outside what {q} can emit ({lo:.0f}-{hi:.0f} nm); colour ignored")
        if np.isfinite(pristine_nm[i]) and not lo <= pristine_nm[i] <= hi:
            pristine_bad[i] = True
            why.append(f"pristine_peak_nm {pristine_nm[i]:g} is outside what {q} can emit ({lo:.0f}-{hi:.0f} nm); ignored")
        reasons[i] = "; ".join(why)
    return colour_bad, pristine_bad, reasons


# --------------------------------------------------------------------------------------------
# The transformer
# --------------------------------------------------------------------------------------------
def _as_frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        return X.to_frame(name="qd")
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 1:
        return pd.DataFrame({"qd": arr})
    if arr.ndim == 2 and 1 <= arr.shape[1] <= 1 + len(OPTIONAL_COLUMNS):
        return pd.DataFrame(arr, columns=["qd", *OPTIONAL_COLUMNS][: arr.shape[1]])
    raise QdmlError(
        "QDFeaturizer needs a table with a 'qd' column (and optionally el_color, size_nm, pristine_peak_nm)"
    )


def _numeric_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    col = frame[name]
    values = np.array(pd.to_numeric(col, errors="coerce"), dtype=float)  # a writable copy
    suspects = np.flatnonzero(np.isnan(values) & col.notna().to_numpy())
    for i in suspects:  # NaN from text: only blanks mean "missing", anything else is an error
        if str(col.iloc[i]).strip():
            raise QdmlError(
                f"column {name!r}, row {frame.index[i]}: {col.iloc[i]!r} is not a number"
            )
    values[~np.isfinite(values)] = np.nan
    return values


class QDFeaturizer(TransformerMixin, BaseEstimator):
    """Featurize QDs from a table with a ``qd`` column and optional sample columns.

    Parameters
    ----------
    size_fill_nm : float, default 10.0
        Value put in ``qd__size_nm`` where the size is missing (``qd__size_missing`` says where).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"qd": ["CsPbBr3", "InP/ZnSe/ZnS"], "el_color": ["green", None]})
    >>> f = QDFeaturizer().fit(X)
    >>> out = f.transform(X)
    >>> names = list(f.get_feature_names_out())
    >>> out[1, names.index("qd__n_shells")], out[1, names.index("qd__el_color_missing")]
    (np.float64(2.0), np.float64(1.0))
    """

    def __init__(self, size_fill_nm: float = 10.0):
        self.size_fill_nm = size_fill_nm

    def fit(self, X, y=None):
        """Check the input's columns and record them; no statistics are learned."""
        frame = _as_frame(X)
        self._check_columns(frame)
        if not np.isfinite(float(self.size_fill_nm)):
            raise QdmlError("size_fill_nm must be a finite number")
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.n_features_in_ = frame.shape[1]
        return self

    @staticmethod
    def _check_columns(frame: pd.DataFrame) -> None:
        if "qd" not in frame.columns:
            raise QdmlError("QDFeaturizer needs a column 'qd'")
        extra = [c for c in frame.columns if c != "qd" and c not in OPTIONAL_COLUMNS]
        if extra:
            raise QdmlError(
                f"QDFeaturizer does not use columns {extra}; pass only qd, {', '.join(OPTIONAL_COLUMNS)}"
            )

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "n_features_in_")
        return np.asarray(COMPOSITION_FEATURES + SAMPLE_FEATURES, dtype=object)

    def citations(self) -> list[str]:
        """Sources of the data behind the features."""
        return sorted(
            set(reference_citations())
            | {
                "Shannon, Acta Cryst. A 1976, 32, 751 (ionic radii, via mendeleev)",
                "Kieslich, Sun & Cheetham, Chem. Sci. 2014, 5, 4712 (molecular A-cation radii)",
                "Li et al., Acta Cryst. B 2008, 64, 702 (octahedral factor)",
                "Goldschmidt, Naturwissenschaften 1926, 14, 477 (tolerance factor)",
                "Pyykko & Atsumi, Chem. Eur. J. 2009, 15, 186 (covalent radii, via mendeleev)",
                "mendeleev, https://github.com/lmmentel/mendeleev",
            }
        )

    def transform(self, X) -> np.ndarray:
        """Features as a float array (rows in the input order); see the module docstring."""
        check_is_fitted(self, "n_features_in_")
        frame = _as_frame(X)
        if hasattr(self, "feature_names_in_"):
            cols = [str(c) for c in frame.columns]
            if cols != list(self.feature_names_in_):
                raise QdmlError(
                    f"columns {cols} differ from those seen in fit {list(self.feature_names_in_)}"
                )
        elif frame.shape[1] != self.n_features_in_:
            raise QdmlError(
                f"X has {frame.shape[1]} columns; QDFeaturizer was fitted with {self.n_features_in_}"
            )
        self._check_columns(frame)
        n = len(frame)

        qd = frame["qd"]
        codes, uniques = pd.factorize(qd, use_na_sentinel=True)
        # the last table row serves missing compositions (NaN, None, blank): code -1
        table = np.empty((len(uniques) + 1, len(COMPOSITION_FEATURES)), dtype=float)
        table[-1] = _missing_composition_features()
        for k, value in enumerate(uniques):
            if isinstance(value, str) and not value.strip():
                table[k] = table[-1]
                continue
            try:
                table[k] = composition_features(value if isinstance(value, str) else str(value))
            except CompositionParseError as exc:
                row = frame.index[int(np.flatnonzero(codes == k)[0])]
                raise CompositionParseError(
                    exc.text, f"{exc.reason} (column 'qd', row {row})"
                ) from exc
        comp = table[codes] if n else np.empty((0, len(COMPOSITION_FEATURES)))
        bohr = comp[:, COMPOSITION_FEATURES.index("qd__exciton_bohr_radius_nm")]
        bohr_missing = comp[:, COMPOSITION_FEATURES.index("qd__exciton_bohr_radius_missing")] > 0

        if "el_color" in frame.columns:
            colour_codes, colour_uniques = pd.factorize(frame["el_color"], use_na_sentinel=True)
            lookup = np.array(
                [colour_wavelength_nm(c) for c in colour_uniques] + [np.nan], dtype=float
            )
            colour = lookup[colour_codes]  # code -1 -> the trailing NaN
        else:
            colour = np.full(n, np.nan)
        size = _numeric_column(frame, "size_nm")
        if np.any(size <= 0):
            raise QdmlError("column 'size_nm' must be positive")
        pristine = _numeric_column(frame, "pristine_peak_nm")
        qds = frame["qd"].astype(str).to_numpy()
        colour_bad, pristine_bad, _ = sample_conflicts(qds, colour, pristine)
        colour = np.where(colour_bad, np.nan, colour)
        pristine = np.where(pristine_bad, np.nan, pristine)
        confined = comp[:, COMPOSITION_FEATURES.index("qd__confined_peak_nm")]
        by_size = size_peak_nm(qds, size)
        by_size = np.where(np.isfinite(by_size), by_size, confined)

        colour_missing = np.isnan(colour)
        colour_filled = np.where(colour_missing, by_size, colour)
        size_missing = np.isnan(size)
        ratio_missing = size_missing | bohr_missing
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(ratio_missing, 0.0, size / (2.0 * np.where(bohr > 0, bohr, 1.0)))
        pristine_missing = np.isnan(pristine)
        sample = np.column_stack(
            [
                colour_filled, colour_missing,
                np.where(size_missing, float(self.size_fill_nm), size), size_missing,
                ratio, ratio_missing,
                by_size,
                np.where(pristine_missing, colour_filled, pristine), pristine_missing,
            ]
        ).astype(float) if n else np.empty((0, len(SAMPLE_FEATURES)))  # fmt: skip
        return np.hstack([comp, sample])
