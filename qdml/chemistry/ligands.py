"""Ligand notation -> :class:`Ligand` record: knowledge base, ion notation, salts -> ions, SMILES.

``parse_ligand`` reads what people paste from papers (``SCN ⁻``, ``SO ₄ ²⁻``, ``SO42-``,
``In ³⁺``, ``Cs+–Rb+``, ``In(NO3)3``, ``[O-]C(=O)c1ccccc1``) and returns one frozen record with
the chemistry a model needs (charge, CBC binding type, HSAB class, hardness, radius). Facts
come from ``datasets/ligands.csv`` (hand-curated, one ``source`` per row), ``datasets/ions.csv``
(Pearson HSAB classes of other monatomic ions) and mendeleev (Shannon radii, Parr-Pearson
hardness of monatomic ions, read once by :mod:`qdml.chemistry.elements`).

Resolution order, first hit wins:

1. a name or alias of the knowledge base (``thiocyanate`` -> ``SCN-``);
2. ion notation: formula + charge in any common spelling, matched to the knowledge base by
   element counts and charge (``NCS-`` = ``SCN-``), else a monatomic ion built from element
   data (``Ag+``, ``Bi3+``; ``in_knowledge_base=False``);
3. a neutral salt of known ions (``KI``, ``In(NO3)3``, ``Na4Sn2S6``, ``PEABr``);
4. a SMILES string (rdkit); a SMILES equal to a knowledge-base entry returns that entry;
5. a mixture ``A/B``, ``A–B``, ``A + B`` or ``0.3 A / 0.7 B``.

Anything else raises :class:`~qdml.exceptions.UnknownLigandError` with close matches; no input
raises anything but a :class:`~qdml.exceptions.QdmlError`.

Conventions (modelling conventions, not measurements)
-----------------------------------------------------
- Binding type by the covalent bond classification (Green 1995; Anderson et al. 2013): anions
  bound to surface metal sites are X; amines, phosphines, thiols L; metal cations delivered
  with counter-ions and neutral metal salts MXn are Z.
- A neutral salt splits into its ions; ``components`` holds ``(ion, fraction)`` with the
  stoichiometric weights normalised to sum 1 (``In(NO3)3`` -> In3+ 0.25, NO3- 0.75). The salt
  keeps one binding type: an alkali (Li-Cs), NH4+ or organic-ammonium salt takes its anion's
  (``KI`` is X, bound through I); a salt of any other metal is Z (``ZnBr2``, ``In(NO3)3``).
- A mixture's ``components`` are its ions/molecules (salts inside it are split), equal weights
  unless given; its charge is the weight-averaged charge of its components; its binding type,
  HSAB class and binding atom are those of the part with the largest weight (the first on ties).
- A single species has ``components == ((itself, 1.0),)``.
"""

from __future__ import annotations

import difflib
import enum
import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from qdml.chemistry.elements import (
    absolute_hardness_ev,
    is_element,
    shannon_charges,
    shannon_radius_pm,
)
from qdml.data import read_bundled_csv
from qdml.exceptions import QdmlError, UnknownLigandError

LIGAND_CLASSES = (
    "metal chalcogenide complex",
    "metal-free chalcogenide",
    "oxoanion",
    "halide/metal halide",
    "metal cation",
    "pseudohalide",
    "organic-inorganic hybrid",
    "organic",
)
HSAB_CLASSES = ("hard", "borderline", "soft")
#: Ligands that mark an untreated sample: "native" and the organic capping of the original
#: synthesis (oleate, oleylamine, TOP/TOPO, thiols, fatty acids, dodecylamine). A modelling
#: convention: controls in the literature are written this way.
UNTREATED_LIGANDS = frozenset({"native", "OA-", "OAm", "TOP", "TOPO", "DDT", "OTAc-", "Myr-", "DDAm"})
#: Counter-ions that are electrostatic in the CBC convention: their salts take the anion's type.
ALKALI = frozenset({"Li", "Na", "K", "Rb", "Cs"})
_MAX_LEN = 300
_HALOGENS = frozenset({"F", "Cl", "Br", "I"})
_CHALCOGENS = frozenset({"O", "S", "Se", "Te"})


