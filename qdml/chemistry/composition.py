"""QD composition notation -> record: family, layers, site occupancies, halide fractions, band-gap prior.

The field writes compositions in many ways; this module reads the common ones:

- perovskites with molecular A cations: ``CsPbBr3``, ``FA0.8Cs0.2PbI3``, ``MAPbBr3``,
  ``CsPb0.64Zn0.36I3``, ``CsSnI3``;
- mixed halides with numbers (``CsPb(Br0.4Cl0.6)3``, ``CsPbBr1.5I1.5``, ``CsPbI2Br``) or with a
  variable (``CsPbBrxCl3-x``, ``CsPbI3-xBrx``, ``CsPb(IxBr1-x)3``, ``CsPb(Brx/Cl1-x)3``), and slash
  lists of unknown proportion (``(Cs/FA/pF-PEA)Pb(Cl/Br)3``);
- core/shell stacks: ``InP/ZnSe/ZnS``, ``CdSe@ZnS``, ``CdSeZnS-ZnS`` (ASCII or en dash);
- alloys written without subscripts: ``ZnSeTe``, ``Zn-Ag-In-Ga-S``;
- dopants: ``CsPbCl3:Yb``, ``Yb3+-doped CsPbCl3``, ``Mn-doped CsPbCl3``.

Unicode subscripts/superscripts, LaTeX-ish underscores and braces, and spaces are normalised
first (``CsPbBr₃``, ``CsPbBr _x Cl _{3-x}``).

Unknown proportions are never invented. When a notation does not fix a fraction (a variable
``x`` or a slash list), the species is listed with the fraction ``None`` and the composition says
so (``halide_fractions_known=False``, ``element_fractions_complete=False``). Fractions that the
notation does fix (``Pb`` in ``CsPbBrxCl3-x``) stay known.

Every input either returns a :class:`QDComposition` or raises
:class:`~qdml.exceptions.CompositionParseError`.

Band-gap prior (:func:`band_gap_prior`) and the emission window a QD of a composition can
plausibly reach (:func:`plausible_peak_range_nm`) are read from ``datasets/qd_reference.csv``,
where every value carries its source.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from qdml.chemistry.elements import SYMBOLS, oxidation_states
from qdml.data import read_bundled_csv
from qdml.exceptions import CompositionParseError, QdmlError

__all__ = [
    "FAMILIES",
    "MOLECULAR_CATIONS",
    "BandGapPrior",
    "QDComposition",
    "band_gap_prior",
    "bandgap_prior_ev",
    "bandgap_prior_nm",
    "parse_qd_composition",
    "plausible_peak_range_nm",
    "reference_table",
]

#: hc in eV nm: wavelength (nm) = HC_EV_NM / energy (eV).
HC_EV_NM = 1239.84193

FAMILIES = (
    "lead-halide perovskite",
    "tin-halide perovskite",
    "II-VI",
    "III-V",
    "I-III-VI",
    "IV-VI",
)

ELEMENTS = frozenset(SYMBOLS)

#: Molecular (organic) A-site cations and their atoms, as the cation (protonated) formula.
MOLECULAR_CATIONS: dict[str, dict[str, int]] = {
    "pF-PEA": {"C": 8, "H": 11, "F": 1, "N": 1},  # 4-fluorophenethylammonium
    "PEA": {"C": 8, "H": 12, "N": 1},  # phenethylammonium
    "DMA": {"C": 2, "H": 8, "N": 1},  # dimethylammonium
    "FA": {"C": 1, "H": 5, "N": 2},  # formamidinium HC(NH2)2+
    "MA": {"C": 1, "H": 6, "N": 1},  # methylammonium CH3NH3+
    "GA": {"C": 1, "H": 6, "N": 3},  # guanidinium
    "EA": {"C": 2, "H": 8, "N": 1},  # ethylammonium
    "BA": {"C": 4, "H": 12, "N": 1},  # n-butylammonium
    "OA": {"C": 8, "H": 20, "N": 1},  # n-octylammonium
}
_ALIAS_ORDER = sorted(MOLECULAR_CATIONS, key=len, reverse=True)
_PLACEHOLDER = {name: chr(0xE000 + i) for i, name in enumerate(_ALIAS_ORDER)}
_ALIAS_OF = {v: k for k, v in _PLACEHOLDER.items()}
# an alias is not followed by a lower-case letter (that would make an element symbol), except the
# variables x, y, z (FAxCs1-xPbI3)
_ALIAS_RE = re.compile("|".join(re.escape(a) + "(?![a-w])" for a in _ALIAS_ORDER))

HALIDES = ("Cl", "Br", "I")
_X_SITE = frozenset({"F", "Cl", "Br", "I"})
_A_SITE_INORGANIC = frozenset({"Cs", "Rb", "K", "Na", "Li"})
_B_MAIN = frozenset({"Pb", "Sn", "Ge"})
#: Elements that sit on the anion sublattice of QD cores and shells (InSb: Sb is the anion).
ANION_ELEMENTS = frozenset({"O", "S", "Se", "Te", "N", "P", "As", "Sb", "F", "Cl", "Br", "I"})
_ANIONS = ANION_ELEMENTS
_GROUP_I = frozenset({"Cu", "Ag", "Au"})
_GROUP_II = frozenset({"Zn", "Cd", "Hg", "Mg", "Mn", "Be"})
_GROUP_III = frozenset({"In", "Ga", "Al", "Tl"})
_GROUP_IV = frozenset({"Pb", "Sn", "Ge"})
_CHALCOGENS = frozenset({"O", "S", "Se", "Te"})
_PNICTOGENS = frozenset({"N", "P", "As", "Sb"})

_MAX_TEXT = 200


class FrozenDict(dict):
    """A read-only, hashable ``dict`` (compositions are cached and shared between callers)."""

    def _readonly(self, *args, **kwargs):
        raise TypeError("QDComposition mappings are read-only; copy with dict(...) first")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))

    def __reduce__(self):
        return (type(self), (dict(self),))

    def __repr__(self) -> str:
        return dict.__repr__(self)


@dataclass(frozen=True)
class QDComposition:
    """A parsed QD composition.

    Attributes
    ----------
    text : str
        The string as given.
    normalized : str
        Subscripts, spaces, dashes and braces normalised (``CsPbBr _x Cl _{3-x}`` -> ``CsPbBrxCl3-x``).
    family : str
        Family of the core (the emitter), one of :data:`FAMILIES`.
    layers : tuple of str
        Layer formulas, core first then shells outwards (``("InP", "ZnSe", "ZnS")``).
    n_shells : int
        ``len(layers) - 1``.
    a_site, b_site, x_site : mapping of species -> fraction or None
        Perovskite site occupancies (each known site sums to 1); molecular cations appear under
        their usual abbreviations (``FA``, ``MA``, ``PEA``, ``pF-PEA``). ``None`` marks a species
        whose share the notation leaves open (``x``, slash lists). Empty for non-perovskites.
    halide_fractions : mapping of halide -> fraction or None
        Share of each halide on the X site (``{"Br": 0.4, "Cl": 0.6}``); ``None`` when not fixed
        by the notation (``CsPbBrxCl3-x`` -> ``{"Br": None, "Cl": None}``). Empty for QDs without
        lattice halide.
    halide_fractions_known : bool
        False when any halide fraction is ``None``.
    element_fractions : mapping of element -> atomic fraction of the core
        Known parts only: elements whose amount the notation leaves open are absent, so the
        values then sum to less than 1. Molecular cations count with all their atoms.
    element_fractions_complete : bool
        True when the values cover the whole core (they then sum to 1).
    dopants : tuple of str
        Dopant elements given with ``:`` or ``-doped`` (``("Yb",)``).
    unknown_fraction_species : tuple of str
        Core species whose share is not fixed by the notation.
    alloy_unspecified : bool
        The core is an alloy written without subscripts (``ZnSeTe``, ``Zn-Ag-In-Ga-S``): its
        cation and anion sub-lattice shares are unknown.
    elements : tuple of str
        Every element of every layer and dopant, sorted; molecular cations by their atoms
        (``FAPbI3`` holds C, H, I, N, Pb, not the "F" and "A" of its abbreviation).
    """

    text: str
    normalized: str
    family: str
    layers: tuple[str, ...]
    n_shells: int
    a_site: FrozenDict = field(default_factory=FrozenDict)
    b_site: FrozenDict = field(default_factory=FrozenDict)
    x_site: FrozenDict = field(default_factory=FrozenDict)
    halide_fractions: FrozenDict = field(default_factory=FrozenDict)
    halide_fractions_known: bool = True
    element_fractions: FrozenDict = field(default_factory=FrozenDict)
    element_fractions_complete: bool = True
    dopants: tuple[str, ...] = ()
    unknown_fraction_species: tuple[str, ...] = ()
    alloy_unspecified: bool = False
    elements: tuple[str, ...] = ()

    @property
    def core(self) -> str:
        """Formula of the core (first layer)."""
        return self.layers[0]

    @property
    def shells(self) -> tuple[str, ...]:
        """Shell formulas, innermost first."""
        return self.layers[1:]

    @property
    def is_perovskite(self) -> bool:
        return self.family.endswith("perovskite")

    @property
    def fractions_known(self) -> bool:
        """True when the notation fixes every share in the core."""
        return not self.unknown_fraction_species and not self.alloy_unspecified

    def to_dict(self) -> dict:
        """Plain-``dict`` view (JSON-serialisable)."""
        out = asdict(self)
        for k, v in out.items():
            if isinstance(v, dict):
                out[k] = dict(v)
            elif isinstance(v, tuple):
                out[k] = list(v)
        return out


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")
_TRAILING_WORDS = re.compile(
    r"(?:quantumdots?|qds?|ncs?|nanocrystals?|dots?|perovskites?)$", re.IGNORECASE
)
#: Characters a dopant list before "-doped" may hold (``Yb3+``, ``Mn,Yb``, ``5%Mn``, ``Mn(II)``);
#: one character class, so matching is linear (a nested quantifier here once backtracked
#: exponentially: ``"Cs" * 13 + "PbBr3"`` took 8 s and ``"C" * 117`` never returned).
_DOPANT_LIST = re.compile(r"[A-Za-z0-9+,&%.()]+")
_DOPANT_TOKEN = re.compile(r"^(?:\d+(?:\.\d+)?%)?(?P<el>[A-Z][a-z]?)(?:\d*\+|\(\w+\))?$")


def _normalize(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).translate(_DASHES)
    for junk in ("\\mathrm", "\\text", "\\rm"):
        s = s.replace(junk, "")
    s = re.sub(r"[\s_{}$~\\]", "", s)
    s = s.replace("[", "(").replace("]", ")")
    s = _TRAILING_WORDS.sub("", s)
    return s


def _doped_prefix(s: str) -> tuple[str, str] | None:
    """``("Yb3+", "CsPbCl3")`` for ``Yb3+-doped-CsPbCl3`` (any case of "doped"), else None."""
    at = s.lower().find("doped")
    if at <= 0:
        return None
    head, rest = s[:at], s[at + len("doped"):]
    head = head[:-1] if head.endswith("-") else head
    rest = rest[1:] if rest.startswith("-") else rest
    if not head or not rest or not _DOPANT_LIST.fullmatch(head):
        return None
    return head, rest


def _split_dopants(s: str, text: str) -> tuple[str, tuple[str, ...]]:
    dopants: list[str] = []
    doped = _doped_prefix(s)
    if doped:
        for tok in re.split(r"[,&]", doped[0]):
            if tok:
                dopants.append(_dopant(tok, text))
        s = doped[1]
    if ":" in s:
        head, *tail = s.split(":")
        for part in tail:
            for tok in re.split(r"[,&]", part):
                if tok:
                    dopants.append(_dopant(tok, text))
        s = head
    return s, tuple(dict.fromkeys(dopants))


def _dopant(tok: str, text: str) -> str:
    m = _DOPANT_TOKEN.match(tok)
    if not m or m.group("el") not in ELEMENTS:
        raise CompositionParseError(text, f"cannot read dopant {tok!r}")
    return m.group("el")


def _split_layers(s: str, text: str) -> list[str]:
    """Split at '/', '@' (and '-' before a capital) outside parentheses."""
    pieces: list[list[str]] = [[]]  # layers, each a list of '-'-separated parts
    depth, start = 0, 0
    cur: list[str] = pieces[0]
    for i, ch in enumerate(s):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise CompositionParseError(text, "unbalanced parentheses")
        elif depth == 0 and ch in "/@":
            cur.append(s[start:i])
            cur = []
            pieces.append(cur)
            start = i + 1
        elif (
            depth == 0
            and ch == "-"
            and i + 1 < len(s)
            and (s[i + 1].isupper() or s[i + 1] in _ALIAS_OF)
        ):
            cur.append(s[start:i])
            start = i + 1
    if depth != 0:
        raise CompositionParseError(text, "unbalanced parentheses")
    cur.append(s[start:])
    layers: list[str] = []
    for parts in pieces:
        if any(not p for p in parts):
            raise CompositionParseError(text, "empty layer")
        if len(parts) > 1 and all(re.fullmatch(r"[A-Z][a-z]?", p) for p in parts):
            layers.append("".join(parts))  # Zn-Ag-In-Ga-S: an alloy, elements joined by dashes
        else:
            layers.extend(parts)
    return layers


def _restore_aliases(s: str) -> str:
    return "".join(_ALIAS_OF.get(ch, ch) for ch in s)


# --------------------------------------------------------------------------------------------
# Formula grammar: counts are linear in the notation's variables (x, y, z)
# --------------------------------------------------------------------------------------------
Lin = tuple  # ((var, coef), ...) with var "" for the constant, sorted


def _lin(const: float = 0.0, **terms: float) -> Lin:
    d = {"": const, **terms}
    return tuple(sorted((k, v) for k, v in d.items() if k == "" or abs(v) > 1e-12))


def _lin_add(a: Lin, b: Lin) -> Lin:
    d: dict[str, float] = {}
    for k, v in (*a, *b):
        d[k] = d.get(k, 0.0) + v
    return tuple(sorted((k, v) for k, v in d.items() if k == "" or abs(v) > 1e-12))


def _lin_scale(a: Lin, k: float) -> Lin:
    return tuple(sorted((var, v * k) for var, v in a if var == "" or abs(v * k) > 1e-12))


def _lin_const(a: Lin) -> float | None:
    """The value when no variable remains, else None."""
    if any(var for var, _ in a):
        return None
    return dict(a).get("", 0.0)


_COUNT_RE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|\.\d+)?(?:(?P<sign>[-+])?(?P<coef>\d+(?:\.\d+)?|\.\d+)?(?P<var>[xyzδ]))?"
)


@dataclass(frozen=True)
class _Item:
    species: tuple[str, ...]  # one species, or the members of a slash group
    count: Lin  # amount of the species (or the group's total)
    explicit: bool  # count written out (a number or a variable)

    @property
    def is_group(self) -> bool:
        return len(self.species) > 1


class _Parser:
    def __init__(self, s: str, text: str):
        self.s, self.text, self.i = s, text, 0

    def fail(self, reason: str):
        raise CompositionParseError(self.text, reason)

    def count(self) -> tuple[Lin, bool]:
        m = _COUNT_RE.match(self.s, self.i)
        if not m or m.end() == self.i:
            return _lin(1.0), False
        self.i = m.end()
        num = float(m.group("num")) if m.group("num") else None
        if not m.group("var"):
            return _lin(num), True
        var = "x" if m.group("var") == "δ" else m.group("var")
        coef = float(m.group("coef")) if m.group("coef") else 1.0
        if m.group("sign"):
            return _lin(num or 0.0, **{var: coef * (-1.0 if m.group("sign") == "-" else 1.0)}), True
        # "2x" means 2*x; "x" alone is x
        return _lin(0.0, **{var: (num if num is not None else 1.0) * coef}), True

    def sequence(self, stops: str) -> list[_Item]:
        items: list[_Item] = []
        s = self.s
        while self.i < len(s) and s[self.i] not in stops:
            ch = s[self.i]
            if ch == "(":
                self.i += 1
                inner = self.group()
                if self.i >= len(s) or s[self.i] != ")":
                    self.fail("unbalanced parentheses")
                self.i += 1
                _check_fraction_sum(inner, "in parentheses", self.text)
                mult, explicit = self.count()
                k = _lin_const(mult)
                if k is None:
                    self.fail("a variable multiplier outside parentheses is not supported")
                items.extend(
                    _Item(it.species, _lin_scale(it.count, k), it.explicit) for it in inner
                )
            elif ch in _ALIAS_OF:
                self.i += 1
                c, explicit = self.count()
                items.append(_Item((_ALIAS_OF[ch],), c, explicit))
            elif ch.isupper():
                two = s[self.i : self.i + 2]
                if len(two) == 2 and two[1].islower() and two in ELEMENTS:
                    sym = two
                elif ch in ELEMENTS:
                    sym = ch
                else:
                    self.fail(
                        f"unknown element symbol at {_restore_aliases(s[self.i : self.i + 2])!r}"
                    )
                self.i += len(sym)
                c, explicit = self.count()
                items.append(_Item((sym,), c, explicit))
            else:
                self.fail(f"unexpected character {_restore_aliases(ch)!r}")
        return items

    def group(self) -> list[_Item]:
        alternatives = [self.sequence("/)")]
        while self.i < len(self.s) and self.s[self.i] == "/":
            self.i += 1
            alternatives.append(self.sequence("/)"))
        if any(not alt for alt in alternatives):
            self.fail("empty entry in parentheses")
        if len(alternatives) == 1:
            return alternatives[0]
        if all(it.explicit for alt in alternatives for it in alt):
            # (Br0.4/Cl0.6) or (Brx/Cl1-x): the slash only separates amounts that are written out
            return [it for alt in alternatives for it in alt]
        members = tuple(
            dict.fromkeys(sp for alt in alternatives for it in alt for sp in it.species)
        )
        return [_Item(members, _lin(1.0), False)]


#: How far written shares may sum from 1 (two-decimal rounding of three shares: 0.33 x 3 = 0.99).
FRACTION_SUM_TOLERANCE = 0.02


def _check_fraction_sum(items: list[_Item], where: str, text: str, expected: float = 1.0) -> None:
    """Refuse shares that are all written out as fractions but do not sum to ``expected``.

    ``CsPb(Br0.4Cl0.7)3`` is a typo, not a composition: renormalising it would silently invent
    ``Br0.36Cl0.64``. Only items whose amounts are all numbers below 1 are fraction notation;
    variables (``x``) and counts (``Br1.5I1.5``) are left alone.
    """
    if len(items) < 2 or any(it.is_group or not it.explicit for it in items):
        return
    values = [_lin_const(it.count) for it in items]
    if any(v is None or not 0 <= v < 1 for v in values):
        return
    total = sum(values)
    if abs(total - expected) > FRACTION_SUM_TOLERANCE * expected:
        written = " + ".join(f"{sp}{v:g}" for it, v in zip(items, values) for sp in it.species)
        raise CompositionParseError(
            text,
            f"the fractions {where} sum to {round(total, 6):g}, not {expected:g} ({_restore_aliases(written)})",
        )


def _parse_formula(layer: str, text: str) -> list[_Item]:
    p = _Parser(layer, text)
    items = p.sequence(")")
    if p.i != len(layer):
        p.fail("unbalanced parentheses")
    if not items:
        p.fail("empty formula")
    for it in items:
        c = _lin_const(it.count)
        if c is not None and c < 0:
            p.fail("negative amount")
    return items


# --------------------------------------------------------------------------------------------
# Interpretation
# --------------------------------------------------------------------------------------------
def _natoms(species: str) -> int:
    return sum(MOLECULAR_CATIONS[species].values()) if species in MOLECULAR_CATIONS else 1


def _atoms(species: str) -> dict[str, int]:
    return dict(MOLECULAR_CATIONS[species]) if species in MOLECULAR_CATIONS else {species: 1}


def _species_in(items: Iterable[_Item]) -> list[str]:
    return list(dict.fromkeys(sp for it in items for sp in it.species))


def _site_fractions(items: list[_Item], text: str) -> tuple[dict[str, float | None], set[str]]:
    """Share of each species on one site, None where the notation leaves it open."""
    species = _species_in(items)
    amounts: dict[str, Lin] = {}
    unknown: set[str] = set()
    total = _lin(0.0)
    for it in items:
        total = _lin_add(total, it.count)
        if it.is_group:
            unknown.update(it.species)
        else:
            amounts[it.species[0]] = _lin_add(amounts.get(it.species[0], _lin(0.0)), it.count)
    for sp, amount in amounts.items():
        if _lin_const(amount) is None:
            unknown.add(sp)
    t = _lin_const(total)
    if len(species) == 1 and (t is None or t > 0):
        return {species[0]: 1.0}, set()  # a lone species fills its site, whatever its amount
    if t is not None and t <= 0:
        raise CompositionParseError(text, "a site with zero total amount")
    out: dict[str, float | None] = {}
    for sp in species:
        if sp in unknown or t is None:
            out[sp] = None
        else:
            out[sp] = round(_lin_const(amounts[sp]) / t, 12)
    if t is None:
        unknown.update(species)
    return out, unknown


def _element_fractions(blocks: list[list[_Item]], text: str) -> tuple[dict[str, float], bool]:
    """Atomic fractions of the core's known parts; blocks are sites (perovskites) or sub-lattices.

    Within a block whose share is open, the block's atoms still count in the denominator (with
    the mean atom number of its candidate species), so the known fractions are not inflated.
    """
    known: dict[str, float] = {}
    denominator = 0.0
    complete = True
    for items in blocks:
        if not items:
            continue
        _, unknown = _site_fractions(items, text)
        total = _lin_const(_sum_counts(items))
        open_total = _lin(0.0)
        open_species: list[str] = []
        for it in items:
            if it.is_group or it.species[0] in unknown:
                complete = False
                open_total = _lin_add(open_total, it.count)
                open_species.extend(it.species)
                continue
            n = _lin_const(it.count) or 0.0
            for el, k in _atoms(it.species[0]).items():
                known[el] = known.get(el, 0.0) + n * k
            denominator += n * _natoms(it.species[0])
        if open_species:
            ot = _lin_const(open_total)
            if ot is None:
                ot = total if total is not None else 1.0
            mean_atoms = sum(_natoms(sp) for sp in dict.fromkeys(open_species)) / len(
                dict.fromkeys(open_species)
            )
            denominator += ot * mean_atoms
    if denominator <= 0:
        return {}, False
    return {el: round(n / denominator, 12) for el, n in known.items() if n > 0}, complete


def _sum_counts(items: list[_Item]) -> Lin:
    total = _lin(0.0)
    for it in items:
        total = _lin_add(total, it.count)
    return total


def _check_perovskite_amounts(a_items, b_items, x_items, text: str) -> None:
    """Refuse a perovskite whose written amounts cannot be a compound: a site whose total still
    depends on x (``CsPbBr3x``), or numbers whose charges do not balance (``CsPbBr``, ``Cs13PbBr3``).

    Charges: A-site cations +1, halides -1, each B-site element any of its main positive oxidation
    states (``datasets/elements.csv``, from mendeleev); so CsPbBr3, CsSnI3, CsPb2Br5, Cs4PbBr6 and
    PEA2PbBr4 pass. Slash lists of unknown shares count as one unit of their site.
    """
    totals = {}
    for site, items in (("A", a_items), ("B", b_items), ("X", x_items)):
        total = _lin_const(_sum_counts(items))
        if total is None:
            raise CompositionParseError(
                text, f"the amounts on the {site} site do not add up to a fixed number (a share of x with "
                      "no complement, e.g. Br3x; write CsPbBrxCl3-x or CsPb(BrxCl1-x)3)")
        totals[site] = total
    sums = {0.0}
    for it in b_items:
        k = _lin_const(it.count)
        charges = set()
        for sp in it.species:
            charges |= {q for q in oxidation_states(sp) if q > 0} if sp in SYMBOLS else set()
        if k is None or not charges:
            return  # an element without tabulated charges: nothing to check against
        sums = {round(s + k * q, 6) for s in sums for q in charges}
    tolerance = FRACTION_SUM_TOLERANCE * max(1.0, totals["X"])
    if not any(abs(totals["A"] + s - totals["X"]) <= tolerance for s in sums):
        raise CompositionParseError(
            text, f"charges do not balance: {totals['A']:g} A-site (+1) and B-site cations cannot match "
                  f"{totals['X']:g} halides (-1) (e.g. CsPbBr3, Cs4PbBr6)")


def _perovskite_family(b_items: list[_Item], text: str) -> str | None:
    b_species = _species_in(b_items)
    fr, _ = _site_fractions(b_items, text)
    if "Pb" in b_species and "Sn" in b_species:
        pb, sn = fr.get("Pb"), fr.get("Sn")
        if pb is not None and sn is not None and sn > pb:
            return "tin-halide perovskite"
        return "lead-halide perovskite"
    if "Pb" in b_species:
        return "lead-halide perovskite"
    if "Sn" in b_species:
        return "tin-halide perovskite"
    return None


def _semiconductor_family(cations: set[str], anions: set[str], text: str) -> str:
    if not cations or not anions:
        raise CompositionParseError(text, "a core needs both a cation and an anion")
    if anions & _X_SITE:
        raise CompositionParseError(
            text, "a halide core that is not an ABX3 perovskite is not supported"
        )
    if anions <= _CHALCOGENS:
        if cations & _GROUP_I and cations & _GROUP_III:
            return "I-III-VI"
        if cations <= _GROUP_IV:
            return "IV-VI"
        if cations & _GROUP_II and cations <= (_GROUP_II | _GROUP_IV):
            return "II-VI"
    elif anions <= _PNICTOGENS and cations & _GROUP_III and cations <= (_GROUP_III | _GROUP_II):
        return "III-V"
    raise CompositionParseError(
        text,
        f"cations {sorted(cations)} with anions {sorted(anions)} fit none of {', '.join(FAMILIES)}",
    )


#: Generic perovskite notation for papers that do not state the composition: ``A`` is an
#: unspecified A-site cation (Cs, FA or MA), ``X`` an unspecified halide; shares stay unknown.
_GENERIC_SITES = (
    (re.compile(r"^A(?=(?:Pb|Sn))"), "(Cs/FA/MA)"),
    (re.compile(r"(?<=Pb|Sn)X3(?=$|:)"), "(Cl/Br/I)3"),
)


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> QDComposition:
    if len(text) > _MAX_TEXT:
        raise CompositionParseError(text[:60] + "...", f"longer than {_MAX_TEXT} characters")
    s = _normalize(text)
    if not s:
        raise CompositionParseError(text, "empty composition")
    for pattern, replacement in _GENERIC_SITES:
        s = pattern.sub(replacement, s)
    s = _ALIAS_RE.sub(lambda m: _PLACEHOLDER[m.group(0)], s)
    s, dopants = _split_dopants(s, text)
    layers = _split_layers(s, text)
    parsed = [_parse_formula(layer, text) for layer in layers]
    core = parsed[0]
    for shell in parsed[1:]:
        if any(sp in MOLECULAR_CATIONS for sp in _species_in(shell)):
            raise CompositionParseError(
                text, "molecular cations are only read in a perovskite core"
            )
    species = _species_in(core)
    if any(
        it.is_group and any(sp not in MOLECULAR_CATIONS and sp not in ELEMENTS for sp in it.species)
        for it in core
    ):
        raise CompositionParseError(text, "unknown species")

    a_items = [
        it
        for it in core
        if all(sp in MOLECULAR_CATIONS or sp in _A_SITE_INORGANIC for sp in it.species)
    ]
    x_items = [it for it in core if all(sp in _X_SITE for sp in it.species)]
    b_items = [it for it in core if it not in a_items and it not in x_items]
    is_perovskite = (
        bool(x_items) and bool(a_items) and any(sp in _B_MAIN for sp in _species_in(b_items))
    )

    kw: dict = {}
    alloy = False
    if is_perovskite:
        for it in b_items:
            if it.is_group and any(
                sp in _X_SITE or sp in _A_SITE_INORGANIC or sp in MOLECULAR_CATIONS
                for sp in it.species
            ):
                raise CompositionParseError(text, "a slash list mixes perovskite sites")
            if any(sp in _ANIONS for sp in it.species):
                raise CompositionParseError(
                    text, f"{it.species[0]} has no site in an ABX3 perovskite"
                )
        _check_fraction_sum(a_items, "on the A site", text)
        _check_fraction_sum(b_items, "on the B site", text)
        _check_perovskite_amounts(a_items, b_items, x_items, text)
        family = _perovskite_family(b_items, text)
        if family is None:  # germanium halides
            raise CompositionParseError(
                text, f"B-site {_species_in(b_items)} fits none of {', '.join(FAMILIES)}"
            )
        a_site, a_unknown = _site_fractions(a_items, text)
        b_site, b_unknown = _site_fractions(b_items, text)
        x_site, x_unknown = _site_fractions(x_items, text)
        halides = {h: x_site[h] for h in x_site}
        el, complete = _element_fractions([a_items, b_items, x_items], text)
        unknown = a_unknown | b_unknown | x_unknown
        kw = {
            "a_site": FrozenDict(a_site),
            "b_site": FrozenDict(b_site),
            "x_site": FrozenDict(x_site),
            "halide_fractions": FrozenDict(halides),
            "halide_fractions_known": all(v is not None for v in halides.values()),
        }
    else:
        if any(sp in MOLECULAR_CATIONS for sp in species):
            raise CompositionParseError(
                text, "molecular cations are only read in an ABX3 perovskite"
            )
        cations = {sp for sp in species if sp not in _ANIONS}
        anions = {sp for sp in species if sp in _ANIONS}
        family = _semiconductor_family(cations, anions, text)
        if not any(it.explicit for it in core) and (len(cations) > 1 or len(anions) > 1):
            # ZnSeTe, CdSeZnS, Zn-Ag-In-Ga-S: alloy without subscripts; cation and anion
            # sub-lattices are each one share, split in unknown proportion.
            alloy = True
            core = [
                _Item(tuple(sorted(group, key=species.index)), _lin(1.0), False)
                for group in (cations, anions)
            ]
            core = [
                it if len(it.species) > 1 else _Item(it.species, it.count, False) for it in core
            ]
        cat_items = [it for it in core if all(sp not in _ANIONS for sp in it.species)]
        an_items = [it for it in core if all(sp in _ANIONS for sp in it.species)]
        if len(cat_items) + len(an_items) != len(core):
            raise CompositionParseError(text, "a slash list mixes cations and anions")
        el, complete = _element_fractions([cat_items, an_items], text)
        _, u1 = _site_fractions(cat_items, text)
        _, u2 = _site_fractions(an_items, text)
        unknown = u1 | u2
    every = set(dopants)
    for items in parsed:
        for sp in _species_in(items):
            every |= set(_atoms(sp))
    # the core of a non-halide QD has no lattice halide
    return QDComposition(
        text=text,
        normalized=_restore_aliases(
            "/".join(layers) + (":" + ",".join(dopants) if dopants else "")
        ),
        family=family,
        layers=tuple(_restore_aliases(layer) for layer in layers),
        n_shells=len(layers) - 1,
        element_fractions=FrozenDict(sorted(el.items())),
        element_fractions_complete=complete,
        dopants=dopants,
        unknown_fraction_species=tuple(sp for sp in species if sp in unknown),
        alloy_unspecified=alloy,
        elements=tuple(sorted(every)),
        **kw,
    )


def parse_qd_composition(text: str) -> QDComposition:
    """Read a QD composition string.

    Parameters
    ----------
    text : str
        Composition as written in papers (``"CsPb(Br0.4Cl0.6)3"``, ``"InP/ZnSe/ZnS"``).

    Returns
    -------
    QDComposition
        Cached and immutable: the same object comes back for the same text.

    Raises
    ------
    CompositionParseError
        For anything the notation parser cannot read (never another exception).

    Examples
    --------
    >>> comp = parse_qd_composition("CsPb(Br0.4Cl0.6)3")
    >>> comp.family, comp.halide_fractions["Cl"]
    ('lead-halide perovskite', 0.6)
    >>> parse_qd_composition("CsPbBrxCl3-x").halide_fractions
    {'Br': None, 'Cl': None}
    >>> parse_qd_composition("InP/ZnSe/ZnS").n_shells
    2
    """
    if isinstance(text, QDComposition):
        return text
    if not isinstance(text, str):
        raise CompositionParseError(repr(text), "a composition must be a string")
    try:
        return _parse_cached(text)
    except QdmlError:
        raise
    except Exception as exc:  # a bug in the grammar must still surface as a parse error
        raise CompositionParseError(
            text, f"internal parser error ({type(exc).__name__}: {exc})"
        ) from exc


# --------------------------------------------------------------------------------------------
# Reference data and the band-gap prior
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def reference_table() -> dict[str, dict[str, float]]:
    """``{property: {species: value}}`` from ``datasets/qd_reference.csv`` (each row has a source)."""

    frame = read_bundled_csv("qd_reference.csv")
    out: dict[str, dict[str, float]] = {}
    for prop, species, value in zip(frame["property"], frame["species"], frame["value"]):
        out.setdefault(prop, {})[species] = float(value)
    return out


def reference_citations() -> list[str]:
    """Distinct sources of the reference table (for a featurizer's ``citations``)."""

    return sorted(set(read_bundled_csv("qd_reference.csv")["source"]))


@dataclass(frozen=True)
class BandGapPrior:
    """Bulk band-gap estimate of a QD core, before any quantum confinement.

    ``eg_ev`` is the estimate; when the notation leaves fractions open, it is the midpoint of
    ``[eg_min_ev, eg_max_ev]`` (the span of the end members present) and ``uncertain`` is True.
    ``basis`` names the end members used.
    """

    eg_ev: float | None
    eg_min_ev: float | None
    eg_max_ev: float | None
    uncertain: bool
    basis: tuple[str, ...] = ()

    @property
    def peak_nm(self) -> float | None:
        """Band-edge emission wavelength, ``1239.84 / eg_ev``."""
        return HC_EV_NM / self.eg_ev if self.eg_ev else None

    @property
    def range_nm(self) -> tuple[float | None, float | None]:
        """Band-edge wavelengths of the widest and narrowest gap in the range."""
        if not self.eg_min_ev or not self.eg_max_ev:
            return None, None
        return HC_EV_NM / self.eg_max_ev, HC_EV_NM / self.eg_min_ev


_NO_PRIOR = BandGapPrior(None, None, None, True, ())


def _bowing(table: dict, a: str, b: str) -> float:
    return table.get(f"{a}-{b}", table.get(f"{b}-{a}", 0.0))


def _perovskite_prior(comp: QDComposition) -> BandGapPrior:
    ref = reference_table()
    gaps, bow = ref.get("band_gap_ev", {}), ref.get("bowing_ev", {})
    metal = "Pb" if comp.family.startswith("lead") else "Sn"
    uncertain = any(sp in ("Pb", "Sn") and sp != metal for sp in comp.b_site)

    def options(site: dict, candidates: Iterable[str]) -> tuple[list[dict[str, float]], bool]:
        cands = [c for c in candidates if c in site]
        if not cands:
            return [], True
        if all(site[c] is not None for c in cands):
            total = sum(site[c] for c in cands)
            if total <= 0:
                return [], True
            share_ignored = sum(v for k, v in site.items() if k not in cands and v is not None)
            return [{c: site[c] / total for c in cands}], share_ignored > 0.1
        return [{c: 1.0} for c in cands], True

    a_opts, a_unc = options(comp.a_site, ("Cs", "FA", "MA"))
    if not a_opts:  # only Rb/K/large organics on the A site: take Cs as the proxy
        a_opts, a_unc = [{"Cs": 1.0}], True
    x_opts, x_unc = options(comp.x_site, HALIDES)
    if not x_opts:
        return _NO_PRIOR
    values, basis = [], set()
    for aw in a_opts:
        for xw in x_opts:
            num = den = 0.0
            for a, wa in aw.items():
                for x, wx in xw.items():
                    key = f"{a}{metal}{x}3"
                    if key in gaps:
                        num += wa * wx * gaps[key]
                        den += wa * wx
                        basis.add(key)
                    else:
                        uncertain = True
            if den <= 0:
                continue
            eg = num / den
            hal = list(xw)
            for i, h1 in enumerate(hal):
                for h2 in hal[i + 1 :]:
                    eg -= _bowing(bow, h1, h2) * xw[h1] * xw[h2]
            values.append(eg)
    if not values:
        return _NO_PRIOR
    lo, hi = min(values), max(values)
    unc = uncertain or a_unc or x_unc or len(values) > 1
    return BandGapPrior(
        (lo + hi) / 2 if len(values) > 1 else values[0], lo, hi, unc, tuple(sorted(basis))
    )


_BINARY_RE = re.compile(r"([A-Z][a-z]?)(\d*)")


def _formula_fractions(formula: str) -> dict[str, float]:
    counts = {el: float(n) if n else 1.0 for el, n in _BINARY_RE.findall(formula)}
    total = sum(counts.values())
    return {el: n / total for el, n in counts.items()}


def _semiconductor_prior(comp: QDComposition) -> BandGapPrior:
    ref = reference_table()
    gaps, bow = ref.get("band_gap_ev", {}), ref.get("bowing_ev", {})
    tables = {k: fr for k in gaps if not set(fr := _formula_fractions(k)) & _X_SITE}
    elements = set(comp.element_fractions) | set(comp.unknown_fraction_species)
    core_fr = dict(comp.element_fractions)
    # 1. the core is a tabulated compound
    if comp.element_fractions_complete:
        for name, fr in tables.items():
            if set(fr) == set(core_fr) and all(abs(fr[e] - core_fr[e]) < 1e-6 for e in fr):
                return BandGapPrior(gaps[name], gaps[name], gaps[name], False, (name,))
        # 2. known alloy of tabulated binaries: sub-lattice weighted mean, minus bowing
        cations = [e for e in core_fr if e not in _ANIONS]
        anions = [e for e in core_fr if e in _ANIONS]
        ct, at = sum(core_fr[c] for c in cations), sum(core_fr[a] for a in anions)
        pairs = {(c, a): f"{c}{a}" for c in cations for a in anions}
        if ct > 0 and at > 0 and all(name in gaps for name in pairs.values()):
            y = {c: core_fr[c] / ct for c in cations}
            z = {a: core_fr[a] / at for a in anions}
            eg = sum(y[c] * z[a] * gaps[name] for (c, a), name in pairs.items())
            for c in cations:
                for i, a1 in enumerate(anions):
                    for a2 in anions[i + 1 :]:
                        eg -= _bowing(bow, f"{c}{a1}", f"{c}{a2}") * y[c] * z[a1] * z[a2]
            for a in anions:
                for i, c1 in enumerate(cations):
                    for c2 in cations[i + 1 :]:
                        eg -= _bowing(bow, f"{c1}{a}", f"{c2}{a}") * z[a] * y[c1] * y[c2]
            return BandGapPrior(eg, eg, eg, False, tuple(sorted(pairs.values())))
    # 3. open or untabulated proportions: span of the tabulated end members present
    cands = [
        name
        for name, fr in tables.items()
        if set(fr) <= elements and _fits_family(name, comp.family)
    ]
    if not cands:
        return _NO_PRIOR
    values = [gaps[c] for c in cands]
    for i, c1 in enumerate(cands):  # bowed alloys can dip below both end members
        for c2 in cands[i + 1 :]:
            b = _bowing(bow, c1, c2)
            if b > 0:
                e1, e2 = gaps[c1], gaps[c2]
                xs = [k / 100 for k in range(101)]
                values.append(min((1 - x) * e1 + x * e2 - b * x * (1 - x) for x in xs))
    lo, hi = min(values), max(values)
    return BandGapPrior((lo + hi) / 2, lo, hi, True, tuple(sorted(cands)))


def _fits_family(name: str, family: str) -> bool:
    els = set(_formula_fractions(name))
    if family == "II-VI":
        return bool(els & _GROUP_II) and els <= (_GROUP_II | _CHALCOGENS)
    if family == "III-V":
        return bool(els & _GROUP_III) and els <= (_GROUP_III | _PNICTOGENS)
    if family == "IV-VI":
        return els <= (_GROUP_IV | _CHALCOGENS)
    if family == "I-III-VI":  # ZnS-alloyed I-III-VI QDs (Zn-Ag-In-Ga-S) span to the II-VI members
        return els <= (_GROUP_I | _GROUP_II | _GROUP_III | _CHALCOGENS)
    return False


@lru_cache(maxsize=8192)
def _prior_cached(comp: QDComposition) -> BandGapPrior:
    if comp.is_perovskite:
        return _perovskite_prior(comp)
    return _semiconductor_prior(comp)


def band_gap_prior(comp: QDComposition | str) -> BandGapPrior:
    """Bulk band gap of the core (eV) with its range and an ``uncertain`` flag.

    Perovskites: the tabulated ABX3 end members (CsPbCl3, CsPbBr3, CsPbI3, MA/FA analogues,
    CsSnI3...) mixed over the A-site and X-site shares, minus the tabulated halide bowing
    (Br-I 0.33 eV after Noh et al. 2013; Cl-Br taken as 0). Other families: the tabulated compound, or the sub-lattice
    weighted mean of its binaries minus the tabulated bowing (ZnSe-ZnTe). B-site dopants and
    ``:`` dopants are ignored. When the notation leaves shares open, the estimate is the midpoint
    of the end members present and ``uncertain`` is True.

    Examples
    --------
    >>> round(band_gap_prior("CsPb(Br0.5Cl0.5)3").eg_ev, 2)
    2.68
    >>> band_gap_prior("CsPbBrxCl3-x").uncertain
    True
    """
    return _prior_cached(parse_qd_composition(comp))


def bandgap_prior_ev(comp: QDComposition | str) -> float | None:
    """The band-gap estimate in eV (None when no end member is tabulated)."""
    return band_gap_prior(comp).eg_ev


def bandgap_prior_nm(comp: QDComposition | str) -> float | None:
    """The band-edge emission wavelength ``1239.84 / Eg`` in nm (None when unknown)."""
    return band_gap_prior(comp).peak_nm


#: How far emission of a QD may lie from its core's bulk band edge, in eV: (blue, red).
#: Blue: quantum confinement (weak for perovskite nanocubes, up to ~0.5 eV for thin
#: nanoplatelets; > 1 eV for small II-VI/III-V/IV-VI dots). Red: Stokes shift, band tails and
#: trap or donor-acceptor emission (large in I-III-VI QDs). Generous on purpose: the window
#: flags only peaks no QD of the composition can emit, it does not predict.
CONFINEMENT_WINDOW_EV = {
    "lead-halide perovskite": (0.8, 0.15),
    "tin-halide perovskite": (0.8, 0.2),
    "II-VI": (1.5, 0.3),
    "III-V": (1.5, 0.3),
    "I-III-VI": (1.2, 0.5),
    "IV-VI": (1.5, 0.15),
}


def plausible_peak_range_nm(comp: QDComposition | str) -> tuple[float | None, float | None]:
    """Wavelength window (nm) a QD of this composition can physically emit in.

    From the band-gap range: ``lo = hc / (Eg_max + blue)``, ``hi = hc / (Eg_min - red)`` with the
    family's allowances in :data:`CONFINEMENT_WINDOW_EV`; dopant emission (Mn2+ ~600 nm, Yb3+
    ~990 nm) widens the red end. ``(None, None)`` when no band gap is tabulated.

    Examples
    --------
    >>> lo, hi = plausible_peak_range_nm("FAPbI3")
    >>> lo > 405
    True
    >>> lo, hi = plausible_peak_range_nm("CsPbI3")
    >>> lo < 690 < hi
    True
    """
    comp = parse_qd_composition(comp)
    prior = band_gap_prior(comp)
    if prior.eg_min_ev is None or prior.eg_max_ev is None:
        return None, None
    blue, red = CONFINEMENT_WINDOW_EV[comp.family]
    lo = HC_EV_NM / (prior.eg_max_ev + blue)
    hi = HC_EV_NM / max(prior.eg_min_ev - red, 0.05)
    dopant_nm = reference_table().get("dopant_emission_nm", {})
    for d in comp.dopants:
        if d in dopant_nm:
            hi = max(hi, dopant_nm[d] + 50.0)
    return lo, hi
