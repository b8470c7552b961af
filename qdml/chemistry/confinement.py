"""The untreated QDs' emission peak from composition and size: quantum confinement, not the bulk gap.

A nanocrystal absorbs and emits well above its core's bulk band gap. The estimate here is what a
chemist has before any measurement of the sample:

1. the first-exciton energy ``E1`` at diameter ``d``: a published sizing curve of the core
   (``datasets/sizing_curves.csv``: Yu et al. 2003 for CdSe/CdTe/CdS, Moreels et al. 2009/2007
   for PbS/PbSe, Almeida et al. 2023 for InP), else the effective-mass estimate with the
   tabulated Bohr radius and exciton binding energy (CsPbX3), else the confinement energy of the
   family's reference curve added to the composition's own bulk gap (alloys, FA/MA perovskites,
   ZnSeTe ...); families without a reference take their tabulated typical confinement;
2. where the size is unknown, the family's typical diameter (``qd_reference.csv``);
3. the emission sits a Stokes shift below ``E1`` (``stokes_shift_mev`` per family).

Every number comes from a data row with its source; the curves carry how they were verified.
Also here: what a halide treatment does to a lead-halide perovskite of another halide
(:func:`halide_exchange`): it exchanges lattice halide and moves the colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from qdml.chemistry.composition import (
    HALIDES,
    HC_EV_NM,
    FrozenDict,
    band_gap_prior,
    parse_qd_composition,
    reference_table,
)
from qdml.exceptions import QdmlError

__all__ = [
    "PeakEstimate",
    "first_exciton_ev",
    "exchange_with",
    "halide_exchange",
    "ligand_halide",
    "peak_from_absorption_nm",
    "sizing_curves",
    "untreated_peak",
    "untreated_peak_nm",
]


@dataclass(frozen=True)
class SizingCurve:
    """One row of ``datasets/sizing_curves.csv``: first-exciton energy against diameter."""

    material: str
    family: str
    form: str
    coefficients: tuple[float, ...]
    abs_min_nm: float | None
    abs_max_nm: float | None
    family_reference: bool
    source: str

    def energy_ev(self, d: float) -> float:
        """First-exciton energy (eV) of a QD of diameter ``d`` nm (sizes beyond the fit taper to bulk)."""
        c = self.coefficients
        if self.form == "energy_inverse_quadratic":
            return c[0] + 1.0 / (c[1] * d * d + c[2] * d + c[3])
        if self.form == "energy_power_edge":  # d read as the edge length of a tetrahedral QD, in angstrom
            return c[0] + c[1] * (10.0 * d) ** (-c[2])
        if self.form == "effective_mass_weak":
            ref = reference_table()
            eg = ref["band_gap_ev"][self.material]
            ry = ref["exciton_binding_energy_mev"][self.material] / 1000.0
            a_b = ref["exciton_bohr_radius_nm"][self.material]
            # the tabulated gap is the optical (excitonic) gap, so the binding energy is not subtracted again
            return eg + ry * (math.pi**2 / 4.0) * (a_b / (d / 2.0)) ** 2
        if self.form == "diameter_poly_of_abs":
            return self._poly_energy(d)
        raise ValueError(f"unknown sizing-curve form {self.form!r} in sizing_curves.csv")

    def _diameter(self, lam: float) -> float:
        return sum(ci * lam**i for i, ci in enumerate(self.coefficients))

    def _poly_energy(self, d: float) -> float:
        lo, hi = float(self.abs_min_nm), float(self.abs_max_nm)
        d_lo, d_hi = self._diameter(lo), self._diameter(hi)
        if d >= d_hi:  # beyond the fit: confinement energy falls as 1/d^2 (effective-mass scaling)
            eg = reference_table()["band_gap_ev"][self.material]
            return eg + (HC_EV_NM / hi - eg) * (d_hi / d) ** 2
        d = max(d, d_lo)  # smaller than the fit: the curve's smallest size (its bluest peak)
        for _ in range(60):  # the polynomial rises monotonically over [abs_min, abs_max]: bisect
            mid = 0.5 * (lo + hi)
            if self._diameter(mid) < d:
                lo = mid
            else:
                hi = mid
        return HC_EV_NM / (0.5 * (lo + hi))


def _num(text: str) -> float | None:
    text = str(text).strip()
    return float(text) if text else None


@lru_cache(maxsize=1)
def sizing_curves() -> dict[str, SizingCurve]:
    """The preferred sizing curve of each material (``preferred`` = 1 rows of sizing_curves.csv)."""
    from qdml.data import read_bundled_csv

    out = {}
    for row in read_bundled_csv("sizing_curves.csv").to_dict("records"):
        if str(row["preferred"]).strip() != "1":
            continue
        coeffs = tuple(_num(row[f"c{i}"]) or 0.0 for i in range(5))
        out[row["material"]] = SizingCurve(
            row["material"], row["family"], row["form"], coeffs, _num(row["abs_min_nm"]),
            _num(row["abs_max_nm"]), str(row["family_reference"]).strip() == "1", row["source"],
        )
    return out


def _family_reference(family: str) -> SizingCurve | None:
    return next((c for c in sizing_curves().values() if c.family == family and c.family_reference), None)


@dataclass(frozen=True)
class PeakEstimate:
    """Untreated-QD first exciton (absorption) and emission peak, with how they were obtained."""

    peak_nm: float
    abs_nm: float
    diameter_nm: float
    size_given: bool
    method: str


_NONE = PeakEstimate(math.nan, math.nan, math.nan, False, "no band gap tabulated for this composition")


def first_exciton_ev(qd: str, size_nm: float | None = None) -> tuple[float, float, str]:
    """(E1 in eV, diameter used, method) of the untreated QDs; E1 is NaN without a tabulated gap."""
    comp = parse_qd_composition(qd)
    prior = band_gap_prior(comp)
    if prior.eg_ev is None:
        return math.nan, math.nan, _NONE.method
    ref = reference_table()
    d = float(size_nm) if size_nm is not None and math.isfinite(size_nm) and size_nm > 0 else None
    if d is None:
        d = ref.get("typical_diameter_nm", {}).get(comp.family)
        if d is None:
            return prior.eg_ev, math.nan, "bulk band gap (no typical size tabulated for this family)"
    curves = sizing_curves()
    own = curves.get(prior.basis[0]) if len(prior.basis) == 1 and not prior.uncertain else None
    if own is not None:
        return own.energy_ev(d), d, f"{own.material} sizing curve ({own.source.split(' (')[0]})"
    reference = _family_reference(comp.family)
    if reference is not None:
        eg_ref = ref["band_gap_ev"][reference.material]
        confinement = reference.energy_ev(d) - eg_ref
        return (prior.eg_ev + confinement, d,
                f"bulk gap + confinement of {reference.material} at {d:g} nm ({reference.source.split(' (')[0]})")
    typical = ref.get("typical_confinement_ev", {}).get(comp.family, 0.0)
    scale = (ref.get("typical_diameter_nm", {}).get(comp.family, d) / d) ** 2
    return prior.eg_ev + typical * scale, d, "bulk gap + the family's typical confinement"


@lru_cache(maxsize=65536)
def untreated_peak(qd: str, size_nm: float | None = None) -> PeakEstimate:
    """Emission peak of the untreated QDs from composition and (optional) diameter in nm.

    >>> round(untreated_peak("CdSe", 4.0).abs_nm)  # Yu et al. 2003: 4 nm CdSe absorbs near 590 nm
    588
    >>> untreated_peak("CsPbBr3", 4.0).peak_nm < untreated_peak("CsPbBr3", 12.0).peak_nm
    True
    """
    e1, d, method = first_exciton_ev(qd, size_nm)
    if not math.isfinite(e1):
        return _NONE
    comp = parse_qd_composition(qd)
    stokes = reference_table().get("stokes_shift_mev", {}).get(comp.family, 0.0) / 1000.0
    given = size_nm is not None and math.isfinite(size_nm) and size_nm > 0
    return PeakEstimate(HC_EV_NM / max(e1 - stokes, 0.05), HC_EV_NM / e1, d, given, method)


def untreated_peak_nm(qd: str, size_nm: float | None = None) -> float:
    """:func:`untreated_peak`'s emission wavelength (NaN without a tabulated gap)."""
    return untreated_peak(qd, None if size_nm is None or not math.isfinite(size_nm) else float(size_nm)).peak_nm