class BindingType(str, enum.Enum):
    """Covalent bond classification of a ligand on a QD surface (Green 1995)."""

    X = "X"  #: one-electron donor (anion bound to a surface metal)
    L = "L"  #: two-electron donor (neutral Lewis base)
    Z = "Z"  #: two-electron acceptor (Lewis acid: metal cation, MXn)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Ligand:
    """One ligand, ion, salt or mixture, with the chemistry qdml featurizes.

    ``components`` is a tuple of ``(Ligand, fraction)``; a single species holds itself with
    weight 1.0. ``elements`` maps element -> atoms per formula unit (weighted for mixtures).
    ``hardness_ev`` (Parr-Pearson, eV), ``radius_pm`` (Shannon ionic for monatomic ions,
    thermochemical for polyatomic ones; see ``radius_kind``) and ``polarizability_a3``
    (Tessman-Kahn-Shockley ion values) are None where no cited value exists; salts and mixtures
    carry them only through their components.
    """

    name: str
    charge: float
    binding_type: BindingType
    hsab_class: str
    ligand_class: str
    in_knowledge_base: bool
    formula: str = ""
    smiles: str = ""
    binding_atom: str = ""
    hardness_ev: float | None = None
    radius_pm: float | None = None
    radius_kind: str = ""
    polarizability_a3: float | None = None
    hsab_inferred: bool = False
    kind: str = "ion"  # "ion" | "molecule" | "salt" | "mixture"
    sources: tuple[str, ...] = ()
    notes: str = ""
    elements: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
    components: tuple[tuple[Ligand, float], ...] = field(
        default=(), compare=False, hash=False, repr=False
    )

    @property
    def is_mixture(self) -> bool:
        """True for salts and mixtures (more than one component)."""
        return len(self.components) > 1

    @property
    def n_atoms(self) -> float:
        """Atoms per formula unit (weighted for mixtures); 0 when unknown (``native``)."""
        return float(sum(self.elements.values()))

    @property
    def organic_fraction(self) -> float:
        """Weight fraction of components whose class is organic or organic-inorganic hybrid."""
        return float(
            sum(w for c, w in self.components if c.ligand_class in ("organic", "organic-inorganic hybrid"))
        )


# --------------------------------------------------------------------------- knowledge base


def _float_or_none(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


@functools.lru_cache(maxsize=1)
def _kb_rows() -> dict[str, dict[str, str]]:

    frame = read_bundled_csv("ligands.csv")
    return {row["name"]: dict(row) for row in frame.to_dict(orient="records")}


@functools.lru_cache(maxsize=1)
def _ion_rows() -> dict[tuple[str, int], dict[str, str]]:

    frame = read_bundled_csv("ions.csv")
    return {(r["element"], int(r["charge"])): dict(r) for r in frame.to_dict(orient="records")}


def is_untreated(text: str) -> bool:
    """True when ``text`` names the original capping of an untreated sample (see :data:`UNTREATED_LIGANDS`)."""
    try:
        return parse_ligand(text).name in UNTREATED_LIGANDS
    except QdmlError:
        return False


def knowledge_base() -> Any:
    """The ligand knowledge base as a DataFrame (a copy; every column is text)."""

    return read_bundled_csv("ligands.csv").copy()


def knowledge_base_ligands(include_organic: bool = True, include_placeholders: bool = True) -> list[str]:
    """Canonical names of every knowledge-base ligand, in file order (for ranking).

    ``include_organic=False`` keeps the inorganic candidates only (drops class ``organic``,
    which holds the native shell and control ligands such as oleate; organic-inorganic hybrids
    that carry an inorganic ion, such as DDAB or GAI, stay). ``include_placeholders=False``
    drops entries with no formula, which name a kind of ligand rather than one a chemist can
    buy (``MBrn``, ``ZnX2``, ``native``, ``alkyldiamine``).
    """
    return [
        name for name, row in _kb_rows().items()
        if (include_organic or row["ligand_class"] != "organic")
        and (include_placeholders or str(row.get("formula", "")).strip())
    ]


def _key(text: str) -> str:
    """Exact lookup key: whitespace removed."""
    return re.sub(r"\s+", "", text)


@functools.lru_cache(maxsize=1)
def _name_index() -> tuple[dict[str, str], dict[str, str]]:
    """(exact key -> name, casefolded key -> name) over names and aliases."""
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for name, row in _kb_rows().items():
        labels = [name] + [a for a in row["aliases"].split("|") if a.strip()]
        for label in labels:
            norm = _key(normalize(label))
            exact.setdefault(norm, name)
            exact.setdefault(norm.replace("^", ""), name)
            folded.setdefault(norm.casefold(), name)
    return exact, folded


@functools.lru_cache(maxsize=1)
def _formula_index() -> dict[tuple[frozenset, int], str]:
    """(element counts, charge) -> name, for rows with a formula."""
    out: dict[tuple[frozenset, int], str] = {}
    for name, row in _kb_rows().items():
        counts = parse_formula(row["formula"]) if row["formula"] else None
        if counts:
            out.setdefault((frozenset(counts.items()), int(float(row["charge"]))), name)
    return out


@functools.lru_cache(maxsize=1)
def _smiles_index() -> dict[str, str]:
    out = {}
    for name, row in _kb_rows().items():
        if row["smiles"]:
            can = _canonical_smiles(row["smiles"])
            if can:
                out.setdefault(can, name)
    return out


# --------------------------------------------------------------------------- text handling

_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾", "0123456789+-=()")
_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉₊₋", "0123456789+-")
# Spaces before a run are dropped; the match starts only where a whitespace run starts and takes
# it possessively, so a long run of spaces is scanned once (``\s*`` at every start was quadratic).
_SUPER_RUN = re.compile(r"(?<!\s)\s*+([⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾]+)")
_SUB_RUN = re.compile(r"(?<!\s)\s*+([₀₁₂₃₄₅₆₇₈₉₊₋]+)")
_MINUS = {"\u2212": "-", "\ufe63": "-", "\uff0d": "-", "\u2010": "-", "\u2011": "-", "\uff0b": "+"}


def normalize(text: str) -> str:
    """Canonical ASCII spelling of pasted ligand text.

    Superscripts become ``^`` + ASCII (``SO₄²⁻`` -> ``SO4^2-``), subscripts plain digits, the
    many Unicode minus signs ``-``; an en/em dash at the end of a name is a minus sign
    (``SCN–``), between two names a mixture separator (``Cs+–Rb+`` -> ``Cs+/Rb+``). LaTeX
    residue (``_``, ``{}``, ``$``, ``\\text``, ``\\mathrm``) is dropped -- a lone backslash is kept,
    since SMILES uses it for double-bond geometry; runs of spaces collapse.
    """
    s = _SUPER_RUN.sub(lambda m: "^" + m.group(1).translate(_SUPER), text)
    s = _SUB_RUN.sub(lambda m: m.group(1).translate(_SUB), s)
    s = unicodedata.normalize("NFKC", s)
    for bad, good in _MINUS.items():
        s = s.replace(bad, good)
    s = re.sub(r"\\(?:text|mathrm|mathit|rm|left|right)(?=[{\s(\[]|$)", "", s)
    s = re.sub(r"[_{}$]", "", s)
    # whitespace runs collapse first, so that no pattern below scans a run more than once
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"[–—](?= ?(?:$|[/,;)]))", "-", s)  # trailing dash = minus
    s = re.sub(r" ?[–—] ?", "/", s)  # dash between names = mixture
    s = s.replace(" ^", "^")
    s = re.sub(r"\^+", "^", s)
    return s.strip()


