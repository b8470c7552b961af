"""What every feature means: readable name, meaning, unit, source, group, and the quantity it belongs to.

The names come from the featurizers themselves (:func:`feature_names`); this module only says what
they mean. ``docs/features.md`` is generated from it (:func:`markdown`, run
``python -m qdml.features.catalog > docs/features.md``) and a test fails when a featurizer gains
a column this catalog does not describe, or the page differs from the code.

A missing-data indicator (``ligand__radius_missing``) belongs to the quantity of the value it
flags (``ionic radius``): the report shuffles them together and shows one bar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qdml.chemistry.composition import FAMILIES, HALIDES
from qdml.chemistry.ligands import HSAB_CLASSES
from qdml.targets import PAIRED_TARGETS, TARGETS

GROUPS = ("ligand", "QD", "interaction", "control")
GROUP_TITLES = {"ligand": "Ligand", "QD": "QD", "interaction": "Interaction", "control": "Control"}

_SHANNON = "Shannon, Acta Cryst. A 1976, 32, 751; thermochemical radii: Jenkins & Thakur, J. Chem. Educ. 1979, 56, 576"
_PAULING = "Pauling scale, via mendeleev"
_TKS = "Tessman, Kahn & Shockley, Phys. Rev. 1953, 92, 890"
_PARR = "Parr & Pearson, J. Am. Chem. Soc. 1983, 105, 7512; Pearson, Inorg. Chem. 1988, 27, 734"
_HSAB = "Pearson, J. Am. Chem. Soc. 1963, 85, 3533 (datasets/ligands.csv, ions.csv)"
_CBC = "Green, J. Organomet. Chem. 1995, 500, 127; Anderson et al., J. Am. Chem. Soc. 2013, 135, 18536"
_REVIEW = "Zhang et al., Nanotechnology 2025, 36, 102001 (ligand classes)"
_KB = "qdml knowledge base (datasets/ligands.csv, ions.csv)"
_PARSER = "qdml composition parser (notation as written)"
_MENDELEEV = "mendeleev (element data); Pyykko & Atsumi, Chem. Eur. J. 2009, 15, 186 (covalent radii)"
_GOLDSCHMIDT = "Goldschmidt, Naturwissenschaften 1926, 14, 477; Shannon 1976; Kieslich, Sun & Cheetham, Chem. Sci. 2014, 5, 4712"
_OCTAHEDRAL = "Li et al., Acta Cryst. B 2008, 64, 702; Shannon 1976"
_GAP = "bulk band gaps of datasets/qd_reference.csv (Protesescu 2015, Madelung 2004, ...)"
_BOHR = "datasets/qd_reference.csv (Protesescu 2015, Efros & Rosen 2000, Wise 2000)"
_COLOUR = "qdml convention: representative wavelength of a colour name (Rec. 2020 primaries)"
_USER = "the user's data (column of the input file)"
_SIZING = ("datasets/sizing_curves.csv (Yu 2003, Moreels 2009/2007, Almeida 2023; effective mass for CsPbX3) and "
           "qd_reference.csv (typical sizes, Stokes shifts)")


@dataclass(frozen=True)
class FeatureInfo:
    """One feature column: what it is, for people."""

    name: str
    label: str
    meaning: str
    unit: str
    source: str
    group: str
    quantity: str
    indicator: bool = False

    @property
    def readable(self) -> str:
        """``Ligand: ionic radius``: the quantity under its group, as the report shows it."""
        return f"{GROUP_TITLES[self.group]}: {self.quantity}"


def _f(name, label, meaning, unit, source, group, quantity=None, indicator=False) -> FeatureInfo:
    return FeatureInfo(name, label, meaning, unit, source, group, quantity or label, indicator)


def _ligand() -> list[FeatureInfo]:
    g, p = "ligand", "ligand__"
    out = [
        _f(p + "charge", "formal charge", "formal charge of the ligand (salts 0; mixtures weight-averaged)", "e", _KB, g),
        _f(p + "abs_charge", "mean absolute ion charge", "composition-weighted mean absolute charge of its ions", "e", _KB, g),
        _f(p + "radius_pm", "ionic radius", "ionic radius (monatomic, CN VI) or thermochemical radius (polyatomic), weighted over ions", "pm", _SHANNON, g),
        _f(p + "radius_missing", "ionic radius missing", "weight of ions with no tabulated radius (value imputed with the knowledge-base median)", "share 0-1", _KB, g, "ionic radius", True),
        _f(p + "electronegativity", "binding-atom electronegativity", "electronegativity of the atom that binds the surface, weighted", "Pauling units", _PAULING, g),
        _f(p + "electronegativity_missing", "binding-atom electronegativity missing", "weight of ions with no binding-atom electronegativity (imputed)", "share 0-1", _KB, g, "binding-atom electronegativity", True),
        _f(p + "polarizability_a3", "ion polarizability", "electronic polarizability of the ions, weighted", "Å³", _TKS, g),
        _f(p + "polarizability_missing", "ion polarizability missing", "weight of ions with no tabulated polarizability (imputed)", "share 0-1", _KB, g, "ion polarizability", True),
        _f(p + "hardness_ev", "absolute hardness", "Parr-Pearson absolute hardness (I - A)/2, weighted", "eV", _PARR, g),
        _f(p + "hardness_missing", "absolute hardness missing", "weight of ions with no tabulated hardness (imputed)", "share 0-1", _KB, g, "absolute hardness", True),
    ]
    for h in HSAB_CLASSES:
        out.append(_f(f"{p}hsab_{h}", f"HSAB {h}", f"weight of ions in Pearson's {h} class", "share 0-1", _HSAB, g, "HSAB class"))
    out += [
        _f(p + "hsab_unknown", "HSAB unknown", "weight of ions with no HSAB class", "share 0-1", _HSAB, g, "HSAB class", True),
        _f(p + "hsab_inferred", "HSAB inferred", "weight of ions whose HSAB class is inferred from the donor atom, not tabulated", "share 0-1", _HSAB, g, "HSAB class", True),
    ]
    for b, what in (("X", "one-electron (anionic) donor"), ("L", "two-electron neutral donor"), ("Z", "two-electron acceptor (metal salt or cation)")):
        out.append(_f(f"{p}binding_{b}", f"{b}-type binding", f"1 when the ligand binds as an {b}-type ligand: {what}", "0/1", _CBC, g, "binding type (X/L/Z)"))
    from qdml.features.ligand import _CLASS_SLUGS

    for cls, slug in _CLASS_SLUGS.items():
        out.append(_f(f"{p}class_{slug}", f"class: {cls}", f"1 when the ligand belongs to the class '{cls}'", "0/1", _REVIEW, g, "ligand class"))
    out += [
        _f(p + "n_atoms", "atoms per formula unit", "number of atoms per formula unit of the ligand", "count", _KB, g),
        _f(p + "n_atoms_missing", "atoms per formula unit missing", "1 when the atom count is unknown (imputed)", "0/1", _KB, g, "atoms per formula unit", True),
        _f(p + "is_mixture", "salt or mixture", "1 for a salt or a mixture of several ions/molecules", "0/1", _KB, g, "mixture"),
        _f(p + "n_components", "number of components", "number of distinct ions or molecules", "count", _KB, g, "mixture"),
        _f(p + "organic_fraction", "organic share", "weight of organic components", "share 0-1", _KB, g),
        _f(p + "in_knowledge_base", "in knowledge base", "1 when every part comes from the curated tables (else parsed from SMILES or element data)", "0/1", _KB, g),
        _f(p + "untreated", "untreated", "1 for 'native' and the original organic capping (oleate, oleylamine ...): the sample was not treated", "0/1", _KB, g),
    ]
    return out


def _qd() -> list[FeatureInfo]:
    g, p = "QD", "qd__"
    out = [_f(f"{p}family={fam}", f"family: {fam}", f"1 when the core is a {fam}", "0/1", _PARSER, g, "QD family") for fam in FAMILIES]
    out += [_f(f"{p}halide_{h}", f"{h} share", f"share of {h} on the perovskite X site", "share 0-1", _PARSER, g, "halide shares") for h in HALIDES]
    out += [
        _f(p + "halide_fractions_unknown", "halide shares unknown", "1 when the notation leaves the halide shares open (then split equally)", "0/1", _PARSER, g, "halide shares", True),
        _f(p + "a_site_Cs", "A-site Cs share", "share of Cs on the perovskite A site", "share 0-1", _PARSER, g, "A-site cations"),
        _f(p + "a_site_FA", "A-site FA share", "share of formamidinium on the A site", "share 0-1", _PARSER, g, "A-site cations"),
        _f(p + "a_site_MA", "A-site MA share", "share of methylammonium on the A site", "share 0-1", _PARSER, g, "A-site cations"),
        _f(p + "a_site_other_organic", "A-site other organic share", "share of other organic A cations (PEA, pF-PEA, ...)", "share 0-1", _PARSER, g, "A-site cations"),
        _f(p + "a_site_other_inorganic", "A-site other inorganic share", "share of other inorganic A cations (Rb, K, ...)", "share 0-1", _PARSER, g, "A-site cations"),
        _f(p + "a_site_unknown", "A-site shares unknown", "1 when the A-site shares are open (then split equally)", "0/1", _PARSER, g, "A-site cations", True),
        _f(p + "b_site_Pb", "B-site Pb share", "share of Pb on the perovskite B site", "share 0-1", _PARSER, g, "B-site metals"),
        _f(p + "b_site_Sn", "B-site Sn share", "share of Sn on the B site", "share 0-1", _PARSER, g, "B-site metals"),
        _f(p + "b_site_other", "B-site other share", "share of alloyed or doped metals on the B site (e.g. Zn)", "share 0-1", _PARSER, g, "B-site metals"),
        _f(p + "n_shells", "shells", "number of shells around the core (InP/ZnSe/ZnS: 2)", "count", _PARSER, g),
        _f(p + "n_dopants", "dopants", "number of dopants written in the composition", "count", _PARSER, g),
        _f(p + "core_en_pauling", "core electronegativity", "atom-fraction weighted electronegativity of the core", "Pauling units", _MENDELEEV, g, "core element data"),
        _f(p + "core_atomic_mass", "core atomic mass", "atom-fraction weighted atomic mass of the core", "u", _MENDELEEV, g, "core element data"),
        _f(p + "core_atomic_number", "core atomic number", "atom-fraction weighted atomic number of the core", "", _MENDELEEV, g, "core element data"),
        _f(p + "core_covalent_radius_pm", "core covalent radius", "atom-fraction weighted covalent radius of the core", "pm", _MENDELEEV, g, "core element data"),
        _f(p + "core_fractions_imputed", "core shares imputed", "1 when open element shares were split equally", "0/1", _PARSER, g, "core element data", True),
        _f(p + "tolerance_factor", "tolerance factor", "Goldschmidt t = (rA + rX) / (sqrt2 (rB + rX)); 0 for non-perovskites", "", _GOLDSCHMIDT, g, "perovskite factors"),
        _f(p + "octahedral_factor", "octahedral factor", "mu = rB / rX; 0 for non-perovskites", "", _OCTAHEDRAL, g, "perovskite factors"),
        _f(p + "perovskite_factors_missing", "perovskite factors missing", "1 for non-perovskites or missing radii (factors then 0)", "0/1", _GOLDSCHMIDT, g, "perovskite factors", True),
        _f(p + "bandgap_ev", "band gap", "bulk band gap of the composition (Vegard-type mixing, bowing where tabulated)", "eV", _GAP, g),
        _f(p + "bandgap_peak_nm", "band-gap wavelength", "1239.84 / band gap: the emission wavelength the gap alone implies", "nm", _GAP, g, "band gap"),
        _f(p + "bandgap_range_ev", "band-gap range", "width of the band-gap range when shares are open", "eV", _GAP, g, "band gap"),
        _f(p + "bandgap_uncertain", "band gap uncertain", "1 when the band gap spans a range (open shares)", "0/1", _GAP, g, "band gap", True),
        _f(p + "bandgap_missing", "band gap missing", "1 when no band gap is tabulated (gap then 0, wavelength 550 nm)", "0/1", _GAP, g, "band gap", True),
        _f(p + "exciton_bohr_radius_nm", "exciton Bohr radius", "exciton Bohr radius of the core", "nm", _BOHR, g),
        _f(p + "exciton_bohr_radius_missing", "exciton Bohr radius missing", "1 when the core has no tabulated Bohr radius", "0/1", _BOHR, g, "exciton Bohr radius", True),
        _f(p + "confined_peak_nm", "untreated peak (typical size)", "emission peak of the untreated QDs at the family's typical size: sizing curve or effective-mass confinement plus Stokes shift (band-gap wavelength where no gap is tabulated)", "nm", _SIZING, g, "untreated peak"),
        _f(p + "composition_missing", "composition missing", "1 for rows with an empty qd (composition features then 0)", "0/1", _USER, g, "composition missing", True),
        _f(p + "el_color_nm", "nominal colour", "representative wavelength of the stated emission colour (else the untreated-peak estimate; colours the composition cannot emit are ignored)", "nm", _COLOUR, g),
        _f(p + "el_color_missing", "nominal colour missing", "1 when no colour is given (value imputed)", "0/1", _USER, g, "nominal colour", True),
        _f(p + "size_nm", "QD size", "QD size as given (else 10 nm)", "nm", _USER, g),
        _f(p + "size_missing", "QD size missing", "1 when no size is given (value imputed)", "0/1", _USER, g, "QD size", True),
        _f(p + "size_over_bohr_diameter", "size / Bohr diameter", "size over twice the exciton Bohr radius: below 1 = strong confinement", "", _BOHR, g, "confinement"),
        _f(p + "size_over_bohr_diameter_missing", "size / Bohr diameter missing", "1 when size or Bohr radius is unknown (then 0)", "0/1", _USER, g, "confinement", True),
        _f(p + "size_peak_nm", "untreated peak (given size)", "emission peak of the untreated QDs at the given size (else the typical-size estimate)", "nm", _SIZING, g, "untreated peak"),
        _f(p + "pristine_peak_nm", "pristine peak", "PL peak of the untreated QDs as given (else colour, else the untreated-peak estimate)", "nm", _USER, g),
        _f(p + "pristine_peak_missing", "pristine peak missing", "1 when no pristine peak is given (value imputed)", "0/1", _USER, g, "pristine peak", True),
    ]
    return out


def _pair() -> list[FeatureInfo]:
    g, p = "interaction", "pair__"
    out = [
        _f(p + "hsab_match", "HSAB match", "1 - |softness(ligand) - softness(surface site it binds)|, softness hard 0, borderline 0.5, soft 1", "0-1", _HSAB, g),
        _f(p + "hardness_gap_ev", "hardness gap", "|hardness of ligand - hardness of the surface site|", "eV", _PARR, g),
        _f(p + "hardness_gap_missing", "hardness gap missing", "1 when a hardness is unknown (gap then 0)", "0/1", _PARR, g, "hardness gap", True),
        _f(p + "radius_ratio", "radius ratio", "ligand radius over the lattice ion it replaces or sits beside (K+ vs Cs+, Cl- vs Br-)", "", _SHANNON, g),
        _f(p + "radius_ratio_missing", "radius ratio missing", "1 when a radius is unknown (ratio then 1)", "0/1", _SHANNON, g, "radius ratio", True),
        _f(p + "bandgap_peak_nm", "band-gap prior", "emission wavelength of the composition's band gap (physics prior of the peak)", "nm", _GAP, g),
        _f(p + "peak_prior_nm", "peak prior", "best peak a chemist has before treating: pristine peak, else colour, else first absorption plus Stokes shift, else the confinement-aware untreated peak", "nm", _GAP, g),
    ]
    for t in PAIRED_TARGETS:
        target = TARGETS[t]
        out.append(_f(f"{p}control_{t}", f"control {target.label}", f"{target.description} of the untreated control (paired models only)", target.unit, _USER, "control", f"control {target.label}"))
        out.append(_f(f"{p}control_{t}_missing", f"control {target.label} missing", "1 when the control's value is not given (then 0)", "0/1", _USER, "control", f"control {target.label}", True))
    return out


def catalog() -> dict[str, FeatureInfo]:
    """Every feature the featurizers can produce (absolute and paired), by column name."""
    return {f.name: f for f in _ligand() + _qd() + _pair()}


def feature_names(paired: bool = True) -> list[str]:
    """The featurizers' own column names (fitted on one real pair of the review's Table 2)."""
    import pandas as pd

    from qdml.features.pair import PairFeaturizer

    frame = pd.DataFrame({"ligand": ["SCN-"], "qd": ["CsPbBr3"]})
    return [str(n) for n in PairFeaturizer(paired=paired).fit(frame).get_feature_names_out()]


def describe(name: str) -> FeatureInfo:
    """The catalog entry of a column; an unknown column gets a plain entry named after itself."""
    info = catalog().get(name)
    if info is not None:
        return info
    group = {"ligand": "ligand", "qd": "QD", "pair": "interaction"}.get(name.split("__", 1)[0], "interaction")
    base = re.sub(r"_(missing|unknown|imputed)$", "", name.split("__", 1)[-1])
    return FeatureInfo(name, name, "", "", "", group, base, name.split("__", 1)[-1] != base)


def quantities(names: list[str]) -> dict[str, list[int]]:
    """Column indices of each readable quantity (``Ligand: ionic radius`` -> value and its indicator)."""
    out: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        out.setdefault(describe(name).readable, []).append(i)
    return out


def markdown() -> str:
    """The text of ``docs/features.md``: every feature with its meaning, unit and source."""
    names = feature_names(paired=True)
    infos = [describe(n) for n in names]
    lines = [
        "# Features",
        "",
        "Generated from the featurizers by `python -m qdml.features.catalog > docs/features.md`;",
        "a test fails when this page and the code disagree. "
        f"{sum(1 for n in names if not n.startswith('pair__control_'))} features describe a ligand-QD pair; "
        f"the paired models (what a treatment changes from its control) add {sum(1 for n in names if n.startswith('pair__control_'))} more.",
        "",
        "Missing values are never left empty: each imputed value has an indicator column (marked",
        "*indicator of*), and the HTML report's feature importance shuffles a value together with its",
        "indicators and one-hot siblings, and shows them as one quantity.",
        "",
    ]
    titles = {"ligand": "Ligand (`ligand__*`, LigandFeaturizer)", "QD": "Quantum dot (`qd__*`, QDFeaturizer)",
              "interaction": "Ligand-QD interaction (`pair__*`, PairFeaturizer)",
              "control": "Untreated control (`pair__control_*`, PairFeaturizer(paired=True))"}
    for group in GROUPS:
        rows = [f for f in infos if f.group == group]
        if not rows:
            continue
        lines += [f"## {titles[group]}", "", "| feature | name | meaning | unit | source |", "|---|---|---|---|---|"]
        for f in rows:
            meaning = f.meaning + (f" *(indicator of: {f.quantity})*" if f.indicator else "")
            cells = [f"`{f.name}`", f.label, meaning, f.unit or "–", f.source]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
