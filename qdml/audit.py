"""``qdml audit``: the curator's checks of a dataset, beyond what ``validate`` enforces.

``validate`` proves a file is well formed (columns, ranges, parsable ligands and QDs). ``audit``
asks whether each row says what its ``evidence`` says. A file that fails validation reports the
validation problems only. Every problem is a :class:`~qdml.exceptions.Problem`
(``FILE:LINE: column 'NAME': message``, header = line 1). The checks:

``values``
    Every number of a row (measured columns, ``size_nm``, ``abs_peak_nm``) appears in its
    evidence as a number of that column: in its own cell of a Table 2 line (ligand | qd | colour |
    EQE | PLQY | peak | FWHM | Von | Lmax | tau), or in prose followed by the column's unit
    (% / nm / V / cd / ns) or, with no unit, after one of the column's keywords. Citation numbers
    in brackets ("[137]") and formula subscripts ("CsPbBr3") are not numbers of the evidence;
    digit groups ("48 000", "1,000") are joined.
``qualifiers``
    A value the evidence qualifies must carry the matching flag token: "~", "ca.", "about",
    "approximately", "near", "similar to" -> ``approx``; "over", "more than", ">" ->
    ``lower-bound``; "up to", "below", "<" -> ``upper-bound``; "average", "decent", "typical" ->
    ``not-maximum``. A luminance read from prose must be called a maximum ("maximum", "peak",
    "highest", "Lmax", ...) or carry ``not-maximum``.
``names``
    The evidence (or the reference, which holds the paper's title where known) names the ligand
    and the QD. A ligand is named when its notation, knowledge-base name or alias (``ligands.csv``)
    appears, or else when every part of it does (``parse_ligand`` splits salts and mixtures into
    ions and molecules): a polyatomic or molecular part by its formula or an alias; a monatomic
    ion by an ion notation (``K+``, ``Zn2+``, ``Br-``), a binary salt that contains it (``KBr``,
    ``CaCl2``), its element name ("potassium") or its anion stem ("chlor", "brom", "iod",
    "fluor", "sulf", "selen", "tellur"). A QD is named by its notation, by the elements of its
    core in formulas of the text (``CsPb(Br/Cl)3`` names ``CsPbBrxCl3-x``), by a common acronym
    (AIGS, CIS), or, for a lead-halide perovskite, by the word "perovskite" (or PQD, PNC, PeLED).
    Waiver: a ``notation:`` flag whose text names the stored ligand (or QD) records that the
    source names it differently (e.g. the review's table against the paper's title);
    ``ligand-unverified`` rows (left out of training) are waived for the ligand; ``qd-unspecified``
    rows for the QD.
``from-to``
    In a control/treated comparison, a "from X to Y" (or "to Y from X") sentence of the evidence
    means the control holds X and the treated row Y: a control holding Y, or a treated row
    holding X, is reported.
``twins``
    The same sample twice: two rows of one paper (:func:`qdml.data.paper_key.paper_key`), role and
    sample sharing two or more values, whatever the ligand spelling; or two rows of the same QD,
    role and sample under different references sharing two or more values.
``flags``
    Every ``;``-separated flag item starts with a token of ``datasets/flag_vocabulary.csv``.
``treatment``
    Treated rows carry a treatment ('unknown' when the source does not say), controls none, and
    ``dopant-not-surface`` rows are ``doping``.
``doi``
    A bare DOI (``10.NNNN/suffix``, no ``https://doi.org/``); rows of one reference agree on it;
    a DOI inside the source URL is filled in.
"""

from __future__ import annotations

import functools
import math
import os
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from qdml.chemistry.composition import parse_qd_composition
from qdml.chemistry.elements import element_property, is_element
from qdml.chemistry.ligands import knowledge_base, parse_ligand
from qdml.data import bundled_path, dataset_path
from qdml.data.io import read_csv_text
from qdml.data.paper_key import normalise_doi, paper_key
from qdml.data.schema import DESCRIPTORS, MEASURED, TREATMENTS
from qdml.exceptions import Problem, QdmlError, ValidationError
from qdml.validation import read_validated