_TOKEN = re.compile(r"([A-Z][a-z]?|\(|\)|\[|\]|\d+)")


def parse_formula(text: str) -> Counter | None:
    """Element counts of a formula with nested groups (``Co(CN)6`` -> Co1 C6 N6); None if invalid."""

    text = text.strip()
    if not text or len(text) > 80:
        return None
    pos, tokens = 0, []
    for m in _TOKEN.finditer(text):
        if m.start() != pos:
            return None
        tokens.append(m.group(0))
        pos = m.end()
    if pos != len(text):
        return None
    stack: list[Counter] = [Counter()]
    last: Counter | None = None  # the unit a following count multiplies
    openers = []
    for tok in tokens:
        if tok in "([":
            stack.append(Counter())
            openers.append(tok)
            last = None
        elif tok in ")]":
            if not openers or {"(": ")", "[": "]"}[openers.pop()] != tok:
                return None
            group = stack.pop()
            if not group:
                return None
            stack[-1].update(group)
            last = group
        elif tok.isdigit():
            n = int(tok)
            if last is None or n == 0 or n > 1000:
                return None
            for el, c in last.items():
                stack[-1][el] += c * (n - 1)
            last = None
        else:
            if not is_element(tok):
                return None
            unit = Counter({tok: 1})
            stack[-1].update(unit)
            last = unit
    if openers or len(stack) != 1 or not stack[0]:
        return None
    return stack[0]


def _element_name(counts: Counter) -> str:
    return "".join(f"{el}{n if n != 1 else ''}" for el, n in counts.items())


def _ion_name(formula: str, charge: int) -> str:
    if charge == 0:
        return formula
    mag = abs(charge)
    sign = "+" if charge > 0 else "-"
    # knowledge-base style: "In3+", "SO4 2-" (space when the formula ends in a digit)
    if mag == 1:
        return f"{formula}{sign}"
    sep = " " if formula[-1:].isdigit() or formula.endswith(")") else ""
    return f"{formula}{sep}{mag}{sign}"