def peak_from_absorption_nm(qd: str, abs_nm: float) -> float:
    """Emission peak expected from a measured first-exciton absorption peak (the family's Stokes shift)."""
    comp = parse_qd_composition(qd)
    stokes = reference_table().get("stokes_shift_mev", {}).get(comp.family, 0.0) / 1000.0
    return HC_EV_NM / max(HC_EV_NM / float(abs_nm) - stokes, 0.05)


# --------------------------------------------------------------------------------------------
# Halide treatments of lead-halide perovskites
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HalideExchange:
    """What a halide ligand does to a lead-halide perovskite holding another halide.

    ``delta_gap_ev``: bulk gap after full exchange minus the QD's (> 0 blue shift, < 0 red);
    ``shift_ev``: the assumed partial exchange (``halide_exchange_fraction`` x delta);
    ``full_peak_nm``: the untreated-peak estimate of the fully exchanged composition.
    """

    halide: str
    lattice: tuple[str, ...]
    delta_gap_ev: float
    shift_ev: float
    full_peak_nm: float
    note: str


@lru_cache(maxsize=65536)
def ligand_halide(ligand: str) -> str | None:
    """The halide a ligand brings (alone, in a salt such as KI or ZnBr2, or a hybrid such as OAmBr),
    the one with the largest weight; None without a halide ion."""
    from qdml.chemistry.ligands import parse_ligand

    lig = parse_ligand(ligand)
    parts = getattr(lig, "components", None) or ((lig, 1.0),)
    weights: dict[str, float] = {}
    for part, w in parts:
        formula = str(getattr(part, "formula", "") or "")
        if formula in HALIDES and float(part.charge or 0) < 0:
            weights[formula] = weights.get(formula, 0.0) + float(w)
    return max(weights, key=lambda h: (weights[h], h)) if weights else None