__all__ = [
    "CHECKS", "Number", "audit_file", "audit_frame", "evidence_numbers", "flag_vocabulary",
    "ligand_named", "numbers", "paper_key", "qd_named",
]

VOCABULARY_FILE = "flag_vocabulary.csv"
CHECKS = ("values", "qualifiers", "names", "from-to", "twins", "flags", "treatment", "doi")
#: Column order of the review's Table 2 line in ``evidence`` (cells joined with " | ").
TABLE2_COLUMNS = (
    "ligand", "qd", "el_color", "eqe", "plqy", "peak_nm", "fwhm_nm", "von_v", "lmax_cd_m2", "lifetime_ns",
)

# --------------------------------------------------------------------------- numbers of a text

_THIN_PLACEHOLDER = "[thin space (1/6-em)]"
_DIGIT_GROUP = re.compile(r"(?<=\d)[ ,\u202f\u00a0\u2009](?=\d{3}(?!\d))")
_CITATION = re.compile(r"\[\s*\d+(?:\s*[,\u2013\u2014-]\s*\d+)*\s*\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Number:
    """A number of a prepared evidence text and where it stands."""

    value: float
    start: int
    end: int


def prepare(text: str) -> str:
    """Evidence as the number checks read it: digit groups joined ("48 000" -> "48000")."""
    text = str(text or "").replace(_THIN_PLACEHOLDER, "\u2009")
    return _DIGIT_GROUP.sub("", text)


def evidence_numbers(text: str, prepared: bool = False) -> list[Number]:
    """Numbers of an evidence text, without citation numbers ("[137]") or formula subscripts ("Br3")."""
    t = text if prepared else prepare(text)
    cited = [m.span() for m in _CITATION.finditer(t)]
    out = []
    for m in _NUMBER.finditer(t):
        if m.start() > 0 and t[m.start() - 1].isalpha():
            continue
        if any(a <= m.start() < b for a, b in cited):
            continue
        out.append(Number(float(m.group()), m.start(), m.end()))
    return out


def numbers(text: str) -> set[float]:
    """The set of numbers an evidence text states (what the honesty rule compares values with)."""
    return {n.value for n in evidence_numbers(text)}


# --------------------------------------------------------------------------- column context

_UNIT = re.compile(
    r"\s*(?:\u00b1\s*\d+(?:\.\d+)?\s*)?"
    r"(%|nm|ns|[\u03bc\u00b5]s|us\b|ms\b|meV|eV|mW|mA|V(?![A-Za-z])|cd|h\b|min\b|K\b|mmol|M\b|at\s*%|cm|"
    r"months?\b|days?\b|weeks?\b|times\b|fold\b|s\b)"
)
_CONTINUE = re.compile(r"\s*%?\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s+or\s+|\s*to\s+(?:up to\s+|~\s*|\u223c\s*)?|\s*[-\u2013]\s*)(\d+(?:\.\d+)?)")
_UNIT_OF = {
    "eqe": "%", "plqy": "%", "peak_nm": "nm", "fwhm_nm": "nm", "von_v": "V",
    "lmax_cd_m2": "cd", "lifetime_ns": "ns", "size_nm": "nm", "abs_peak_nm": "nm",
}
_KEYWORDS = {
    "eqe": r"EQE|external quantum|quantum efficienc|efficienc",
    "plqy": r"PLQY|PL ?QY|(?<!external )quantum yield|QY|(?<!external )quantum efficienc",
    "peak_nm": r"peak|emission|emitting|emits|emit|centered|centred|\bEL\b|\bPL\b|wavelength|\bat\b",
    "fwhm_nm": r"FWHM|full.?width|half.?maximum|linewidth|line width",
    "von_v": r"turn-on|turn on|V_?on|threshold",
    "lmax_cd_m2": r"luminance|brightness|L_?max",
    "lifetime_ns": r"lifetime|decay|tau",
    "size_nm": r"size|diameter|edge|length|sized",
    "abs_peak_nm": r"absorption|exciton",
}


def _unit_after(text: str, end: int) -> str | None:
    """Unit following a number, following a list or range ("from 0.62 to 2.25%") to its end."""
    pos = end
    for _ in range(6):
        m = _UNIT.match(text, pos)
        if m:
            return m.group(1)
        c = _CONTINUE.match(text, pos)
        if not c:
            return None
        pos = c.end()
    return None


def _context_fits(text: str, n: Number, col: str) -> bool:
    """A prose occurrence fits ``col``: its unit is the column's, or no unit and a keyword precedes."""
    unit = _unit_after(text, n.end)
    window = text[max(0, n.start - 80): n.start]
    if unit is None:
        return re.search(_KEYWORDS[col], window, re.IGNORECASE) is not None
    if unit.replace(" ", "") != _UNIT_OF[col]:
        return False
    # columns sharing a unit (% for eqe/plqy, nm for peak/FWHM): the nearest keyword decides
    rivals = [c for c, u in _UNIT_OF.items() if u == _UNIT_OF[col] and c != col]
    unit_match = _UNIT.match(text, n.end)  # "13 nm full-width-at-half-maximum": a keyword right after the unit
    if unit_match and re.match(r"\s*\(?\s*(?:" + _KEYWORDS[col] + ")", text[unit_match.end():], re.IGNORECASE):
        return True
    mine = _last_keyword_end(window, col)
    return all(_last_keyword_end(window, c) <= mine for c in rivals)


def _last_keyword_end(window: str, col: str) -> int:
    ends = [m.end() for m in re.finditer(_KEYWORDS[col], window, re.IGNORECASE)]
    return max(ends, default=-1)


def _table_line(evidence: str) -> str | None:
    """The Table 2 line inside an evidence text (parts joined by " … " may add prose)."""
    for part in re.split(r"\s\u2026\s|\s\.\.\.\s", evidence):
        if part.count("|") >= 9:
            return part
    return None


def _prose(evidence: str) -> str:
    parts = re.split(r"(\s\u2026\s|\s\.\.\.\s)", evidence)
    return "".join(p for p in parts if p.count("|") < 9)


def _occurrences(evidence: str, col: str, value: float, from_table: bool) -> tuple[list[Number], str, bool]:
    """Occurrences of ``value`` that fit ``col``; the prepared text they index; whether it occurs at all."""
    anywhere = value in numbers(evidence)
    if from_table:
        line = _table_line(evidence)
        if line is not None:
            cells = line.split("|")
            idx = TABLE2_COLUMNS.index(col) if col in TABLE2_COLUMNS else None
            if idx is not None and idx < len(cells) and value in numbers(cells[idx]):
                return [Number(value, 0, 0)], "", True
    text = prepare(_prose(evidence) if from_table else evidence)
    fits = [n for n in evidence_numbers(text, prepared=True) if n.value == value and _context_fits(text, n, col)]
    return fits, text, anywhere


# --------------------------------------------------------------------------- vocabulary


@functools.cache
def _vocabulary_cached(path: str) -> dict[str, tuple[str, bool]]:

    raw = read_csv_text(path)
    missing = [c for c in ("token", "meaning", "excluded_from_training") if c not in raw.header]
    if missing:
        raise ValidationError([Problem(raw.path, 1, c, f"required column '{c}' is missing") for c in missing])
    out: dict[str, tuple[str, bool]] = {}
    problems = []
    for line, rec in zip(raw.lines, raw.records):
        row = dict(zip(raw.header, rec))
        token, excl = row["token"].strip(), row["excluded_from_training"].strip()
        if not re.fullmatch(r"[a-z][a-zA-Z-]*", token) or token in out:
            problems.append(Problem(raw.path, line, "token", f"token {token!r} is malformed or repeated"))
        if excl not in ("yes", "no"):
            problems.append(Problem(raw.path, line, "excluded_from_training", f"{excl!r} must be yes or no"))
        out[token] = (row["meaning"].strip(), excl == "yes")
    if problems:
        raise ValidationError(problems)
    return out


def flag_vocabulary(path: str | os.PathLike | None = None) -> dict[str, tuple[str, bool]]:
    """``{token: (meaning, excluded_from_training)}`` from ``datasets/flag_vocabulary.csv``."""

    return dict(_vocabulary_cached(str(path or bundled_path(VOCABULARY_FILE))))


def _items(flags: str) -> list[tuple[str, str]]:
    """``flags`` as ``(token, free text)`` items."""
    out = []
    for part in str(flags or "").split(";"):
        if part.strip():
            token, _, text = part.partition(":")
            out.append((token.strip(), text.strip()))
    return out


# --------------------------------------------------------------------------- names

_ENGLISH = {"I", "In", "As", "At", "He", "Be", "No", "Am", "Co", "Ho", "Hi", "So", "Os"}
_MARKUP = re.compile(r"</?su[bp]>|\\text\{|\\mathrm\{|[{}$^*_\\]")
_ANION_STEMS = {
    "F": ("fluor",), "Cl": ("chlor",), "Br": ("brom",), "I": ("iod",),
    "S": ("sulfide", "sulphide"), "Se": ("selen",), "Te": ("tellur",), "O": ("oxide",),
}
_QD_ACRONYMS = {"AIGS": "AgInGaS", "ZAIGS": "ZnAgInGaS", "CIS": "CuInS", "AIS": "AgInS", "CIZS": "CuInZnS"}
_PEROVSKITE_WORDS = re.compile(r"perovskite|PQD|PNC|PeQD|PeNC|PeLED|Pe-QLED", re.IGNORECASE)


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text or ""))
    for dash in ("\u2212", "\u2013", "\u2014", "\u2010", "\u2011"):
        t = t.replace(dash, "-")
    t = _MARKUP.sub("", t)
    # "SCN -", "CsPbBr 3", "SO 4 2-": a formula's digits and charge sign join the formula
    return re.sub(r"(?<=[A-Za-z0-9)\]])\s+(?=[0-9+\-(\[])", "", t)


