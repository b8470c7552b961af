"""``PairFeaturizer``: one numeric row per ligand-QD pair, with the interactions the review argues matter.

Ligand features (:class:`~qdml.chemistry.ligand_features.LigandFeaturizer`) and QD features
(:class:`~qdml.chemistry.qd_features.QDFeaturizer`) side by side, plus:

- ``pair__hsab_match``: 1 - |softness(ligand binding species) - softness(surface site it binds)|,
  softness hard 0, borderline 0.5, soft 1 (Pearson HSAB; review section 3.3). X- and L-type
  ligands bind surface metal cations, Z-type ligands surface anions (halide or chalcogenide).
- ``pair__hardness_gap_ev``: |eta_ligand - eta_site| in eV (Parr-Pearson absolute hardness).
- ``pair__radius_ratio``: ligand radius over the radius of the lattice ion it replaces or sits
  beside (an A-site cation such as K+ against Cs+, a halide against the lattice halide).
- ``pair__bandgap_peak_nm``: the composition's band-gap emission wavelength (physics prior).
- ``pair__peak_prior_nm``: the best peak prior a chemist has before treating: the pristine peak,
  else the nominal colour's wavelength, else the band-gap prior (``qd__*_missing`` say which).
  No separate "prior came from the band gap" indicator: in the literature almost every peak row
  has a colour, so such a flag is learned from two rows and extrapolates wildly.
- paired mode: ``pair__control_<target>`` (the untreated sample's value) with missing indicators.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from qdml.exceptions import QdmlError
from qdml.targets import PAIRED_TARGETS

SOFTNESS = {"hard": 0.0, "borderline": 0.5, "soft": 1.0}
#: Common oxidation states of lattice ions at QD surfaces (Greenwood & Earnshaw, Chemistry of the
#: Elements, 2nd ed., 1997), used to name the surface site a ligand binds.
LATTICE_IONS = {
    "Cs": "Cs+", "Rb": "Rb+", "K": "K+", "Na": "Na+", "Pb": "Pb2+", "Sn": "Sn2+", "Zn": "Zn2+",
    "Cd": "Cd2+", "Mn": "Mn2+", "Cu": "Cu+", "Ag": "Ag+", "In": "In3+", "Ga": "Ga3+", "Al": "Al3+",
    "Hg": "Hg2+", "Ni": "Ni2+", "Mg": "Mg2+", "Ca": "Ca2+", "Sr": "Sr2+", "Ba": "Ba2+", "Bi": "Bi3+",
    "Yb": "Yb3+", "Ce": "Ce3+", "Eu": "Eu3+",
    "Cl": "Cl-", "Br": "Br-", "I": "I-", "F": "F-", "S": "S2-", "Se": "Se2-", "Te": "Te2-", "O": "O2-",
}
ANION_ELEMENTS = {"Cl", "Br", "I", "F", "S", "Se", "Te", "O", "P", "As", "N"}
PAIR_FEATURES = [
    "pair__hsab_match",
    "pair__hardness_gap_ev",
    "pair__hardness_gap_missing",
    "pair__radius_ratio",
    "pair__radius_ratio_missing",
    "pair__bandgap_peak_nm",
    "pair__peak_prior_nm",
]
#: Columns a chemist may know about the QD before treating it; "composition-only" drops them.
SAMPLE_INFO_PREFIXES = ("qd__el_color", "qd__size", "qd__pristine")


def _frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 2 and arr.shape[1] >= 2:
        return pd.DataFrame({"ligand": arr[:, 0], "qd": arr[:, 1]})
    raise QdmlError("PairFeaturizer needs a table with columns 'ligand' and 'qd'")


@lru_cache(maxsize=4096)
def _ion(name: str):
    from qdml.chemistry.ligands import parse_ligand

    try:
        return parse_ligand(name)
    except QdmlError:
        return None


def _layer_elements(formula: str) -> dict[str, float]:
    import re

    out: dict[str, float] = {}
    for el, num in re.findall(r"([A-Z][a-z]?)([0-9.]*)", formula):
        try:
            out[el] = out.get(el, 0.0) + (float(num) if num else 1.0)
        except ValueError:
            out[el] = out.get(el, 0.0) + 1.0
    return out


def _shares(site: dict) -> dict[str, float]:
    """Site occupancies with unknown shares (None, from an ``x`` in the notation) split equally."""
    known = {k: float(v) for k, v in site.items() if v is not None}
    unknown = [k for k, v in site.items() if v is None]
    rest = max(0.0, 1.0 - sum(known.values()))
    for k in unknown:
        known[k] = rest / len(unknown) if rest > 0 else 1.0 / len(site)
    total = sum(known.values())
    return {k: v / total for k, v in known.items()} if total > 0 else {}


@lru_cache(maxsize=4096)
def surface_sites(qd: str) -> tuple[tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]]:
    """Surface cation and anion sites (ion name, weight) of a QD: the outermost layer's ions.

    For a perovskite these are the B-site metals and X-site halides; for a core/shell QD the
    outermost shell's cations and anions (ligands bind the shell, not the core).
    """
    from qdml.chemistry.composition import parse_qd_composition

    comp = parse_qd_composition(qd)
    cations: dict[str, float] = {}
    anions: dict[str, float] = {}
    if comp.is_perovskite and comp.n_shells == 0:
        for el, w in _shares(dict(comp.b_site)).items():
            if el in LATTICE_IONS:
                cations[LATTICE_IONS[el]] = cations.get(LATTICE_IONS[el], 0.0) + w
        for el, w in _shares(dict(comp.x_site)).items():
            if el in LATTICE_IONS:
                anions[LATTICE_IONS[el]] = anions.get(LATTICE_IONS[el], 0.0) + w
    else:
        for el, n in _layer_elements(str(comp.layers[-1])).items():
            if el in LATTICE_IONS:
                side = anions if el in ANION_ELEMENTS else cations
                side[LATTICE_IONS[el]] = side.get(LATTICE_IONS[el], 0.0) + n

    def norm(d: dict[str, float]) -> tuple[tuple[str, float], ...]:
        total = sum(d.values())
        return tuple(sorted((k, v / total) for k, v in d.items())) if total > 0 else ()

    return norm(cations), norm(anions)


@lru_cache(maxsize=4096)
def a_site_radius_pm(qd: str) -> float | None:
    """Weighted radius of the perovskite A-site cations, for K+/Rb+/Cs+ substitution ratios."""
    from qdml.chemistry.composition import parse_qd_composition

    comp = parse_qd_composition(qd)
    total, wsum = 0.0, 0.0
    for species, w in _shares(dict(comp.a_site)).items():
        ion = _ion(LATTICE_IONS.get(species, f"{species}+"))
        r = getattr(ion, "radius_pm", None) if ion is not None else None
        if r and w:
            total += float(r) * float(w)
            wsum += float(w)
    return total / wsum if wsum else None


def _components(lig):
    comps = getattr(lig, "components", None) or [(lig, 1.0)]
    total = sum(w for _, w in comps) or 1.0
    return [(c, w / total) for c, w in comps]


@lru_cache(maxsize=65536)
def pair_interactions(ligand: str, qd: str) -> tuple[float, float, float, float, float]:
    """(hsab_match, hardness_gap, hardness_missing, radius_ratio, radius_missing) of one pair."""
    from qdml.chemistry.ligands import parse_ligand

    lig = parse_ligand(ligand)
    cations, anions = surface_sites(qd)
    a_radius = a_site_radius_pm(qd)
    match = gap = ratio = 0.0
    w_match = w_gap = w_ratio = 0.0
    for comp, w in _components(lig):
        binding = str(getattr(comp.binding_type, "value", comp.binding_type))
        charge = float(comp.charge or 0)
        sites = anions if (binding == "Z" or charge > 0) else cations
        soft_l = SOFTNESS.get(str(comp.hsab_class))
        eta_l = getattr(comp, "hardness_ev", None)
        r_l = getattr(comp, "radius_pm", None)
        for site_name, sw in sites:
            site = _ion(site_name)
            if site is None:
                continue
            soft_s = SOFTNESS.get(str(site.hsab_class))
            if soft_l is not None and soft_s is not None:
                match += w * sw * (1 - abs(soft_l - soft_s))
                w_match += w * sw
            eta_s = getattr(site, "hardness_ev", None)
            if eta_l and eta_s:
                gap += w * sw * abs(float(eta_l) - float(eta_s))
                w_gap += w * sw
        # size against the lattice ion the ligand replaces: anions vs lattice anions,
        # cations vs the A-site (perovskites) or the surface metal (other families).
        if r_l:
            if charge < 0:
                refs = [(_ion(n), sw) for n, sw in anions]
            elif a_radius:
                refs = [(None, 1.0)]
            else:
                refs = [(_ion(n), sw) for n, sw in cations]
            for ref, sw in refs:
                r_ref = a_radius if ref is None else getattr(ref, "radius_pm", None)
                if r_ref:
                    ratio += w * sw * float(r_l) / float(r_ref)
                    w_ratio += w * sw
    hsab = match / w_match if w_match else 0.5
    return (
        hsab,
        gap / w_gap if w_gap else 0.0,
        0.0 if w_gap else 1.0,
        ratio / w_ratio if w_ratio else 1.0,
        0.0 if w_ratio else 1.0,
    )


@lru_cache(maxsize=4096)
def bandgap_peak_nm(qd: str) -> float:
    from qdml.chemistry.composition import bandgap_prior_nm, parse_qd_composition

    value = bandgap_prior_nm(parse_qd_composition(qd))
    return float("nan") if value is None else float(value)


def composition_only(X: pd.DataFrame) -> pd.DataFrame:
    """Drop what a chemist knows about the sample beyond its composition (colour, size, pristine peak)."""
    keep = [c for c in X.columns if not c.startswith(SAMPLE_INFO_PREFIXES)]
    out = X[keep].copy()
    out["pair__peak_prior_nm"] = out["pair__bandgap_peak_nm"]
    out.attrs = dict(X.attrs)
    return out


class PairFeaturizer(TransformerMixin, BaseEstimator):
    """Ligand-QD pairs -> numeric features (ligand, QD, interactions; optionally the control's values).

    Parameters
    ----------
    paired : bool
        Add ``pair__control_<target>`` columns read from ``control_plqy``, ``control_eqe``,
        ``control_peak_nm`` (the untreated sample), for the model of what a treatment changes.
    """

    def __init__(self, paired: bool = False):
        self.paired = paired

    def fit(self, X, y=None):
        from qdml.features.ligand import LigandFeaturizer
        from qdml.features.qd import QDFeaturizer

        frame = _frame(X)
        for col in ("ligand", "qd"):
            if col not in frame.columns:
                raise QdmlError(f"PairFeaturizer needs a column {col!r}")
        self.ligand_featurizer_ = LigandFeaturizer().fit(frame[["ligand"]])
        qd_cols = [c for c in ("qd", "el_color", "size_nm", "pristine_peak_nm") if c in frame.columns]
        self.qd_featurizer_ = QDFeaturizer().fit(frame[qd_cols])
        names = list(self.ligand_featurizer_.get_feature_names_out()) + list(self.qd_featurizer_.get_feature_names_out())
        names += PAIR_FEATURES
        if self.paired:
            for t in PAIRED_TARGETS:
                names += [f"pair__control_{t}", f"pair__control_{t}_missing"]
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.n_features_in_ = frame.shape[1]
        # A composition with no tabulated band gap gets the training set's median prior, fixed
        # here so that a row's features never depend on which other rows share the call.
        gaps = np.array([bandgap_peak_nm(q) for q in frame["qd"].astype(str).unique()], dtype=float)
        self.bandgap_fill_nm_ = float(np.nanmedian(gaps)) if np.isfinite(gaps).any() else 550.0
        return self

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def transform(self, X):
        return self.transform_frame(X).to_numpy(dtype=float)

    def transform_frame(self, X) -> pd.DataFrame:
        """Features as a DataFrame (same rows and order as X); ``attrs['family']`` holds QD families."""
        check_is_fitted(self, "feature_names_out_")
        from qdml.chemistry.composition import parse_qd_composition

        frame = _frame(X)
        lig = self.ligand_featurizer_.transform(frame[["ligand"]])
        qd_cols = [c for c in ("qd", "el_color", "size_nm", "pristine_peak_nm") if c in frame.columns]
        qd_frame = frame[qd_cols].copy()
        for c in ("el_color", "size_nm", "pristine_peak_nm"):
            if c not in qd_frame.columns:
                qd_frame[c] = np.nan if c != "el_color" else ""
        qdf = self.qd_featurizer_.transform(qd_frame[[c for c in self.qd_featurizer_.feature_names_in_]])
        pairs = list(zip(frame["ligand"].astype(str), frame["qd"].astype(str)))
        uniq = {p: pair_interactions(*p) for p in dict.fromkeys(pairs)}
        inter = np.array([uniq[p] for p in pairs], dtype=float).reshape(len(pairs), 5)
        bandgap = np.array([bandgap_peak_nm(q) for q in frame["qd"].astype(str)], dtype=float)
        qd_names = list(self.qd_featurizer_.get_feature_names_out())
        qd_df = pd.DataFrame(qdf, columns=qd_names, index=frame.index)
        pristine = _numeric(frame, "pristine_peak_nm")
        colour_nm = _colour_nm(frame)
        prior = np.where(np.isfinite(pristine), pristine, np.where(np.isfinite(colour_nm), colour_nm, bandgap))
        bandgap_filled = np.where(np.isfinite(bandgap), bandgap, self.bandgap_fill_nm_)
        prior = np.where(np.isfinite(prior), prior, bandgap_filled)
        pair_df = pd.DataFrame(
            {
                "pair__hsab_match": inter[:, 0],
                "pair__hardness_gap_ev": inter[:, 1],
                "pair__hardness_gap_missing": inter[:, 2],
                "pair__radius_ratio": inter[:, 3],
                "pair__radius_ratio_missing": inter[:, 4],
                "pair__bandgap_peak_nm": bandgap_filled,
                "pair__peak_prior_nm": prior,
            },
            index=frame.index,
        )
        parts = [pd.DataFrame(lig, columns=self.ligand_featurizer_.get_feature_names_out(), index=frame.index), qd_df, pair_df]
        if self.paired:
            ctrl = {}
            for t in PAIRED_TARGETS:
                v = _numeric(frame, f"control_{t}")
                ctrl[f"pair__control_{t}"] = np.where(np.isfinite(v), v, 0.0)
                ctrl[f"pair__control_{t}_missing"] = (~np.isfinite(v)).astype(float)
            parts.append(pd.DataFrame(ctrl, index=frame.index))
        out = pd.concat(parts, axis=1)
        out.columns = list(self.feature_names_out_)
        out.attrs["family"] = np.array([parse_qd_composition(q).family for q in frame["qd"].astype(str)], dtype=object)
        return out


def _numeric(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)


def _colour_nm(frame: pd.DataFrame) -> np.ndarray:
    if "el_color" not in frame.columns:
        return np.full(len(frame), np.nan)
    from qdml.features.qd import colour_wavelength_nm

    return np.array([colour_wavelength_nm(c) for c in frame["el_color"]], dtype=float)


def paired_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Treated rows joined to their control (same ``pair_id``) as ``control_<target>`` columns."""
    if "pair_id" not in frame.columns:
        return frame.iloc[0:0]
    with_id = frame[frame["pair_id"].astype(str) != ""]
    controls = with_id[with_id["role"] == "control"].drop_duplicates("pair_id").set_index("pair_id")
    treated = with_id[with_id["role"] != "control"]
    treated = treated[treated["pair_id"].isin(controls.index)].copy()
    for t in PAIRED_TARGETS:
        treated[f"control_{t}"] = treated["pair_id"].map(controls[t]).astype(float)
    return treated
