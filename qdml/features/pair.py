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
  else the nominal colour's wavelength, else the untreated QDs' first absorption peak plus the
  family's Stokes shift (``abs_peak_nm``), else their confinement-aware peak at the given (or
  the family's typical) size (``qd__size_peak_nm``; never the bulk gap of a nanocrystal). "NIR" names a band, not a wavelength: where the composition's estimate lies in
  the near infrared (>= 700 nm), it replaces the nominal 780 nm. A colour or pristine peak the
  composition cannot emit is ignored (:func:`~qdml.features.qd.sample_conflicts`). The prior does
  not depend on the ligand (screening assembles it per composition); what a halide ligand does to
  a perovskite of another halide is applied after the model (:mod:`qdml.learn.predictor`).
  No separate "prior came from the composition" indicator: in the literature almost every peak
  row has a colour, so such a flag is learned from two rows and extrapolates wildly.
- paired mode: ``pair__control_<target>`` (the untreated sample's value) with missing indicators.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from qdml.chemistry.composition import ANION_ELEMENTS, bandgap_prior_nm, parse_qd_composition
from qdml.chemistry.confinement import peak_from_absorption_nm
from qdml.chemistry.ligands import parse_ligand
from qdml.exceptions import QdmlError
from qdml.features.ligand import LigandFeaturizer
from qdml.features.qd import QDFeaturizer, colour_wavelength_nm, sample_conflicts
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


#: The interaction features, in the order :meth:`InteractionTable.terms` returns them.
INTERACTION_FEATURES = (
    "pair__hsab_match",
    "pair__hardness_gap_ev",
    "pair__hardness_gap_missing",
    "pair__radius_ratio",
    "pair__radius_ratio_missing",
)
#: Pair features that depend on the composition (and the sample columns) only, not on the ligand.
COMPOSITION_PAIR_FEATURES = (
    "pair__bandgap_peak_nm",
    "pair__peak_prior_nm",
)


class InteractionTable:
    """The ligand-QD interaction terms for any pair of a ligand list and a composition list.

    Each term is a weighted average over the ligand's components ``c`` and the surface sites
    ``s`` they bind, ``sum w_c w_s f(c, s) / sum w_c w_s [f defined]``: bilinear in a ligand
    vector over surface ions and a composition vector of site weights. So the tables below are
    built once per unique ligand and composition, and the terms of any number of pairs are dot
    products, with no Python loop over pairs (``PairFeaturizer`` and screening both use this).

    - HSAB match ``1 - |softness(ligand species) - softness(site)|``: X- and L-type ligands bind
      surface metal cations, Z-type ligands and cations surface anions.
    - Hardness gap ``|eta_ligand - eta_site|`` (eV).
    - Radius ratio against the lattice ion the ligand replaces or sits beside: anions against the
      lattice anions; cations against the A-site radius (perovskites) or the surface metal.
    """

    def __init__(self, ligands, qds):

        ligands, qds = list(ligands), list(qds)
        sites = [surface_sites(q) for q in qds]
        # one fixed ion axis (every lattice ion), so a pair's sums never depend on the batch it is in
        ions = sorted(set(LATTICE_IONS.values()) | {name for cat, an in sites for name, _ in (*cat, *an)})
        pos = {n: i for i, n in enumerate(ions)}
        n_q, n_v, n_l = len(qds), len(ions), len(ligands)
        self.QC, self.QA, self.a_rad = np.zeros((n_q, n_v)), np.zeros((n_q, n_v)), np.zeros(n_q)
        for k, (cat, an) in enumerate(sites):
            for name, w in cat:
                self.QC[k, pos[name]] += w
            for name, w in an:
                self.QA[k, pos[name]] += w
            r = a_site_radius_pm(qds[k])
            self.a_rad[k] = float(r) if r else 0.0
        site_obj = [_ion(n) for n in ions]
        # per ligand, per side (0 = cation sites, 1 = anion sites), per ion: numerators and weights
        F = {n: np.zeros((n_l, 2, n_v)) for n in ("m_num", "m_den", "g_num", "g_den", "r_num", "r_den")}
        self.P_num, self.P_den = np.zeros(n_l), np.zeros(n_l)
        for li, text in enumerate(ligands):
            for comp, w in _components(parse_ligand(text)):
                binding = str(getattr(comp.binding_type, "value", comp.binding_type))
                charge = float(comp.charge or 0)
                side = 1 if (binding == "Z" or charge > 0) else 0
                soft_l = SOFTNESS.get(str(comp.hsab_class))
                eta_l = getattr(comp, "hardness_ev", None)
                r_l = getattr(comp, "radius_pm", None)
                for v, site in enumerate(site_obj):
                    if site is None:
                        continue
                    soft_s = SOFTNESS.get(str(site.hsab_class))
                    if soft_l is not None and soft_s is not None:
                        F["m_num"][li, side, v] += w * (1 - abs(soft_l - soft_s))
                        F["m_den"][li, side, v] += w
                    eta_s = getattr(site, "hardness_ev", None)
                    if eta_l and eta_s:
                        F["g_num"][li, side, v] += w * abs(float(eta_l) - float(eta_s))
                        F["g_den"][li, side, v] += w
                if r_l:
                    if charge < 0:
                        ref_side = 1
                    else:
                        ref_side = 0  # used only for compositions without an A-site radius
                        self.P_num[li] += w * float(r_l)
                        self.P_den[li] += w
                    for v, site in enumerate(site_obj):
                        r_ref = getattr(site, "radius_pm", None) if site is not None else None
                        if r_ref:
                            F["r_num"][li, ref_side, v] += w * float(r_l) / float(r_ref)
                            F["r_den"][li, ref_side, v] += w
        self.F = F

    def terms(self, li, qi) -> np.ndarray:
        """(n, 5) terms of the pairs (ligand ``li[k]``, composition ``qi[k]``), in INTERACTION_FEATURES order."""
        li, qi = np.asarray(li, dtype=np.int64), np.asarray(qi, dtype=np.int64)
        F, QC, QA = self.F, self.QC[qi], self.QA[qi]

        def dot(name, side):
            return np.einsum("nv,nv->n", F[name][li, side], QC if side == 0 else QA)

        m_num, m_den = dot("m_num", 0) + dot("m_num", 1), dot("m_den", 0) + dot("m_den", 1)
        g_num, g_den = dot("g_num", 0) + dot("g_num", 1), dot("g_den", 0) + dot("g_den", 1)
        a_rad = self.a_rad[qi]
        has_a = a_rad > 0
        cat_num = np.where(has_a, self.P_num[li] / np.where(has_a, a_rad, 1.0), dot("r_num", 0))
        cat_den = np.where(has_a, self.P_den[li], dot("r_den", 0))
        r_num, r_den = dot("r_num", 1) + cat_num, dot("r_den", 1) + cat_den
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.column_stack([
                np.where(m_den != 0, m_num / np.where(m_den != 0, m_den, 1.0), 0.5),
                np.where(g_den != 0, g_num / np.where(g_den != 0, g_den, 1.0), 0.0),
                (g_den == 0).astype(float),
                np.where(r_den != 0, r_num / np.where(r_den != 0, r_den, 1.0), 1.0),
                (r_den == 0).astype(float),
            ])


def pair_interactions(ligand: str, qd: str) -> tuple[float, float, float, float, float]:
    """(hsab_match, hardness_gap, hardness_missing, radius_ratio, radius_missing) of one pair."""
    return tuple(float(v) for v in InteractionTable([ligand], [qd]).terms([0], [0])[0])


@lru_cache(maxsize=4096)
def bandgap_peak_nm(qd: str) -> float:

    value = bandgap_prior_nm(parse_qd_composition(qd))
    return float("nan") if value is None else float(value)


def composition_only(X: pd.DataFrame) -> pd.DataFrame:
    """Drop what a chemist knows about the sample beyond its composition (colour, size, pristine peak).

    The peak prior becomes the composition's untreated peak at the family's typical size.
    """
    keep = [c for c in X.columns if not c.startswith(SAMPLE_INFO_PREFIXES)]
    out = X[keep].copy()
    out["pair__peak_prior_nm"] = out["qd__confined_peak_nm"]
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

        frame = _frame(X)
        for col in ("ligand", "qd"):
            if col not in frame.columns:
                raise QdmlError(f"PairFeaturizer needs a column {col!r}")
        self.ligand_featurizer_ = LigandFeaturizer().fit(frame[["ligand"]])
        # every sample column, present or not: a size or pristine peak given only at prediction
        # time must still reach the QD featurizer and the peak prior
        self.qd_featurizer_ = QDFeaturizer().fit(_qd_frame(frame))
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

    # -- blocks: a pair's row is (ligand block | composition block | interactions), so a screen of
    # n ligands x m compositions featurizes n ligands and m compositions, not n x m pairs

    def block_names(self) -> dict[str, list[str]]:
        """Feature names of each block: ``ligand``, ``composition`` and ``interaction`` (absolute mode)."""
        check_is_fitted(self, "feature_names_out_")
        return {
            "ligand": [str(n) for n in self.ligand_featurizer_.get_feature_names_out()],
            "composition": [str(n) for n in self.qd_featurizer_.get_feature_names_out()] + list(COMPOSITION_PAIR_FEATURES),
            "interaction": list(INTERACTION_FEATURES),
        }

    def ligand_block(self, ligands: list[str]) -> np.ndarray:
        """The ligand block of each ligand (rows in order of ``ligands``)."""
        return self.ligand_featurizer_.transform(pd.DataFrame({"ligand": list(ligands)}))

    def composition_block(self, qds: list[str], sample: dict | None = None) -> np.ndarray:
        """The composition block of each composition with the same ``sample`` columns (el_color,
        size_nm, pristine_peak_nm ...): exactly the columns :meth:`transform_frame` gives any pair."""
        frame = pd.DataFrame({"ligand": "Cl-", "qd": list(qds)})  # no composition column reads the ligand
        for k, v in (sample or {}).items():
            frame[k] = v
        return self.transform_frame(frame)[self.block_names()["composition"]].to_numpy(float)

    def transform_frame(self, X) -> pd.DataFrame:
        """Features as a DataFrame (same rows and order as X); ``attrs['family']`` holds QD families."""
        check_is_fitted(self, "feature_names_out_")

        frame = _frame(X)
        lig = self.ligand_featurizer_.transform(frame[["ligand"]])
        qd_frame = _qd_frame(frame)
        fitted = [str(c) for c in self.qd_featurizer_.feature_names_in_]
        if fitted != list(qd_frame.columns):
            raise QdmlError("this PairFeaturizer was fitted before sample columns were always passed on; retrain the model")
        qdf = self.qd_featurizer_.transform(qd_frame)
        lig_u, li = np.unique(frame["ligand"].astype(str).to_numpy(), return_inverse=True)
        qd_u, qi = np.unique(frame["qd"].astype(str).to_numpy(), return_inverse=True)
        inter = InteractionTable(lig_u, qd_u).terms(li, qi) if len(frame) else np.zeros((0, 5))
        qd_codes, qd_values = pd.factorize(frame["qd"].astype(str))  # each composition looked up once
        bandgap = _per_code(qd_codes, [bandgap_peak_nm(q) for q in qd_values], float)
        qd_names = list(self.qd_featurizer_.get_feature_names_out())
        qd_df = pd.DataFrame(qdf, columns=qd_names, index=frame.index)
        bandgap_filled = np.where(np.isfinite(bandgap), bandgap, self.bandgap_fill_nm_)
        estimate = np.where(np.isfinite(bandgap), qd_df["qd__size_peak_nm"].to_numpy(float), bandgap_filled)
        prior = peak_prior_nm(frame, estimate)
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
        out.attrs["family"] = _per_code(qd_codes, [parse_qd_composition(q).family for q in qd_values], object)
        return out


def _qd_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The QD featurizer's input: qd and every sample column (empty where the frame lacks it)."""
    out = pd.DataFrame({"qd": frame["qd"]}, index=frame.index)
    for c in ("el_color", "size_nm", "pristine_peak_nm"):
        out[c] = frame[c] if c in frame.columns else ("" if c == "el_color" else np.nan)
    return out


#: Colours that name a band rather than a wavelength, and where the band starts (nm).
BROAD_COLOURS = {"nir": 700.0}


def peak_prior_nm(frame: pd.DataFrame, estimate: np.ndarray) -> np.ndarray:
    """The peak prior of each row: pristine peak, else colour, else ``estimate`` (the composition's).

    A first excitonic absorption peak of the untreated QDs (``abs_peak_nm``) replaces the
    composition's estimate with that peak plus the family's Stokes shift. Colours and pristine
    peaks the composition cannot emit are ignored; "NIR" gives way to the composition's estimate
    where that lies in the near infrared.
    """
    absorption = _numeric(frame, "abs_peak_nm")
    if np.isfinite(absorption).any():
        qd_text = frame["qd"].astype(str).to_numpy()
        from_abs = np.array([peak_from_absorption_nm(q, a) if np.isfinite(a) else np.nan
                             for q, a in zip(qd_text, absorption)], dtype=float)
        estimate = np.where(np.isfinite(from_abs), from_abs, estimate)
    pristine = _numeric(frame, "pristine_peak_nm")
    colour_nm = _colour_nm(frame)
    qds = frame["qd"].astype(str).to_numpy()
    colour_bad, pristine_bad, _ = sample_conflicts(qds, colour_nm, pristine)
    colour_nm = np.where(colour_bad, np.nan, colour_nm)
    pristine = np.where(pristine_bad, np.nan, pristine)
    estimate = np.asarray(estimate, dtype=float)
    if "el_color" in frame.columns:
        keys = frame["el_color"].fillna("").astype(str).str.strip().str.lower().to_numpy()
        for name, start in BROAD_COLOURS.items():
            use = (keys == name) & np.isfinite(estimate) & (estimate >= start)
            colour_nm = np.where(use, estimate, colour_nm)
    return np.where(np.isfinite(pristine), pristine, np.where(np.isfinite(colour_nm), colour_nm, estimate))


def _numeric(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)


def _colour_nm(frame: pd.DataFrame) -> np.ndarray:
    if "el_color" not in frame.columns:
        return np.full(len(frame), np.nan)

    codes, colours = pd.factorize(frame["el_color"], use_na_sentinel=False)
    return _per_code(codes, [colour_wavelength_nm(c) for c in colours], float)


def _per_code(codes: np.ndarray, values: list, dtype) -> np.ndarray:
    """``values[code]`` for each row (``values`` computed once per distinct input)."""
    table = np.empty(len(values), dtype=dtype)
    table[:] = values
    return table[codes] if len(codes) else np.empty(0, dtype=dtype)


def treated_with_controls(frame: pd.DataFrame) -> pd.DataFrame:
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