def _alnum(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).lower())


def _core(name: str) -> str:
    """A notation without its charge and spaces: ``"SO4 2-"`` -> ``"SO4"``, ``"Zn2+"`` -> ``"Zn"``."""
    return re.sub(r"\s+", "", re.sub(r"\s*\d*[+-]+$", "", _norm(name)))


def _name_in(name: str, text: str, alnum_text: str) -> bool:
    """A name or alias in a text: words case-insensitively (4+ letters), formulas case-sensitively."""
    if not name:
        return False
    if (any(c.isupper() for c in name) and not re.search(r"\s", name.strip())) or len(_alnum(name)) < 4:
        core = _core(name)
        if not core:
            return False
        return re.search(re.escape(core) + r"(?![a-z])", text) is not None
    return _alnum(name) in alnum_text


def _symbols(token: str) -> list[str] | None:
    """Element symbols of a formula-like token, or None when any part is not an element."""

    out, i = [], 0
    while i < len(token):
        ch = token[i]
        if ch.isupper():
            two = token[i: i + 2]
            if len(two) == 2 and two[1].islower() and is_element(two):
                out.append(two)
                i += 2
                continue
            if is_element(ch):
                out.append(ch)
                i += 1
                continue
            return None
        if ch.isdigit() or ch in "xyz().[]":
            i += 1
            continue
        return None
    return out or None