# --------------------------------------------------------------------------- building records


def _attach_self(lig: Ligand) -> Ligand:
    object.__setattr__(lig, "components", ((lig, 1.0),))
    return lig


def _monatomic_physics(symbol: str, charge: int) -> tuple[float | None, float | None, str]:

    radius = shannon_radius_pm(symbol, charge)
    return absolute_hardness_ev(symbol, charge), radius, ("shannon_ionic" if radius is not None else "")


@functools.cache
def _kb_ligand(name: str) -> Ligand:
    """The record of one knowledge-base row (salt rows are split into their ions)."""
    row = _kb_rows()[name]
    charge = int(float(row["charge"]))
    counts = parse_formula(row["formula"]) if row["formula"] else None
    elements = dict(counts) if counts else {}
    hardness = _float_or_none(row["hardness_ev"])
    radius = _float_or_none(row["radius_pm"])
    radius_kind = row["radius_kind"]
    if counts and len(counts) == 1 and sum(counts.values()) == 1 and charge != 0:
        symbol = next(iter(counts))
        eta, r, kind = _monatomic_physics(symbol, charge)
        hardness = hardness if hardness is not None else eta
        if radius is None:
            radius, radius_kind = r, kind
    base = Ligand(
        name=name,
        charge=float(charge),
        binding_type=BindingType(row["binding_type"]),
        hsab_class=row["hsab_class"],
        ligand_class=row["ligand_class"],
        in_knowledge_base=True,
        formula=row["formula"],
        smiles=row["smiles"],
        binding_atom=row["binding_atom"],
        hardness_ev=hardness,
        radius_pm=radius,
        radius_kind=radius_kind,
        polarizability_a3=_float_or_none(row["polarizability_a3"]),
        hsab_inferred=row["hsab_inferred"].strip().lower() == "true",
        kind="ion" if charge != 0 else "molecule",
        sources=tuple(s.strip() for s in row["source"].split(";") if s.strip()),
        notes=row["notes"],
        elements=elements,
    )
    if charge == 0 and row["ligand_class"] != "organic":
        split = _split_salt(_key(name))
        if split is not None:
            return replace(base, kind="salt", components=split[2])
    return _attach_self(base)


@functools.cache
def _generic_ion(symbol: str, charge: int) -> Ligand | None:
    """A monatomic ion outside the knowledge base, from element data and the HSAB table."""

    row = _ion_rows().get((symbol, charge))
    if charge < 0 and symbol not in _HALOGENS | _CHALCOGENS:
        return None
    if row is None and charge not in shannon_charges(symbol):
        return None
    eta, radius, kind = _monatomic_physics(symbol, charge)
    if charge > 0:
        cls, binding = "metal cation", BindingType.Z
    elif symbol in _HALOGENS:
        cls, binding = "halide/metal halide", BindingType.X
    else:
        cls, binding = "metal-free chalcogenide", BindingType.X
    sources = ["element data: mendeleev (Shannon 1976; Parr & Pearson 1983)"]
    if row:
        sources.append(row["source"])
    return _attach_self(
        Ligand(
            name=_ion_name(symbol, charge),
            charge=float(charge),
            binding_type=binding,
            hsab_class=row["hsab_class"] if row else "",
            ligand_class=cls,
            in_knowledge_base=False,
            formula=symbol,
            binding_atom=symbol,
            hardness_ev=eta,
            radius_pm=radius,
            radius_kind=kind,
            hsab_inferred=bool(row) and row["hsab_inferred"] == "true",
            kind="ion",
            sources=tuple(sources),
            notes="monatomic ion outside the ligand knowledge base",
            elements={symbol: 1},
        )
    )


# --------------------------------------------------------------------------- ion notation

_EXPLICIT = [
    re.compile(r"^(?P<f>.+?)\^\(?(?P<n>\d*)(?P<s>[+-])\)?$"),  # SO4^2-, SO4^(2-)
    re.compile(r"^(?P<f>.+?)\^\(?(?P<s>[+-])(?P<n>\d*)\)?$"),  # SO4^-2
    re.compile(r"^(?P<f>\S+?) (?P<n>\d*)(?P<s>[+-])$"),  # SO4 2-
    re.compile(r"^(?P<f>.+?)\((?P<n>\d*)(?P<s>[+-])\)$"),  # SO4(2-)
    re.compile(r"^(?P<f>.*[A-Za-z)\]])(?P<s>[+-])(?P<n>\d+)$"),  # SO4-2, Ca+2
]
_REPEATED = re.compile(r"^(?P<f>.+?[A-Za-z0-9)\]])(?P<s>\++|-+)$")  # Cl-, S--, Ca++
_TRAILING = re.compile(r"^(?P<f>.*?[A-Za-z)\]])(?P<d>\d*)(?P<s>[+-])$")


