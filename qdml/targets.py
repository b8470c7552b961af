"""What a target is: unit, physical range, which direction is better, and how it is learned.

One :class:`Target` record per measured column of the dataset. Validation ranges, model
building, intervals, clipping, plots, CLI help and ranking all read this registry, so adding a
target is one entry here plus its data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qdml.exceptions import QdmlError

#: Planck constant times the speed of light, eV nm (CODATA 2018: h c = 1239.841 98... eV nm).
HC_EV_NM = 1239.84193


@dataclass(frozen=True)
class Target:
    """One measured quantity.

    ``learned_as``: ``"plain"`` (the value itself) or ``"energy-shift"`` (a photon-energy
    correction, in eV, to the physics prior held in the feature ``prior_feature``).
    ``paired_space``: how the paired model relates the treated value to the control's
    (``"linear"`` shift, ``"log"`` ratio, ``"energy"`` shift in eV); ``None`` = no paired model.
    """

    name: str
    label: str
    unit: str
    low: float
    high: float
    better: str  # "higher" or "lower"
    low_inclusive: bool = True
    learned_as: str = "plain"
    prior_feature: str | None = None
    paired_space: str | None = None
    decimals: int = 1
    trainable: bool = True
    description: str = ""

    @property
    def control_column(self) -> str | None:
        """Column of a pairs file holding the untreated control's value (paired mode)."""
        return f"control_{self.name}" if self.paired_space else None

    @property
    def lower_is_better(self) -> bool:
        return self.better == "lower"

    @property
    def header(self) -> str:
        """Column header for people: ``PLQY (%)``."""
        return f"{self.label} ({self.unit})"

    def format(self, value) -> str:
        """``value`` rounded to what the data supports (peaks to 1 nm, PLQY to 0.1 %); '' when missing."""
        try:
            v = float(value)
        except (TypeError, ValueError):
            return ""
        if not math.isfinite(v):
            return ""
        text = f"{v:.{self.decimals}f}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text

    def contains(self, value: float) -> bool:
        below = value < self.low if self.low_inclusive else value <= self.low
        return math.isfinite(value) and not below and value <= self.high


#: Feature holding the best peak prior a chemist has before treating (see features/pair.py).
PEAK_PRIOR_FEATURE = "pair__peak_prior_nm"

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("plqy", "PLQY", "%", 0.0, 100.0, "higher", paired_space="linear",
               description="photoluminescence quantum yield"),
        Target("eqe", "EQE", "%", 0.0, 100.0, "higher", paired_space="log",
               description="LED external quantum efficiency (maximum)"),
        Target("peak_nm", "peak", "nm", 250.0, 2500.0, "higher", learned_as="energy-shift",
               prior_feature=PEAK_PRIOR_FEATURE, paired_space="energy", decimals=0,
               description="emission peak wavelength (PL or EL)"),
        Target("fwhm_nm", "FWHM", "nm", 0.0, math.inf, "lower", low_inclusive=False, decimals=0,
               description="emission full width at half maximum"),
        Target("von_v", "Von", "V", 0.0, math.inf, "lower", low_inclusive=False, decimals=2,
               trainable=False, description="LED turn-on voltage"),
        Target("lmax_cd_m2", "Lmax", "cd/m2", 0.0, math.inf, "higher", low_inclusive=False, decimals=0,
               trainable=False, description="LED maximum luminance"),
        Target("lifetime_ns", "lifetime", "ns", 0.0, math.inf, "higher", low_inclusive=False, decimals=2,
               trainable=False, description="average PL lifetime"),
    )
}

#: Targets ``qdml train`` fits by default (the shipped bundle predicts these).
DEFAULT_TARGETS: tuple[str, ...] = ("plqy", "eqe", "peak_nm", "fwhm_nm")
#: Targets with a paired model (what a treatment changes from the control's value).
PAIRED_TARGETS: tuple[str, ...] = tuple(n for n, t in TARGETS.items() if t.paired_space)


#: Suffixes of output columns that carry a target's value (``plqy_pred``, ``peak_nm_lo`` ...).
VALUE_SUFFIXES = ("_pred", "_lo", "_hi")


def column_target(column: str) -> Target | None:
    """The target whose value an output column holds: ``plqy_pred``, ``measured_eqe``, ``peak_nm``.

    Used to round every table and CSV a user reads to the target's ``decimals``.
    """
    name = str(column)
    if name.startswith("measured_"):
        name = name[len("measured_"):]
    for suffix in VALUE_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in TARGETS:
            name = name[: -len(suffix)]
            break
    return TARGETS.get(name)


def get_target(name: str) -> Target:
    """The registry entry of ``name``; an unknown name is the user's error, said with the choices."""
    try:
        return TARGETS[name]
    except KeyError:

        raise QdmlError(f"unknown target {name!r}; targets are {', '.join(TARGETS)}") from None