@lru_cache(maxsize=65536)
def exchange_with(qd: str, halide: str, size_nm: float | None = None) -> HalideExchange | None:
    """What ``halide`` does to a lead-halide perovskite ``qd`` (None: not one, or nothing to exchange)."""
    comp = parse_qd_composition(qd)
    if comp.family != "lead-halide perovskite" or not comp.x_site or halide not in HALIDES:
        return None
    lattice = tuple(sorted(comp.x_site))
    if lattice == (halide,):
        return None
    exchanged = replace(comp, x_site=FrozenDict({halide: 1.0}), halide_fractions=FrozenDict({halide: 1.0}),
                        halide_fractions_known=True)
    before, after = band_gap_prior(comp).eg_ev, _perovskite_gap(exchanged)
    if before is None or after is None or abs(after - before) < 1e-6:
        return None
    delta = after - before
    fraction = reference_table().get("halide_exchange_fraction", {}).get(comp.family, 0.0)
    full_formula = _exchanged_formula(comp, halide)
    full = untreated_peak_nm(full_formula, size_nm) if full_formula else HC_EV_NM / after
    direction = "blue" if delta > 0 else "red"
    note = (f"{halide}- exchanges the lattice halide ({'/'.join(lattice)}) of {qd} and changes the colour: "
            f"expect a {direction} shift (full exchange: about {full:.0f} nm)")
    return HalideExchange(halide, lattice, delta, fraction * delta, full, note)


def halide_exchange(ligand: str, qd: str, size_nm: float | None = None) -> HalideExchange | None:
    """The halide exchange a ligand causes on a lead-halide perovskite, or None (no exchange).

    Only halide ions (alone, in salts such as KI, ZnBr2, PbBr2, or in hybrids such as OAmBr)
    count; one already filling the whole X site (Br- on CsPbBr3) exchanges nothing.

    >>> halide_exchange("Cl-", "CsPbI3").delta_gap_ev > 0  # chloride blue-shifts an iodide
    True
    >>> halide_exchange("KI", "CsPbBr3").delta_gap_ev < 0  # iodide red-shifts a bromide
    True
    """
    halide = ligand_halide(ligand)
    return exchange_with(qd, halide, size_nm) if halide else None


def _perovskite_gap(comp) -> float | None:
    from qdml.chemistry.composition import _prior_cached

    return _prior_cached(comp).eg_ev


def _exchanged_formula(comp, halide: str) -> str | None:
    """``CsPbI3`` + Cl -> ``CsPbCl3`` (A and B sites kept) when the notation allows, else None."""
    import re

    text = comp.normalized
    match = re.match(r"^(.*?Pb[0-9.]*|.*?Sn[0-9.]*)(.+)$", text)
    if not match:
        return None
    candidate = f"{match.group(1)}{halide}3"
    try:
        parsed = parse_qd_composition(candidate)
    except QdmlError:  # a notation that does not round-trip: no formula
        return None
    return candidate if parsed.family == comp.family else None