def _strip_brackets(formula: str) -> str:
    f = formula.strip()
    if f.startswith("[") and f.endswith("]") and f.count("[") == 1:
        return f[1:-1]
    return f


def _charge_candidates(s: str) -> list[tuple[str, int]]:
    """Readings of ``s`` as (formula, charge), most explicit first."""
    out: list[tuple[str, int]] = []
    for pat in _EXPLICIT:
        m = pat.match(s)
        if m:
            n = int(m.group("n")) if m.group("n") else 1
            out.append((_strip_brackets(m.group("f")), n if m.group("s") == "+" else -n))
            return out
    m = _TRAILING.match(s)
    if m:
        f, digits, sign = m.group("f"), m.group("d"), m.group("s")
        for k in range(len(digits), -1, -1):  # SO42- -> (SO42, 1-), (SO4, 2-), (SO, 42-)
            mag = int(digits[k:]) if digits[k:] else 1
            out.append((_strip_brackets(f + digits[:k]), mag if sign == "+" else -mag))
    m = _REPEATED.match(s)
    if m and len(m.group("s")) > 1:
        n = len(m.group("s"))
        out.insert(0, (_strip_brackets(m.group("f")), n if m.group("s")[0] == "+" else -n))
    return [(f, q) for f, q in out if f and 0 < abs(q) <= 8]


def _resolve_ion(s: str) -> Ligand | None:
    cands = _charge_candidates(s)
    parsed = [(f, q, parse_formula(f)) for f, q in cands]
    index = _formula_index()
    for _f, q, counts in parsed:
        if counts:
            name = index.get((frozenset(counts.items()), q))
            if name:
                return _kb_ligand(name)
    for _f, q, counts in parsed:
        if counts and len(counts) == 1 and sum(counts.values()) == 1:
            lig = _generic_ion(next(iter(counts)), q)
            if lig is not None:
                return lig
    return None


# --------------------------------------------------------------------------- salts


@functools.lru_cache(maxsize=1)
def _organic_cations() -> dict[str, str]:
    """Abbreviation -> KB name of organic cations usable as salt prefixes (``PEA`` in PEABr)."""
    out = {}
    for name, row in _kb_rows().items():
        if float(row["charge"]) > 0 and row["ligand_class"] == "organic":
            for label in [name] + row["aliases"].split("|"):
                label = label.strip().rstrip("+")
                if re.fullmatch(r"[A-Z][A-Za-z]+", label):
                    out[label] = name
    return out


def _kb_anion(counts: Counter) -> Ligand | None:
    """The knowledge-base anion with these element counts (any negative charge)."""
    index = _formula_index()
    key = frozenset(counts.items())
    for q in range(-1, -7, -1):
        name = index.get((key, q))
        if name:
            return _kb_ligand(name)
    return None


def _cation(symbol: str, charge: int) -> Ligand | None:
    name = _formula_index().get((frozenset({symbol: 1}.items()), charge))
    if name:
        return _kb_ligand(name)
    return _generic_ion(symbol, charge)


def _anion_parts(rest: str) -> list[tuple[Ligand, int]]:
    """Readings of the anion part of a salt: ``(NO3)3``, ``SO4``, ``Br2``, ``S``."""
    out = []
    m = re.fullmatch(r"\((.+)\)(\d*)", rest)
    if m:
        counts = parse_formula(m.group(1))
        anion = _kb_anion(counts) if counts else None
        if anion:
            out.append((anion, int(m.group(2) or 1)))
        return out
    counts = parse_formula(rest)
    if counts:
        anion = _kb_anion(counts)
        if anion:
            out.append((anion, 1))
    m = re.fullmatch(r"([A-Z][a-z]?)(\d+)", rest)
    if m:
        anion = _kb_anion(Counter({m.group(1): 1}))
        if anion:
            out.append((anion, int(m.group(2))))
    return out