@dataclass
class _Text:
    """A text prepared once for the name checks."""

    norm: str
    alnum: str
    formula_elements: set[str]
    ions: set[str]  # ion notations of the text ("K+", "Zn2+", "Br-")
    salts: dict[str, set[str]]  # ion or molecule name -> binary-salt formulas of the text that hold it
    prefixes: set[str]  # element symbols written as "Mn-doped", "Cl-passivated", "Br-rich"


@functools.lru_cache(maxsize=4096)
def _text(raw: str) -> _Text:

    t = _norm(raw)
    elements: set[str] = set()
    ions: set[str] = set()
    salts: dict[str, set[str]] = {}
    for tok in re.findall(r"[A-Za-z0-9().\[\]]+", t):
        syms = _symbols(tok)
        if not syms or (len(syms) == 1 and not re.search(r"\d", tok)):
            continue
        elements.update(syms)
        if len(set(syms)) <= 4:
            try:
                lig = parse_ligand(tok)
            except QdmlError:
                continue
            leaves = [c for c, _ in lig.components]
            if lig.kind == "salt" and len(leaves) == 2:
                for c in leaves:
                    salts.setdefault(c.name, set()).add(tok)
    # an ion notation: the sign ends the token ("Cl-" or "Cs+-Rb+", not "Cl3-x" or "Gd-based")
    for m in re.finditer(r"(?<![A-Za-z])([A-Z][a-z]?)(\d?[+-])(?![A-Za-z0-9])", t):
        ions.add(m.group(1) + m.group(2))
        syms = _symbols(m.group(1))
        if syms:
            elements.update(syms)
    prefixes = set(re.findall(
        r"(?<![A-Za-z])([A-Z][a-z]?)\d?\+?-(?:dop|alloy|substitut|treat|passivat|modif|rich|based|capp|terminat)", t
    ))
    return _Text(t, _alnum(t), elements, ions, salts, prefixes)