def _split_salt(s: str) -> tuple[Ligand, Ligand, tuple[tuple[Ligand, float], ...], int, int] | None:
    """(cation, anion, components, n_cation, n_anion) of a neutral salt formula, else None."""
    if not s or len(s) > 60 or not s[0].isalpha() and s[0] != "(" or re.search(r"[^A-Za-z0-9()\[\]]", s):
        return None
    prefixes: list[tuple[str, int, str]] = []  # (kind, count, rest) with kind = symbol/NH4/KB name
    m = re.match(r"^\(NH4\)(\d+)(.+)$", s) or re.match(r"^(?:NH4)()(.+)$", s)
    if m:
        prefixes.append(("NH4+", int(m.group(1) or 1), m.group(2)))
    for abbr, name in _organic_cations().items():
        m = re.match(rf"^{abbr}(\d*)(.+)$", s)
        if m:
            prefixes.append((name, int(m.group(1) or 1), m.group(2)))
    m = re.match(r"^([A-Z][a-z]?)(\d*)(.+)$", s)
    if m:
        prefixes.append((m.group(1), int(m.group(2) or 1), m.group(3)))

    for cat_kind, n_cat, rest in prefixes:
        if not 1 <= n_cat <= 1000:  # K0Br: a count of zero is no salt (and 10**50 is no formula)
            continue
        for anion, n_an in _anion_parts(rest):
            if not 1 <= n_an <= 1000:
                continue
            total = -int(anion.charge) * n_an
            if total <= 0 or total % n_cat:
                continue
            q = total // n_cat
            if cat_kind in _kb_rows():
                cation = _kb_ligand(cat_kind)
                if int(cation.charge) != q:
                    continue
            elif is_element(cat_kind) and cat_kind not in _HALOGENS | _CHALCOGENS | {"H", "C", "N", "P", "B"}:
                cation = _cation(cat_kind, q)
                if cation is None:
                    continue
            else:
                continue
            whole = n_cat + n_an
            comps = ((cation, n_cat / whole), (anion, n_an / whole))
            return cation, anion, comps, n_cat, n_an
    return None


def _salt_ligand(s: str) -> Ligand | None:
    split = _split_salt(s)
    if split is None:
        return None
    cation, anion, comps, n_cat, n_an = split
    counts: Counter = Counter()
    for el, c in cation.elements.items():
        counts[el] += c * n_cat
    for el, c in anion.elements.items():
        counts[el] += c * n_an
    name = _formula_index().get((frozenset(counts.items()), 0))
    if name and name in _kb_rows():
        kb = _kb_ligand(name)
        if kb.kind == "salt":
            return kb
    electrostatic = cation.name == "NH4+" or cation.formula in ALKALI or cation.ligand_class == "organic"
    if electrostatic:
        lead, binding = anion, anion.binding_type
        cls = anion.ligand_class
    else:
        lead, binding = cation, BindingType.Z
        cls = {
            "halide/metal halide": "halide/metal halide",
            "pseudohalide": "pseudohalide",
            "metal-free chalcogenide": "metal chalcogenide complex",
            "metal chalcogenide complex": "metal chalcogenide complex",
        }.get(anion.ligand_class, "metal cation")
    return Ligand(
        name=s,
        charge=0.0,
        binding_type=binding,
        hsab_class=lead.hsab_class,
        ligand_class=cls,
        in_knowledge_base=cation.in_knowledge_base and anion.in_knowledge_base,
        formula=_element_name(counts),
        smiles=".".join(x for x in [cation.smiles] * n_cat + [anion.smiles] * n_an if x)
        if cation.smiles and anion.smiles
        else "",
        binding_atom=lead.binding_atom,
        hsab_inferred=lead.hsab_inferred,
        kind="salt",
        sources=tuple(dict.fromkeys(cation.sources + anion.sources)),
        notes="neutral salt split into its ions (CBC convention for its binding type)",
        elements=dict(counts),
        components=comps,
    )


# --------------------------------------------------------------------------- SMILES


def _rdkit():
    try:
        from rdkit import Chem, RDLogger
    except ImportError as exc:  # pragma: no cover - rdkit is a core dependency
        raise QdmlError("reading ligand SMILES needs rdkit: pip install rdkit") from exc
    RDLogger.DisableLog("rdApp.*")
    return Chem


def _canonical_smiles(smiles: str) -> str | None:
    Chem = _rdkit()
    try:
        mol = Chem.MolFromSmiles(smiles)
        return Chem.MolToSmiles(mol) if mol is not None else None
    except Exception:  # noqa: BLE001 - rdkit raises its own types; a failed parse is "not SMILES"
        return None


_DONOR_HSAB = {"O": "hard", "F": "hard", "Cl": "hard", "N": "hard", "Br": "borderline", "I": "soft",
               "S": "soft", "Se": "soft", "Te": "soft", "P": "soft", "As": "soft", "C": "soft"}


def _smiles_ligand(s: str) -> Ligand | None:
    if " " in s or re.fullmatch(r"[A-Z][a-z]?", s) or len(s) > 200:
        return None
    Chem = _rdkit()
    try:
        mol = Chem.MolFromSmiles(s)
        if mol is None or mol.GetNumAtoms() == 0:
            return None
        canonical = Chem.MolToSmiles(mol)
        known = _smiles_index().get(canonical)
        if known:
            return _kb_ligand(known)
        from rdkit.Chem import rdMolDescriptors

        charge = Chem.GetFormalCharge(mol)
        counts: Counter = Counter()
        for atom in mol.GetAtoms():
            counts[atom.GetSymbol()] += 1
            counts["H"] += atom.GetTotalNumHs()
        if counts["H"] == 0:
            del counts["H"]
        formula = rdMolDescriptors.CalcMolFormula(mol)
        atoms = list(mol.GetAtoms())
    except Exception:  # noqa: BLE001 - any rdkit failure means "not a usable SMILES"
        return None

    if any(not is_element(el) for el in counts):
        return None
    metals = [a.GetSymbol() for a in atoms if a.GetSymbol() not in
              {"H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "As", "Se", "Br", "Te", "I"}]
    anion_atoms = [a.GetSymbol() for a in atoms if a.GetFormalCharge() < 0]
    cation_atoms = [a.GetSymbol() for a in atoms if a.GetFormalCharge() > 0]
    if charge < 0 and anion_atoms:
        binding, atom = BindingType.X, anion_atoms[0]
    elif charge > 0 and cation_atoms:
        binding, atom = BindingType.Z, cation_atoms[0]
    else:
        donors = [a.GetSymbol() for a in atoms if a.GetSymbol() in ("N", "P", "S", "Se", "O")]
        order = {"N": 0, "P": 1, "S": 2, "Se": 3, "O": 4}
        atom = min(donors, key=order.get) if donors else ""
        binding = BindingType.L if atom else (BindingType.Z if charge > 0 else BindingType.X)
    hsab = _DONOR_HSAB.get(atom, "")
    if atom == "N" and any(a.GetIsAromatic() and a.GetSymbol() == "N" for a in atoms):
        hsab = "borderline"  # pyridine-like N (Pearson: C5H5N borderline)
    has_c = "C" in counts
    if has_c:
        cls = "organic-inorganic hybrid" if metals or "." in canonical and (set(counts) & _HALOGENS) else "organic"
    elif metals and set(counts) & {"S", "Se", "Te"}:
        cls = "metal chalcogenide complex"
    elif set(counts) & {"S", "Se", "Te"}:
        cls = "metal-free chalcogenide"
    elif charge < 0 and atom == "O":
        cls = "oxoanion"
    elif set(counts) & _HALOGENS:
        cls = "halide/metal halide"
    elif charge > 0 and metals:
        cls = "metal cation"
    else:
        cls = "pseudohalide" if charge < 0 else "organic"
    lig = Ligand(
        name=canonical,
        charge=float(charge),
        binding_type=binding,
        hsab_class=hsab,
        ligand_class=cls,
        in_knowledge_base=False,
        formula=formula,
        smiles=canonical,
        binding_atom=atom,
        hsab_inferred=True,
        kind="ion" if charge else "molecule",
        sources=("structure: user SMILES parsed by rdkit; HSAB inferred from the donor atom",),
        notes="outside the knowledge base: charge, elements and donor atom from the SMILES only",
        elements=dict(counts),
    )
    return _attach_self(lig)


# --------------------------------------------------------------------------- mixtures

_SEPARATORS = re.compile(r"\s*(?:/|;|,|&|\s\+\s|\band\b|\bwith\b)\s*|(?<=[+-])-(?=[A-Z(\[])")
_WEIGHT = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:[x×*]\s*)?(?=[A-Z(\[])(.+)$")


def _leaves(lig: Ligand) -> list[tuple[Ligand, float]]:
    return list(lig.components) if lig.components else [(lig, 1.0)]


def _mixture(s: str) -> tuple[Ligand | None, str | None]:
    """(mixture, None) or (None, the first part that failed)."""
    parts = [p for p in _SEPARATORS.split(s) if p and p.strip()]
    if len(parts) < 2:
        return None, None
    resolved: list[tuple[Ligand, float]] = []
    for part in parts:
        part = part.strip()
        weight = 1.0
        m = _WEIGHT.match(part)
        lig = _resolve_single(part)
        if lig is None and m:
            weight, lig = float(m.group(1)), _resolve_single(m.group(2).strip())
        if lig is None:
            return None, part
        if weight <= 0:
            return None, part
        resolved.append((lig, weight))
    total = sum(w for _, w in resolved)
    merged: dict[str, list] = {}
    for lig, w in resolved:
        for leaf, lw in _leaves(lig):
            slot = merged.setdefault(leaf.name, [leaf, 0.0])
            slot[1] += w / total * lw
    comps = tuple((leaf, float(w)) for leaf, w in merged.values())
    lead = max(resolved, key=lambda t: t[1])[0]  # max() keeps the first on ties
    classes = {lig.ligand_class for lig, _ in resolved}
    organic = {"organic", "organic-inorganic hybrid"}
    cls = "organic-inorganic hybrid" if classes & organic and classes - organic else lead.ligand_class
    counts: Counter = Counter()
    for lig, w in resolved:
        for el, c in lig.elements.items():
            counts[el] += c * w / total
    equal = len({w for _, w in resolved}) == 1
    name = "/".join(lig.name if equal else f"{w / total:g} {lig.name}" for lig, w in resolved)
    return (
        Ligand(
            name=name,
            charge=float(sum(leaf.charge * w for leaf, w in comps)),
            binding_type=lead.binding_type,
            hsab_class=lead.hsab_class,
            ligand_class=cls,
            in_knowledge_base=all(lig.in_knowledge_base for lig, _ in resolved),
            formula="",
            smiles=".".join(lig.smiles for lig, _ in resolved) if all(part.smiles for part, _ in resolved) else "",
            binding_atom=lead.binding_atom,
            hsab_inferred=lead.hsab_inferred,
            kind="mixture",
            sources=tuple(dict.fromkeys(src for lig, _ in resolved for src in lig.sources)),
            notes="mixture: " + ("equal weights" if equal else "weights as given, normalised"),
            elements=dict(counts),
            components=comps,
        ),
        None,
    )


# --------------------------------------------------------------------------- entry points


def _resolve_single(s: str) -> Ligand | None:
    """Steps 1-4 of the resolution order (no mixture split)."""
    exact, folded = _name_index()
    for variant in (_key(s), _key(s).replace("^", "")):
        if variant in exact:
            return _kb_ligand(exact[variant])
    if _key(s).casefold() in folded:
        return _kb_ligand(folded[_key(s).casefold()])
    lig = None
    if re.search(r"[+-]\d*\)?$", s):
        lig = _resolve_ion(s) if " " in s else None
        lig = lig or _resolve_ion(_key(s))
    if lig is None and "^" in s:
        # "S₂⁻" (Table 2's sulfide) reads as S2^-; retry as the ambiguous "S2-"
        lig = _resolve_ion(_key(s).replace("^", ""))
    if lig is None:
        lig = _salt_ligand(_key(s))
    if lig is None:
        lig = _smiles_ligand(s)
    return lig


def _suggest(s: str) -> list[str]:
    _, folded = _name_index()
    probe = _key(s).casefold()
    hits = difflib.get_close_matches(probe, list(folded), n=8, cutoff=0.6)
    out = list(dict.fromkeys(folded[h] for h in hits))
    return out[:5]


@functools.lru_cache(maxsize=8192)
def _parse_cached(text: str) -> Ligand:
    s = normalize(text)
    if not s:
        raise UnknownLigandError(text, [])
    lig = _resolve_single(s)
    if lig is not None:
        return lig
    mix, failed = _mixture(s)
    if mix is not None:
        return mix
    raise UnknownLigandError(text, _suggest(failed or s))


def parse_ligand(text: str) -> Ligand:
    """Resolve a ligand as written in a paper (name, ion notation, salt, SMILES or mixture).

    Parameters
    ----------
    text
        e.g. ``"SCN-"``, ``"thiocyanate"``, ``"SO ₄ ²⁻"``, ``"In ³⁺"``, ``"KI"``,
        ``"In(NO3)3"``, ``"Cs+/Rb+"``, ``"0.3 Cs+ / 0.7 Rb+"``, ``"[O-]C(=O)c1ccccc1"``.

    Returns
    -------
    Ligand
        A cached, immutable record (the same object for the same text).

    Raises
    ------
    UnknownLigandError
        When nothing resolves; ``.suggestions`` lists close knowledge-base names.

    Examples
    --------
    >>> parse_ligand("thiocyanate").name
    'SCN-'
    >>> [(c.name, w) for c, w in parse_ligand("In(NO3)3").components]
    [('In3+', 0.25), ('NO3-', 0.75)]
    """
    if not isinstance(text, str):
        raise UnknownLigandError(repr(text), [])
    if len(text) > _MAX_LEN:
        raise UnknownLigandError(text[:40] + "...", [])
    try:
        return _parse_cached(str(text))
    except QdmlError:
        raise
    except Exception as exc:  # a bug in a reader must still surface as "cannot resolve", never a traceback
        raise UnknownLigandError(text, []) from exc