def _aliases(name: str) -> list[str]:

    kb = knowledge_base()
    rows = kb[kb["name"] == name]
    out = [name]
    for aliases in rows["aliases"] if "aliases" in rows else []:
        out.extend(a for a in str(aliases).split("|") if a)
    return out


def _element_name(symbol: str) -> str:
    try:
        return str(element_property(symbol, "name") or "").lower()
    except QdmlError:  # pragma: no cover
        return ""


def _part_named(part, tx: _Text, qd_elements: frozenset = frozenset(), qd_layers: frozenset = frozenset()) -> bool:
    if any(_name_in(a, tx.norm, tx.alnum) for a in _aliases(part.name) if not _is_monatomic(part) or len(_alnum(a)) >= 4):
        return True
    if part.name in tx.ions or tx.salts.get(part.name, set()) - qd_layers:
        return True  # "K+", or a salt such as "KBr" that is not a layer of the QD ("ZnS" of InP/ZnS)
    if _is_monatomic(part):
        sym = part.formula
        if sym in tx.prefixes or any(re.match(re.escape(sym) + r"\d?[+-]$", ion) for ion in tx.ions):
            return True
        if part.charge > 0 and sym in tx.formula_elements and sym not in qd_elements:
            return True  # a dopant cation written into a formula ("CsPb1-xCux(Br/Cl)3")
        words = list(_ANION_STEMS.get(sym, ())) if part.charge < 0 else [_element_name(sym)]
        return any(w and re.search(r"\b" + re.escape(w), tx.norm, re.IGNORECASE) for w in words)
    return False


def _is_monatomic(part) -> bool:

    return bool(part.formula) and is_element(part.formula) and part.charge != 0


def ligand_named(ligand: str, text: str, qd: str = "") -> tuple[bool, list[str]]:
    """Whether ``text`` names ``ligand`` (see the module docstring); the parts it does not name.

    ``qd`` keeps the QD's own elements from naming a cation ligand: ``CsPbBr3`` names no Cs+.
    """

    lig = parse_ligand(ligand)
    if lig.name == "native" or not lig.components:
        return True, []
    tx = _text(text)
    whole = [ligand, *_aliases(lig.name)] if not _is_monatomic(lig) else []  # "Cs" must not match "CsPbBr3"
    if any(_name_in(a, tx.norm, tx.alnum) for a in whole):
        return True, []
    missing = []
    for part, _ in lig.components:
        if part.name == "native" or not (part.formula or part.in_knowledge_base):
            continue
        if not _part_named(part, tx, _qd_elements(qd), _qd_layers(qd)):
            missing.append(part.name)
    return not missing, missing


def _qd_elements(qd: str) -> frozenset:
    """Every element symbol the QD notation may hold (over-inclusive on purpose: "FA" gives F)."""

    return frozenset(s for s in re.findall(r"[A-Z][a-z]?", qd) if is_element(s))


def _qd_layers(qd: str) -> frozenset:
    return frozenset(re.sub(r"\s+", "", x) for x in re.split(r"[/:]", qd) if x.strip())


def qd_named(qd: str, text: str) -> bool:
    """Whether ``text`` names the QD ``qd`` (see the module docstring)."""

    tx = _text(text)
    core = re.sub(r"\s+", "", qd.split(":")[0])
    if core and core in re.sub(r"\s+", "", tx.norm):
        return True
    comp = parse_qd_composition(qd)
    if comp.family == "lead-halide perovskite":
        if _PEROVSKITE_WORDS.search(tx.norm):
            return True
        need = {s for s in list(comp.b_site) + list(comp.x_site) if _symbols(s) == [s]}
    else:
        layers = [str(x) for x in getattr(comp, "layers", [])] or [core]
        need = set(_symbols(re.sub(r"[^A-Za-z0-9]", "", layers[0])) or [])
    if need and need <= tx.formula_elements:
        return True
    found = {v for k, v in _QD_ACRONYMS.items() if re.search(r"\b" + k + r"\b", tx.norm)}
    return any(need and need <= set(_symbols(v) or []) for v in found)


# --------------------------------------------------------------------------- checks

_QUALIFIERS = (
    ("approx", r"(?:~|\u223c|\u2248|\bca\.?|\bapprox(?:imately|\.)?|\babout|\baround|\bnearly|\bnear|"
               r"\bsimilar to|\bclose to|\broughly)\s*$"),
    ("lower-bound", r"(?:>|\u2265|\bover|\bmore than|\babove|\bexceed(?:s|ing|ed)?|\bat least|\bbeyond|"
                    r"\bhigher than|\bin excess of)\s*$"),
    ("upper-bound", r"(?:<|\u2264|\bup to|\bbelow|\bless than|\blower than)\s*$"),
    ("not-maximum", r"\b(?:average|averaged|decent|typical|mean)\b[^0-9;]{0,40}$"),
)
_MAX_WORDS = re.compile(r"max|peak|highest|record|brightest|L_?max", re.IGNORECASE)


def _is_table_row(row) -> bool:
    return "review Table 2" in str(row["source"]) and _table_line(str(row["evidence"])) is not None


def _isna(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _value_cols(frame: pd.DataFrame) -> list[str]:

    return [c for c in list(MEASURED) + list(DESCRIPTORS) if c in frame.columns]


def _check_values_and_qualifiers(path: str, frame: pd.DataFrame) -> tuple[list[Problem], list[Problem]]:
    """(values problems, qualifiers problems)."""
    out, qual = [], []
    cols = _value_cols(frame)
    for line, row in frame.iterrows():
        evidence = str(row["evidence"])
        table = _is_table_row(row)
        tokens = {t for t, _ in _items(row["flags"])}
        for col in cols:
            v = row[col]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            v = abs(float(v))
            fits, text, anywhere = _occurrences(evidence, col, v, table)
            if not fits:
                where = "is not in the evidence" if not anywhere else (
                    "is in the evidence, but not as a value of this column (wrong cell, unit or context)"
                )
                out.append(Problem(path, line, col, f"value {v:g} {where}"))
                continue
            if not text:  # found in its Table 2 cell: the table's column says what it is
                continue
            for n in fits:
                before = text[max(0, n.start - 60): n.start]
                clause = re.split(r"[0-9;]|\.\s", before)[-1]
                for token, pattern in _QUALIFIERS:
                    if token == "not-maximum" and col == "lifetime_ns":
                        continue  # the lifetime column is an average lifetime
                    m = re.search(pattern, before if token != "not-maximum" else clause, re.IGNORECASE)
                    if m and token not in tokens:
                        qual.append(Problem(
                            path, line, col,
                            f"value {v:g} is qualified in the evidence ({m.group(0).strip()!r} {v:g}); "
                            f"add the flag '{token}: ...' or store what the source states",
                        ))
                if col == "lmax_cd_m2" and not table and "not-maximum" not in tokens and not _MAX_WORDS.search(clause):
                    qual.append(Problem(
                        path, line, col,
                        f"luminance {v:g} is not called a maximum in the evidence; flag it 'not-maximum: ...'",
                    ))
                break  # one occurrence is the row's value
    return out, qual


def _waived(items: list[tuple[str, str]], stored: str, tokens: tuple[str, ...]) -> bool:
    for token, text in items:
        if token in tokens:
            return True
        if token == "notation" and stored and stored in text:
            return True
    return False


def _check_names(path: str, frame: pd.DataFrame) -> list[Problem]:
    out = []
    for line, row in frame.iterrows():
        text = f"{row['evidence']} {row['reference']}"
        items = _items(row["flags"])
        ok, missing = ligand_named(row["ligand"], text, row["qd"])
        if not ok and not _waived(items, row["ligand"], ("ligand-unverified",)):
            out.append(Problem(
                path, line, "ligand",
                f"the evidence and reference do not name {', '.join(missing)} of ligand {row['ligand']!r} "
                "(no alias, formula or ion of the knowledge base); fix the ligand or quote the sentence that names it",
            ))
        if not qd_named(row["qd"], text) and not _waived(items, row["qd"], ("qd-unspecified",)):
            out.append(Problem(path, line, "qd", f"the evidence and reference do not name the QD {row['qd']!r}"))
    return out


_FROM_TO = re.compile(
    r"\bfrom\s+(?:ca\.\s*|~\s*|\u223c\s*|about\s+|approximately\s+)?(\d+(?:\.\d+)?)\s*"
    r"(?:%|nm|ns|V|cd\S*(?:\s*m\S*)?|meV|eV)?\s*to\s+(?:up to\s+|~\s*|\u223c\s*|about\s+)?(\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_TO_FROM = re.compile(
    r"\bto\s+(?:~\s*|\u223c\s*)?(\d+(?:\.\d+)?)\s*(?:%|nm|ns|V)?\s*from\s+(?:ca\.\s*|~\s*)?(\d+(?:\.\d+)?)",
    re.IGNORECASE,
)


def from_to_pairs(evidence: str) -> list[tuple[float, float]]:
    """``(before, after)`` of every "from X to Y" / "to Y from X" of an evidence text."""
    text = prepare(evidence)
    text = _CITATION.sub(" ", text)
    pairs = [(float(a), float(b)) for a, b in _FROM_TO.findall(text)]
    pairs += [(float(b), float(a)) for a, b in _TO_FROM.findall(text)]
    return [(a, b) for a, b in pairs if a != b]


def _check_from_to(path: str, frame: pd.DataFrame) -> list[Problem]:

    out = []
    for line, row in frame.iterrows():
        if row["role"] not in ("control", "treated"):
            continue
        pairs = from_to_pairs(str(row["evidence"]))
        if not pairs:
            continue
        befores, afters = {a for a, _ in pairs}, {b for _, b in pairs}
        for col in MEASURED:
            v = row[col]
            if _isna(v):
                continue
            for a, b in pairs:
                if row["role"] == "control" and v == b and v not in befores:
                    out.append(Problem(path, line, col, f"control holds {v:g}, the value after treatment in "
                                                        f"'from {a:g} to {b:g}' of the evidence (the control should hold {a:g})"))
                elif row["role"] == "treated" and v == a and v not in afters:
                    out.append(Problem(path, line, col, f"treated row holds {v:g}, the value before treatment in "
                                                        f"'from {a:g} to {b:g}' of the evidence (it should hold {b:g})"))
    return out


def _shared(a: pd.Series, b: pd.Series, cols: list[str]) -> list[str]:
    return [f"{c}={a[c]:g}" for c in cols if not _isna(a[c]) and not _isna(b[c]) and a[c] == b[c]]


def _check_twins(path: str, frame: pd.DataFrame) -> list[Problem]:

    cols = list(MEASURED)
    keys = [paper_key(r, d) for r, d in zip(frame["reference"], frame["doi"])]
    qds = [re.sub(r"\s+", "", q) for q in frame["qd"]]
    lines = list(frame.index)
    rows = [frame.loc[i] for i in lines]
    out = []
    for j in range(len(lines)):
        for i in range(j):
            a, b = rows[i], rows[j]
            if a["role"] != b["role"] or a["sample"] != b["sample"]:
                continue
            same_paper = keys[i] == keys[j] and keys[i] != ""
            if not same_paper and qds[i] != qds[j]:
                continue
            shared = _shared(a, b, cols)
            if len(shared) < 2:
                continue
            what = "paper" if same_paper else f"QD ({a['qd']}) under another reference"
            out.append(Problem(
                path, lines[j], "ligand",
                f"same {what}, role and sample as line {lines[i]} with the same {', '.join(shared)}: "
                "one sample entered twice; merge the rows (both quotes in evidence) and keep one",
            ))
            break
    return out


def _check_flags(path: str, frame: pd.DataFrame, vocabulary: dict) -> list[Problem]:
    out = []
    for line, flags in frame["flags"].items():
        for token, _ in _items(flags):
            if token not in vocabulary:
                out.append(Problem(
                    path, line, "flags",
                    f"flag token {token!r} is not in the vocabulary ({VOCABULARY_FILE}); write 'token: free text'",
                ))
    return out


def _check_treatment(path: str, frame: pd.DataFrame) -> list[Problem]:

    out = []
    for line, row in frame.iterrows():
        t = row.get("treatment", "")
        if row["role"] == "control" and t:
            out.append(Problem(path, line, "treatment", f"a control is untreated: leave treatment empty (has {t!r})"))
        elif row["role"] != "control" and not t:
            out.append(Problem(path, line, "treatment",
                               f"treated row without a treatment: one of {', '.join(TREATMENTS)} ('unknown' if unclear)"))
        if "dopant-not-surface" in {k for k, _ in _items(row["flags"])} and t and t != "doping":
            out.append(Problem(path, line, "treatment", f"flag 'dopant-not-surface' means treatment 'doping', not {t!r}"))
    return out


_DOI = re.compile(r"10\.\d{4,9}/[^\s?#&\"<>]+")


def _check_doi(path: str, frame: pd.DataFrame) -> list[Problem]:
    out = []
    for line, row in frame.iterrows():
        doi = str(row["doi"])
        in_url = _DOI.search(str(row["source"]))
        url_doi = normalise_doi(re.sub(r"/(?:full|abstract|pdf|html?|epdf)$", "", in_url.group(0).rstrip("/."))) if in_url else ""
        if not doi:
            if url_doi:
                out.append(Problem(path, line, "doi", f"the source URL contains DOI {url_doi}; fill it in"))
            continue
        if doi != doi.strip() or normalise_doi(doi) != doi.lower().strip():
            out.append(Problem(path, line, "doi", f"write the bare DOI {normalise_doi(doi)!r} (no URL prefix or spaces)"))
        elif not re.fullmatch(r"10\.\d{4,9}/\S+", doi):
            out.append(Problem(path, line, "doi", f"{doi!r} is not a DOI (10.NNNN/suffix)"))
        if url_doi and url_doi != normalise_doi(doi):
            out.append(Problem(path, line, "doi", f"doi {doi!r} differs from the DOI in the source URL ({url_doi})"))
    for _ref, group in frame.groupby("reference", sort=False):
        dois = {normalise_doi(d) for d in group["doi"]}
        if len(dois) > 1:
            known = sorted(d for d in dois if d)
            for line, d in group["doi"].items():
                if normalise_doi(d) != known[0]:
                    out.append(Problem(path, int(line), "doi", f"rows of one reference disagree on the DOI ({', '.join(known) or 'empty'} "
                                                               f"vs {d or 'empty'}); the paper key needs one"))
    return out


def audit_frame(data, vocabulary: dict | None = None, checks: tuple[str, ...] = CHECKS) -> list[Problem]:
    """Problems of a validated dataset (:class:`~qdml.data.schema.ValidatedData`), sorted by line."""
    path, frame = data.path, data.frame
    vocabulary = flag_vocabulary() if vocabulary is None else vocabulary
    out: list[Problem] = []
    if "values" in checks or "qualifiers" in checks:
        values, qualifiers = _check_values_and_qualifiers(path, frame)
        out += (values if "values" in checks else []) + (qualifiers if "qualifiers" in checks else [])
    if "names" in checks:
        out += _check_names(path, frame)
    if "from-to" in checks:
        out += _check_from_to(path, frame)
    if "twins" in checks:
        out += _check_twins(path, frame)
    if "flags" in checks:
        out += _check_flags(path, frame, vocabulary)
    if "treatment" in checks:
        out += _check_treatment(path, frame)
    if "doi" in checks:
        out += _check_doi(path, frame)
    out.sort(key=lambda p: (p.line or 0, p.column or ""))
    return out


def audit_file(path: str | os.PathLike | None = None, checks: tuple[str, ...] = CHECKS) -> list[Problem]:
    """Every audit problem of a dataset file (default: the bundled one); validation problems first."""
    try:
        data = read_validated(path or dataset_path())
    except ValidationError as exc:
        return exc.problems
    return audit_frame(data, checks=checks)
