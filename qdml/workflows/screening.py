"""Virtual screening: millions of ligand-QD candidates from a small spec, predicted in chunks.

The data flow, and why it is fast:

1. **Spec -> two lists.** A TOML spec names a set of ligands (explicit, the knowledge base,
   mixtures of two written ``A/B``) and a set of compositions (explicit, or templates such as
   ``CsPb(Br{x}Cl{1-x})3`` over ranges). Candidates are their product, addressed by an integer:
   candidate ``i`` is ligand ``i // n_qd`` on composition ``i % n_qd``. No list of a million
   Python objects is ever built; a chunk is ``numpy.arange(start, stop)``.
2. **Plan: featurize each unique thing once.** :func:`build_plan` parses every unique ligand and
   composition once (unresolvable ones are skipped and counted), computes the bundle featurizer's
   ligand block (one row per unique ligand) and QD block (one row per unique composition), and
   builds the featurizer's :class:`~qdml.features.pair.InteractionTable` (per-ligand and
   per-composition factors of the interaction terms, the same code ``PairFeaturizer`` uses). A
   sample of assembled rows is checked against the bundle's own ``transform_frame``; a mismatch
   raises (it would be a bug).
3. **Chunks: gather, predict, assess.** :func:`score_chunk` assembles a chunk's feature matrix by
   integer indexing into the blocks, calls each target's ``regressor.predict_interval`` once on the
   whole chunk, and assesses the applicability domain in bulk (nearest-neighbour distance on the
   chunk; unseen elements, ligand classes and families once per unique ligand and composition).
4. **Parallel over chunks, never rows.** joblib on local cores (``loky``), or joblib's Dask backend
   on a ``distributed`` cluster (``scheduler="tcp://HOST:PORT"``): the same ``Parallel`` call,
   the plan scattered once to every worker, results returned in chunk order.
5. **Streaming out.** Each chunk is appended to a Parquet (pyarrow) or CSV file and folded into a
   running top-N per target, so memory stays flat however many candidates there are.

Rows are identical to :func:`qdml.workflows.prediction.predict` on the same candidates (to floating-point
rounding of the interaction terms), and identical between the local and the Dask runs.
"""

from __future__ import annotations

import ast
import itertools
import logging
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qdml.chemistry.composition import HALIDES, parse_qd_composition
from qdml.chemistry.confinement import exchange_with, ligand_halide
from qdml.chemistry.ligands import is_untreated, knowledge_base_ligands, parse_ligand
from qdml.data.io import check_output, guard_cell, unguard_cell
from qdml.exceptions import QdmlError
from qdml.features.context import ligand_elements, qd_elements
from qdml.features.pair import InteractionTable
from qdml.learn.bundle import Bundle, load_bundle
from qdml.learn.domain import distance_reason, novelty_reason
from qdml.learn.estimators import PEAK_PRIOR_COLUMN
from qdml.learn.predictor import PeakContext, finish_prediction, peak_windows, sample_reasons
from qdml.targets import column_target, get_target
from qdml.validation import check_sample_value
from qdml.workflows.ranking import target_score

log = logging.getLogger(__name__)

SCORE_BY = ("mean", "lower", "ucb")
DEFAULT_CHUNK_SIZE = 50_000
DEFAULT_TOP = 20
SAMPLE_KEYS = ("el_color", "size_nm", "pristine_peak_nm")
_CHECK_ROWS = 256


# =========================================================================== spec


@dataclass
class ScreenSpec:
    """What to screen, read from a TOML file by :func:`load_spec` (see ``docs/screening.md``).

    ``ligands`` and ``compositions`` are the expanded, de-duplicated lists in spec order;
    candidates are their product, ligand-major.
    """

    ligands: list[str]
    compositions: list[str]
    targets: list[str] | None = None
    by: str = "mean"
    weights: dict[str, float] = field(default_factory=dict)
    goals: dict[str, float] = field(default_factory=dict)
    top: int = DEFAULT_TOP
    chunk_size: int = DEFAULT_CHUNK_SIZE
    confidence: float = 0.8
    sample: dict = field(default_factory=dict)
    model: str | None = None
    output: str | None = None
    path: str | None = None

    @property
    def n_candidates(self) -> int:
        return len(self.ligands) * len(self.compositions)


#: Most candidates a spec may describe unless the caller raises the limit (``--max-candidates``):
#: 10^6 take about half a minute on two cores (docs/screening.md), so 10^7 is minutes, not days.
DEFAULT_MAX_CANDIDATES = 10_000_000
#: Longest ``{...}`` expression in a composition template.
_MAX_EXPR = 200


def load_spec(path: str | os.PathLike, max_candidates: int | None = DEFAULT_MAX_CANDIDATES) -> ScreenSpec:
    """Read a screening spec (TOML); errors name the file and the offending key.

    The spec's candidate count is checked against ``max_candidates`` before any list is built.
    """
    import tomllib

    p = Path(path)
    if p.is_dir():
        raise QdmlError(f"{p}: is a folder, not a spec file")
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise QdmlError(f"{p}: spec file not found") from None
    except OSError as exc:
        raise QdmlError(f"{p}: cannot read the spec ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
        if "\x00" in text:
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "NUL byte")
    except UnicodeDecodeError:
        raise QdmlError(f"{p}: not UTF-8 text (UTF-16? save the spec as UTF-8)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QdmlError(f"{p}: not valid TOML ({exc})") from None
    return spec_from_dict(data, source=str(p), max_candidates=max_candidates)


_TOP_KEYS = {"screen", "score", "ligands", "compositions", "sample"}
_SCREEN_KEYS = {"targets", "top", "chunk_size", "confidence", "model", "output"}
_SCORE_KEYS = {"by", "weights", "goals"}
_LIGAND_KEYS = {"knowledge_base", "include_organic", "include", "mixtures_of_two", "mixture_pool", "mixtures", "exclude"}
_COMP_KEYS = {"include", "template", "exclude"}


def _show(value) -> str:
    """A spec value as the user wrote it in TOML (strings quoted), cut short."""
    if isinstance(value, str):
        text = '"' + value + '"'
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_keys(table: dict, allowed: set, where: str, source: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise QdmlError(f"{source}: unknown key(s) {', '.join(map(repr, unknown))} in [{where}] "
                        f"(known: {', '.join(sorted(allowed))})")


def _table(data: dict, key: str, source: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise QdmlError(f"{source}: {key} = {_show(value)}: must be a table ([{key}])")
    return dict(value)


def _integer(table: dict, key: str, where: str, source: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise QdmlError(f"{source}: [{where}] {key} = {_show(value)}: must be a positive whole number")
    return value


def _number(value, what: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise QdmlError(f"{source}: {what} = {_show(value)}: must be a number")
    if not math.isfinite(value):
        raise QdmlError(f"{source}: {what} = {_show(value)}: must be a finite number")
    return float(value)


def _flag(table: dict, key: str, where: str, source: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise QdmlError(f"{source}: [{where}] {key} = {_show(value)}: must be true or false (without quotes)")
    return value


def _text(table: dict, key: str, where: str, source: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise QdmlError(f"{source}: [{where}] {key} = {_show(value)}: must be a string")
    return value


def _target_numbers(table: dict, key: str, source: str) -> dict[str, float]:
    """``weights`` or ``goals``: known target names mapped to finite numbers (goals within the target's range)."""
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise QdmlError(f"{source}: [score] {key} = {_show(value)}: must map targets to numbers, "
                        f"e.g. {key} = {{ peak_nm = {630 if key == 'goals' else 1} }}")
    out = {}
    for name, v in value.items():
        try:
            target = get_target(str(name))
        except QdmlError as exc:
            raise QdmlError(f"{source}: [score] {key}: {exc}") from None
        number = _number(v, f"[score] {key}.{name}", source)
        if key == "goals" and not target.contains(number):
            raise QdmlError(f"{source}: [score] goals.{name} = {_show(v)}: outside the range of {name} "
                            f"({target.low:g}-{target.high:g} {target.unit})")
        out[str(name)] = number
    return out


def _sample(table: dict, source: str) -> dict:
    out = {}
    for key, value in table.items():
        if key == "el_color":
            if not isinstance(value, str):
                raise QdmlError(f"{source}: [sample] el_color = {_show(value)}: must be a string such as \"red\"")
            out[key] = value
        else:
            number = _number(value, f"[sample] {key}", source)
            try:
                out[key] = check_sample_value(key, repr(number) if isinstance(value, float) else str(value),
                                              flag=f"[sample] {key} =")
            except QdmlError as exc:
                raise QdmlError(f"{source}: {exc}") from None
    return out


def spec_from_dict(data: dict, source: str = "<spec>", max_candidates: int | None = DEFAULT_MAX_CANDIDATES) -> ScreenSpec:
    """Build a :class:`ScreenSpec` from the parsed TOML tables (also handy in tests).

    Every value is type-checked (``top = "ten"`` is an error, not a traceback), and a spec that
    would make more than ``max_candidates`` candidates is refused before its lists are built.
    """
    _check_keys(data, _TOP_KEYS, "top level", source)
    screen = _table(data, "screen", source)
    score = _table(data, "score", source)
    lig = _table(data, "ligands", source)
    comp = _table(data, "compositions", source)
    sample = _table(data, "sample", source)
    _check_keys(screen, _SCREEN_KEYS, "screen", source)
    _check_keys(score, _SCORE_KEYS, "score", source)
    _check_keys(lig, _LIGAND_KEYS, "ligands", source)
    _check_keys(comp, _COMP_KEYS, "compositions", source)
    _check_keys(sample, set(SAMPLE_KEYS), "sample", source)

    by = score.get("by", "mean")
    if by not in SCORE_BY:
        raise QdmlError(f"{source}: [score] by = {_show(by)}; use one of {', '.join(SCORE_BY)}")
    weights = _target_numbers(score, "weights", source)
    goals = _target_numbers(score, "goals", source)
    targets = screen.get("targets")
    if targets is not None:
        targets = [targets] if isinstance(targets, str) else targets
        if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
            raise QdmlError(f"{source}: [screen] targets = {_show(screen.get('targets'))}: must be a list of target names")
    top = _integer(screen, "top", "screen", source, DEFAULT_TOP)
    chunk = _integer(screen, "chunk_size", "screen", source, DEFAULT_CHUNK_SIZE)
    confidence = _number(screen.get("confidence", 0.8), "[screen] confidence", source)
    if not 0 < confidence < 1:
        raise QdmlError(f"{source}: [screen] confidence = {_show(screen['confidence'])}: must lie between 0 and 1 (e.g. 0.8)")
    model = _text(screen, "model", "screen", source)
    output = _text(screen, "output", "screen", source)
    sample = _sample(sample, source)

    n_lig = count_ligands(lig, source)
    if not n_lig:
        raise QdmlError(f"{source}: [ligands] selects no ligand (set knowledge_base = true or include = [...])")
    n_comp = count_compositions(comp, source)
    if not n_comp:
        raise QdmlError(f"{source}: [compositions] selects no composition (include = [...] or [[compositions.template]])")
    n = n_lig * n_comp
    if max_candidates is not None and n > max_candidates:
        raise QdmlError(
            f"{source}: the spec makes up to {_count(n)} candidates ({_count(n_lig)} ligands x {_count(n_comp)} "
            f"compositions), more than the limit of {max_candidates:,}; narrow it, or raise the limit "
            "with --max-candidates N"
        )
    ligands = expand_ligands(lig, source)
    compositions = expand_compositions(comp, source)
    if not ligands:
        raise QdmlError(f"{source}: [ligands] selects no ligand (set knowledge_base = true or include = [...])")
    if not compositions:
        raise QdmlError(f"{source}: [compositions] selects no composition (include = [...] or [[compositions.template]])")
    return ScreenSpec(
        ligands=ligands, compositions=compositions, targets=targets, by=by, weights=weights, goals=goals, top=top,
        chunk_size=chunk, confidence=confidence, sample=sample, model=model, output=output, path=source,
    )


def _count(n) -> str:
    return f"{n:,}" if isinstance(n, int) else "unboundedly many"


def _as_list(value, key: str, source: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QdmlError(f"{source}: {key} = {_show(value)}: must be a list of strings")
    return [v.strip() for v in value if v.strip()]


def _singles(table: dict, source: str) -> tuple[list[str], set[str]]:
    singles: list[str] = []
    if _flag(table, "knowledge_base", "ligands", source, False):
        organic = _flag(table, "include_organic", "ligands", source, True)
        singles += list(knowledge_base_ligands(include_organic=organic))
    singles += _as_list(table.get("include"), "[ligands] include", source)
    exclude = set(_as_list(table.get("exclude"), "[ligands] exclude", source))
    return [s for s in dict.fromkeys(singles) if s not in exclude], exclude


def _mixture_pool(table: dict, singles: list[str], exclude: set[str], source: str) -> list[str]:
    if not _flag(table, "mixtures_of_two", "ligands", source, False):
        return []
    pool = _as_list(table.get("mixture_pool"), "[ligands] mixture_pool", source) or singles
    return [s for s in dict.fromkeys(pool) if s not in exclude]


def count_ligands(table: dict, source: str = "<spec>") -> int:
    """How many ligands :func:`expand_ligands` gives at most, without building the mixtures."""
    singles, exclude = _singles(table, source)
    pool = _mixture_pool(table, singles, exclude, source)
    return len(singles) + math.comb(len(pool), 2) + len(_as_list(table.get("mixtures"), "[ligands] mixtures", source))


def expand_ligands(table: dict, source: str = "<spec>") -> list[str]:
    """The ligand set: knowledge base, ``include``, then mixtures of two (``A/B``), minus ``exclude``.

    ``mixtures_of_two = true`` mixes every two ligands of ``mixture_pool`` (default: the singles
    selected above), each pair once, in set order.
    """
    singles, exclude = _singles(table, source)
    out = list(singles)
    pool = _mixture_pool(table, singles, exclude, source)
    out += [f"{a}/{b}" for a, b in itertools.combinations(pool, 2)]
    out += _as_list(table.get("mixtures"), "[ligands] mixtures", source)
    return [s for s in dict.fromkeys(out) if s not in exclude]


# ----------------------------------------------------------------- composition templates

_SINGLE_GROUP = re.compile(r"\(([A-Z][a-z]?|[A-Z]{2,}+)\)")


@dataclass(frozen=True)
class _Slot:
    """One ``{...}`` placeholder of a template and the species written just before it."""

    start: int  # where the species (or the brace) starts
    end: int  # after the closing brace
    species: str
    expr: str


def _slots(template: str) -> list[_Slot]:
    """The placeholders of a template in one pass (a regex here scanned runs of capitals quadratically).

    A placeholder is ``{`` + text without braces + ``}``; the species before it is a run of capitals
    and at most one lower-case letter (``Br``, ``FA``), as in ``CsPb(Br{x}Cl{1-x})3``.
    """
    slots: list[_Slot] = []
    open_at, floor = -1, 0
    for i, ch in enumerate(template):
        if ch == "{":
            open_at = i
        elif ch == "}":
            if open_at >= 0 and i > open_at + 1:
                j = open_at
                if j > floor and template[j - 1].islower() and template[j - 1].isascii():
                    j -= 1
                k = j
                while k > floor and "A" <= template[k - 1] <= "Z":
                    k -= 1
                if k == j:  # no capital: a lone lower-case letter is not a species
                    k = j = open_at
                slots.append(_Slot(k, i + 1, template[k:open_at], template[open_at + 1:i]))
                floor = i + 1
            open_at = -1
    return slots


def _format_number(v: float) -> str:
    text = f"{round(v, 6):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load,
                  ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd)


def _compile_expr(text: str, source: str, template: str):
    if len(text) > _MAX_EXPR:
        raise QdmlError(f"{source}: template {template[:60]!r}: a {{...}} placeholder longer than {_MAX_EXPR} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise QdmlError(f"{source}: template {template!r}: cannot read {{{text}}}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES) or (isinstance(node, ast.Constant) and not isinstance(node.value, (int, float))):
            raise QdmlError(f"{source}: template {template!r}: {{{text}}} may only use numbers, variables, + - * /")
    names = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
    code = compile(tree, "<template>", "eval")
    return code, names


def _range_count(spec, name: str, source: str, template: str) -> int | float:
    """How many values a range gives (``math.inf`` when too many to count), checking its numbers."""
    if isinstance(spec, list):
        for v in spec:
            _number(v, f"template {template!r}: {name}", source)
        return len(spec)
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - {"start", "stop", "step"})
        if unknown or not {"start", "stop", "step"} <= set(spec):
            raise QdmlError(f"{source}: template {template!r}: {name} needs start, stop, step (numbers)")
        start, stop, step = (_number(spec[k], f"template {template!r}: {name}.{k}", source) for k in ("start", "stop", "step"))
        if step <= 0 or stop < start:
            raise QdmlError(f"{source}: template {template!r}: {name} needs step > 0 and stop >= start")
        span = (stop - start) / step
        if not math.isfinite(span) or span > 1e15:
            return math.inf
        return int(math.floor(span + 1e-9)) + 1
    raise QdmlError(f"{source}: template {template!r}: {name} must be a list or {{start, stop, step}}")


def _range_values(spec, name: str, source: str, template: str) -> list[float]:
    n = _range_count(spec, name, source, template)
    if isinstance(spec, list):
        return [float(v) for v in spec]
    start, step = float(spec["start"]), float(spec["step"])
    return [round(start + i * step, 10) for i in range(int(n))]


def _template_parts(template: str, ranges: dict, source: str):
    if not isinstance(template, str):
        raise QdmlError(f"{source}: template = {_show(template)}: must be a string")
    parts = [(slot, *_compile_expr(slot.expr, source, template)) for slot in _slots(template)]
    if not parts:
        raise QdmlError(f"{source}: template {template!r} has no {{...}} placeholder")
    names = sorted({n for _, _, ns in parts for n in ns}, key=lambda n: list(ranges).index(n) if n in ranges else -1)
    missing = [n for n in names if n not in ranges]
    if missing:
        raise QdmlError(f"{source}: template {template!r}: no range for {', '.join(missing)}")
    unused = [n for n in ranges if n not in names]
    if unused:
        raise QdmlError(f"{source}: template {template!r}: ranges {', '.join(unused)} are not used")
    return parts, names


def count_template(template: str, ranges: dict, source: str = "<spec>") -> int | float:
    """How many compositions :func:`expand_template` gives at most, without building them."""
    _, names = _template_parts(template, ranges, source)
    counts = [_range_count(ranges[n], n, source, template) for n in names]
    return 0 if 0 in counts else math.prod(counts)


def expand_template(template: str, ranges: dict, source: str = "<spec>") -> list[str]:
    """Explicit compositions from a template: ``CsPb(Br{x}Cl{1-x})3`` with x = 0.35 gives ``CsPb(Br0.35Cl0.65)3``.

    Placeholders hold arithmetic in the range variables. A species whose amount is 0 is dropped
    and an amount of 1 is left unwritten, so the end members read as chemists write them
    (x = 1 gives ``CsPbBr3``, x = 0 gives ``CsPbCl3``; ``FA{x}Cs{1-x}PbI3`` at x = 0 gives ``CsPbI3``).

    Examples
    --------
    >>> expand_template("CsPb(Br{x}Cl{1-x})3", {"x": [0, 0.4, 1]})
    ['CsPbCl3', 'CsPb(Br0.4Cl0.6)3', 'CsPbBr3']
    """
    parts, names = _template_parts(template, ranges, source)
    grids = [_range_values(ranges[n], n, source, template) for n in names]
    out = []
    for values in itertools.product(*grids):
        env = dict(zip(names, values))
        pieces, last = [], 0
        for slot, code, _ in parts:
            try:
                amount = round(float(eval(code, {"__builtins__": {}}, env)), 10)  # noqa: S307 (whitelisted AST)
            except (ArithmeticError, ValueError):
                at = ", ".join(f"{k} = {v:g}" for k, v in env.items())
                raise QdmlError(f"{source}: template {template!r}: {{{slot.expr}}} has no value at {at}") from None
            if amount < 0 or not math.isfinite(amount):
                break
            pieces.append(template[last:slot.start])
            if amount == 0 and slot.species:
                pass
            elif amount == 1 and slot.species:
                pieces.append(slot.species)
            else:
                pieces.append(slot.species + _format_number(amount))
            last = slot.end
        else:
            pieces.append(template[last:])
            text = "".join(pieces)
            text = _SINGLE_GROUP.sub(r"\1", text)
            out.append(text)
    return out


def _templates(table: dict, source: str) -> list[tuple[str, dict]]:
    templates = table.get("template", [])
    if isinstance(templates, dict):
        templates = [templates]
    if not isinstance(templates, list):
        raise QdmlError(f"{source}: [compositions] template must be [[compositions.template]] tables")
    out = []
    for t in templates:
        if not isinstance(t, dict) or "template" not in t:
            raise QdmlError(f"{source}: each [[compositions.template]] needs template = \"...\"")
        out.append((t["template"], {k: v for k, v in t.items() if k != "template"}))
    return out


def count_compositions(table: dict, source: str = "<spec>") -> int | float:
    """How many compositions :func:`expand_compositions` gives at most, without building them."""
    n = len(_as_list(table.get("include"), "[compositions] include", source))
    _as_list(table.get("exclude"), "[compositions] exclude", source)
    return n + sum(count_template(t, ranges, source) for t, ranges in _templates(table, source))


def expand_compositions(table: dict, source: str = "<spec>") -> list[str]:
    """The composition set: ``include`` then each ``[[compositions.template]]``, minus ``exclude``."""
    out = _as_list(table.get("include"), "[compositions] include", source)
    for template, ranges in _templates(table, source):
        out += expand_template(template, ranges, source)
    exclude = set(_as_list(table.get("exclude"), "[compositions] exclude", source))
    return [s for s in dict.fromkeys(out) if s not in exclude]


def candidate_frame(spec: ScreenSpec, start: int = 0, stop: int | None = None) -> pd.DataFrame:
    """Candidates ``start:stop`` as a (ligand, qd[, sample columns]) frame, for small specs and tests."""
    n_q = len(spec.compositions)
    stop = spec.n_candidates if stop is None else min(stop, spec.n_candidates)
    idx = np.arange(start, stop)
    frame = pd.DataFrame({
        "ligand": np.asarray(spec.ligands, dtype=object)[idx // n_q],
        "qd": np.asarray(spec.compositions, dtype=object)[idx % n_q],
    })
    for k, v in spec.sample.items():
        frame[k] = v
    return frame


# =========================================================================== plan


@dataclass
class ScreenPlan:
    """Everything a worker needs to score any chunk: small blocks of unique features and the models.

    Candidate ``i`` (0 <= i < n_candidates) is resolved ligand ``i // n_qd`` on resolved
    composition ``i % n_qd``; ``ligand_ids``/``qd_ids`` map back to the spec's order.
    """

    ligands: np.ndarray           # resolved ligand strings (object)
    qds: np.ndarray               # resolved composition strings (object)
    ligand_ids: np.ndarray        # index of each resolved ligand in the spec's list
    qd_ids: np.ndarray
    n_spec_qds: int
    feature_names: list[str]
    lig_cols: np.ndarray          # positions in feature_names filled from lig_block
    qd_cols: np.ndarray
    inter_cols: np.ndarray        # positions of the interaction features (PairFeaturizer.block_names)
    lig_block: np.ndarray         # (n_lig, len(lig_cols))
    qd_block: np.ndarray          # (n_qd, len(qd_cols))
    inter: InteractionTable | None  # the featurizer's interaction tables for these ligands and compositions
    targets: list[str]
    regressors: dict
    confidence: float
    by: str
    weights: dict
    sds: dict
    domain: object | None
    lig_novelty: np.ndarray       # code of each ligand's novelty (unseen elements, class)
    qd_novelty: np.ndarray
    novelty_text: np.ndarray      # (n_lig_codes, n_qd_codes) reason prefix, '' when nothing is new
    skipped: dict                 # {"ligands": {name: reason}, "compositions": {...}}
    qd_window: np.ndarray | None = None  # (n_qd, 2) band-gap window of each composition's peak, nm
    goals: dict = field(default_factory=dict)  # target -> wanted value (closeness scores)
    # what predict's peak context holds, as small tables (see qdml.learn.predictor.PeakContext):
    lig_native: np.ndarray | None = None   # (n_lig,) untreated ligand ("native", original capping)
    lig_halide: np.ndarray | None = None   # (n_lig,) code of the halide a ligand brings (0 = none)
    qd_exchange: np.ndarray | None = None  # (n_qd, 1 + len(HALIDES), 2) shift (eV) and full-exchange peak (nm)
    qd_conflict: np.ndarray | None = None  # (n_qd,) why the spec's colour/pristine peak contradicts the QD
    note_words: np.ndarray | None = None   # the distinct ``note`` texts (predict's words for a halide exchange; '' = none)
    note_code: np.ndarray | None = None    # (n_qd, 1 + len(HALIDES)) index into note_words

    @property
    def n_candidates(self) -> int:
        return len(self.ligands) * len(self.qds)

    def spec_index(self, idx: np.ndarray) -> np.ndarray:
        """Index of resolved candidates ``idx`` in the spec's full product (stable candidate ids)."""
        li, qi = np.divmod(idx, len(self.qds))
        return self.ligand_ids[li].astype(np.int64) * self.n_spec_qds + self.qd_ids[qi]


def _resolve(values: list[str], parser, what: str) -> tuple[list[int], dict[str, str]]:
    ok, bad = [], {}
    for i, v in enumerate(values):
        try:
            parser(v)
            ok.append(i)
        except QdmlError as exc:
            bad[v] = f"{what}: {exc}"
    return ok, bad


def build_plan(bundle, spec: ScreenSpec, check: bool = True) -> ScreenPlan:
    """Resolve, featurize each unique ligand and composition once, and check a sample against the bundle."""

    meta = bundle.metadata
    targets = list(spec.targets or meta["targets"])
    for t in targets:
        if t not in meta["targets"]:
            raise QdmlError(f"model {bundle.path} has no {t!r} model (has {', '.join(meta['targets'])})")
    for key, values in (("weights", spec.weights), ("goals", spec.goals)):
        unknown = sorted(set(values) - set(targets))
        if unknown:
            raise QdmlError(f"[score] {key} name targets not screened: {', '.join(unknown)}")
    first = bundle.models[targets[0]]
    featurizer = first.named_steps["features"]
    if getattr(featurizer, "paired", False):
        raise QdmlError("screening uses the absolute models; this bundle's first target is a paired model")
    feature_names = [str(c) for c in meta.get("feature_names") or featurizer.get_feature_names_out()]

    lig_ok, lig_bad = _resolve(spec.ligands, parse_ligand, "ligand")
    qd_ok, qd_bad = _resolve(spec.compositions, parse_qd_composition, "qd")
    ligands = [spec.ligands[i] for i in lig_ok]
    qds = [spec.compositions[i] for i in qd_ok]

    # the bundle's own featurizer, block by block: each ligand and each composition once; any
    # ligand or composition it cannot featurize is skipped
    blocks = featurizer.block_names()
    lig_block, keep = _featurize_rows(featurizer.ligand_block, ligands, lig_bad, "ligand")
    ligands = [ligands[i] for i in keep]
    lig_ids = np.asarray([lig_ok[i] for i in keep], dtype=np.int64)
    if not ligands or not qds:
        lig_block = np.zeros((len(ligands), len(blocks["ligand"])))
    if ligands:
        qd_block, keep_q = _featurize_rows(lambda xs: featurizer.composition_block(xs, spec.sample), qds, qd_bad, "qd")
    else:
        qd_block, keep_q = np.zeros((0, len(blocks["composition"]))), []
    qds = [qds[i] for i in keep_q]
    qd_ids = np.asarray([qd_ok[i] for i in keep_q], dtype=np.int64)

    pos = {n: i for i, n in enumerate(feature_names)}
    unknown = [n for n in feature_names if n not in {b for names in blocks.values() for b in names}]
    if unknown:
        raise QdmlError("screening does not know how to assemble feature(s) "
                        f"{', '.join(unknown[:5])}; qdml.workflows.screening needs updating for this bundle")

    domain = bundle.domain
    lig_objs = [parse_ligand(x) for x in ligands]
    qd_objs = [parse_qd_composition(x) for x in qds]
    lig_codes, qd_codes, novelty = _novelty_tables(domain, lig_objs, qd_objs)

    sds = {t: (meta.get("target_models", {}).get(t, {}).get("sd") or 1.0) for t in targets}
    plan = ScreenPlan(
        ligands=np.asarray(ligands, dtype=object), qds=np.asarray(qds, dtype=object),
        ligand_ids=lig_ids, qd_ids=qd_ids, n_spec_qds=len(spec.compositions),
        feature_names=feature_names,
        lig_cols=np.asarray([pos[n] for n in blocks["ligand"]], dtype=np.int64),
        qd_cols=np.asarray([pos[n] for n in blocks["composition"]], dtype=np.int64),
        inter_cols=np.asarray([pos[n] for n in blocks["interaction"]], dtype=np.int64),
        lig_block=np.ascontiguousarray(lig_block, dtype=float), qd_block=np.ascontiguousarray(qd_block, dtype=float),
        inter=InteractionTable(ligands, qds) if ligands and qds else None,
        targets=targets,
        regressors={t: bundle.models[t].named_steps["regressor"] for t in targets},
        confidence=float(spec.confidence), by=spec.by,
        weights={t: float(spec.weights.get(t, 1.0)) for t in targets}, sds=sds, domain=domain,
        lig_novelty=lig_codes, qd_novelty=qd_codes, novelty_text=novelty,
        skipped={"ligands": lig_bad, "compositions": qd_bad},
        qd_window=_windows(qds),
        goals={t: float(v) for t, v in spec.goals.items()},
        **_peak_tables(ligands, qds, spec.sample),
    )
    if check and plan.n_candidates:
        _check_plan(plan, featurizer, spec)
    return plan


def _peak_tables(ligands: list[str], qds: list[str], sample: dict) -> dict:
    """Per ligand and per composition, what ``predict`` applies to the peak after the model:
    untreated ligands, halide exchange on perovskites, and colours the composition cannot emit."""
    size = sample.get("size_nm")
    size = float(size) if size is not None else None
    native = np.array([is_untreated(x) for x in ligands], dtype=bool)
    code = {h: i + 1 for i, h in enumerate(HALIDES)}
    halide = np.array([code.get(ligand_halide(x), 0) for x in ligands], dtype=np.int64)
    table = np.zeros((len(qds), len(HALIDES) + 1, 2))
    table[:, :, 1] = np.nan
    notes = np.full((len(qds), len(HALIDES) + 1), "", dtype=object)
    for q, qd in enumerate(qds):
        for h, k in code.items():
            if (halide == k).any() and (ex := exchange_with(qd, h, size)) is not None:
                table[q, k] = (ex.shift_ev, ex.full_peak_nm)
                notes[q, k] = ex.note
    frame = pd.DataFrame({"ligand": "Cl-", "qd": qds, **{k: v for k, v in sample.items()}})
    conflict = sample_reasons(frame) if qds else np.zeros(0, dtype=object)
    words, code = np.unique(notes.astype(str), return_inverse=True)
    return {"lig_native": native, "lig_halide": halide, "qd_exchange": table, "qd_conflict": conflict,
            "note_words": words, "note_code": code.reshape(notes.shape).astype(np.int32)}


def _peak_context(plan: ScreenPlan, Xdf: pd.DataFrame, li: np.ndarray, qi: np.ndarray) -> PeakContext | None:
    """The :class:`~qdml.learn.predictor.PeakContext` of candidates, from the plan's tables."""
    if plan.lig_native is None or PEAK_PRIOR_COLUMN not in Xdf.columns:
        return None
    from_colour = np.zeros(len(li), bool)
    if "qd__el_color_missing" in Xdf.columns and "qd__pristine_peak_missing" in Xdf.columns:
        from_colour = (Xdf["qd__el_color_missing"].to_numpy() == 0) & (Xdf["qd__pristine_peak_missing"].to_numpy() == 1)
    ex = plan.qd_exchange[qi, plan.lig_halide[li]]
    shift = np.where(from_colour, 0.0, ex[:, 0])
    full = np.where(from_colour, np.nan, ex[:, 1])
    return PeakContext(Xdf[PEAK_PRIOR_COLUMN].to_numpy(float), plan.lig_native[li], shift, full,
                       np.full(len(li), "", dtype=object))


def _windows(qds: list[str]) -> np.ndarray:
    """Peak window per composition, as ``predict`` clips peaks (``-inf``/``inf`` where unknown)."""
    return np.column_stack(peak_windows(qds)) if qds else np.zeros((0, 2))


def _featurize_rows(fn, values: list[str], bad: dict, what: str) -> tuple[np.ndarray, list[int]]:
    """``fn`` on all values at once; if that raises, one at a time to find and skip the culprits."""
    if not values:
        return np.zeros((0, 0)), []
    try:
        return np.asarray(fn(values), dtype=float), list(range(len(values)))
    except (QdmlError, ValueError, KeyError) as exc:
        log.info("featurizing %d %ss at once failed (%s); retrying one by one", len(values), what, exc)
    rows, keep = [], []
    for i, v in enumerate(values):
        try:
            rows.append(np.asarray(fn([v]), dtype=float)[0])
            keep.append(i)
        except (QdmlError, ValueError, KeyError) as exc:
            bad[v] = f"{what}: cannot featurize ({exc})"
    return (np.vstack(rows) if rows else np.zeros((0, 0))), keep


def _novelty_tables(domain, lig_objs, qd_objs):
    """Reason prefixes for unseen elements, ligand classes and families, per (ligand code, qd code)."""
    if domain is None:
        z_l, z_q = np.zeros(len(lig_objs), np.int64), np.zeros(len(qd_objs), np.int64)
        return z_l, z_q, np.array([[""]], dtype=object)
    seen_el, seen_cls, seen_fam = set(domain.elements_), set(domain.ligand_classes_), set(domain.families_)

    def codes(keys):
        table: dict = {}
        return np.asarray([table.setdefault(k, len(table)) for k in keys], dtype=np.int64), list(table)

    lig_keys = [(frozenset(ligand_elements(o) - seen_el), o.ligand_class if o.ligand_class not in seen_cls else None)
                for o in lig_objs]
    qd_keys = [(frozenset(qd_elements(o) - seen_el), o.family if o.family not in seen_fam else None) for o in qd_objs]
    lig_codes, lig_uniq = codes(lig_keys)
    qd_codes, qd_uniq = codes(qd_keys)
    text = np.empty((max(1, len(lig_uniq)), max(1, len(qd_uniq))), dtype=object)
    text[:] = ""
    for a, (lel, cls) in enumerate(lig_uniq):
        for b, (qel, fam) in enumerate(qd_uniq):
            text[a, b] = novelty_reason(lel | qel, cls, fam)
    return lig_codes, qd_codes, text


def _check_plan(plan: ScreenPlan, featurizer, spec: ScreenSpec) -> None:
    """Compare assembled rows with ``transform_frame`` on a deterministic sample of candidates.

    Block assembly must give the featurizer's own rows; a difference is a bug, never a fallback.
    """
    n = plan.n_candidates
    rng = np.random.default_rng(0)
    idx = np.unique(np.concatenate([[0, n - 1], rng.integers(0, n, size=min(_CHECK_ROWS, n))]))
    li, qi = np.divmod(idx, len(plan.qds))
    frame = pd.DataFrame({"ligand": plan.ligands[li], "qd": plan.qds[qi]})
    for k, v in spec.sample.items():
        frame[k] = v
    ref = featurizer.transform_frame(frame)[plan.feature_names].to_numpy(float)
    got = assemble(plan, idx)
    close = np.isclose(got, ref, rtol=1e-9, atol=1e-9, equal_nan=True)
    if not close.all():
        bad = np.argwhere(~close)[0]
        raise QdmlError(f"screening features differ from the bundle's featurizer in column "
                        f"{plan.feature_names[bad[1]]!r} ({frame.iloc[bad[0]].to_dict()}); this is a bug in qdml")


# =========================================================================== chunks


def assemble(plan: ScreenPlan, idx: np.ndarray) -> np.ndarray:
    """Feature matrix of resolved candidates ``idx`` by integer indexing into the unique blocks."""
    li, qi = np.divmod(np.asarray(idx, dtype=np.int64), len(plan.qds))
    X = np.empty((len(idx), len(plan.feature_names)), dtype=float)
    X[:, plan.lig_cols] = plan.lig_block[li]
    X[:, plan.qd_cols] = plan.qd_block[qi]
    X[:, plan.inter_cols] = plan.inter.terms(li, qi)
    return X


def _assess(plan: ScreenPlan, X: np.ndarray, li: np.ndarray, qi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(in_domain, domain_reason, distance ratio) as ``ApplicabilityDomain.assess``, in bulk."""
    n = len(li)
    if plan.domain is None:
        return np.ones(n, bool), np.full(n, "", dtype=object), np.zeros(n)
    dom = plan.domain
    Z = dom.scaler_.transform(X)
    d, _ = dom.nn_.kneighbors(Z, n_neighbors=1)
    d = d[:, 0]
    ratio = d / dom.threshold_ if dom.threshold_ > 0 else np.where(d > 0, np.inf, 0.0)
    prefix = plan.novelty_text[plan.lig_novelty[li], plan.qd_novelty[qi]]
    if plan.qd_conflict is not None and len(plan.qd_conflict):
        clash = plan.qd_conflict[qi]
        prefix = np.where(clash == "", prefix, np.where(prefix == "", clash, prefix + "; " + clash))
    far = ratio > 1
    reason = prefix.copy()
    if far.any():
        dist = np.array([distance_reason(r, dom.quantile) for r in ratio[far]], dtype=object)
        pre = prefix[far]
        reason[far] = np.where(pre == "", dist, pre + "; " + dist)
    return reason == "", reason, ratio


def score_chunk(plan: ScreenPlan, start: int, stop: int):
    """Predict resolved candidates ``start:stop``; return a pyarrow Table (one row per candidate).

    Columns: ``candidate`` (index in the spec's full product), ``ligand``, ``qd``, then per target
    ``<t>_pred``, ``<t>_lo``, ``<t>_hi``, then ``score``, ``in_domain``, ``domain_reason``, ``note``
    (what the chemistry says of the pair, as ``predict`` words it: a halide exchange that changes the colour).
    """
    import pyarrow as pa

    idx = np.arange(start, stop, dtype=np.int64)
    li, qi = np.divmod(idx, len(plan.qds))
    X = assemble(plan, idx)
    Xdf = pd.DataFrame(X, columns=plan.feature_names, copy=False)
    in_domain, reason, ratio = _assess(plan, X, li, qi)
    assessment = pd.DataFrame({"domain_reason": reason, "domain_distance": ratio}) if plan.domain is not None else None
    cols = {
        "candidate": pa.array(plan.spec_index(idx)),
        "ligand": pa.DictionaryArray.from_arrays(pa.array(li.astype(np.int32)), pa.array(plan.ligands.tolist(), pa.string())),
        "qd": pa.DictionaryArray.from_arrays(pa.array(qi.astype(np.int32)), pa.array(plan.qds.tolist(), pa.string())),
    }
    score = np.zeros(len(idx))
    window = (plan.qd_window[qi, 0], plan.qd_window[qi, 1]) if plan.qd_window is not None else None
    context = _peak_context(plan, Xdf, li, qi)
    for t in plan.targets:
        pred, lo, hi = plan.regressors[t].predict_interval(Xdf, plan.confidence)
        pred, lo, hi = finish_prediction(t, pred, lo, hi, assessment, window,
                                         context if get_target(t).learned_as == "energy-shift" else None)
        cols[f"{t}_pred"], cols[f"{t}_lo"], cols[f"{t}_hi"] = pa.array(pred), pa.array(lo), pa.array(hi)
        score += plan.weights[t] * target_score(t, plan.by, pred, lo, hi, plan.goals.get(t)) / (plan.sds[t] if len(plan.targets) > 1 else 1.0)
    cols["score"] = pa.array(score)
    cols["in_domain"] = pa.array(in_domain)
    cols["domain_reason"] = pa.array(reason.tolist(), pa.string())
    if plan.note_code is not None:  # one note per (composition, halide): dictionary-encoded, as predict words it
        cols["note"] = pa.DictionaryArray.from_arrays(pa.array(plan.note_code[qi, plan.lig_halide[li]]),
                                                      pa.array(plan.note_words.tolist(), pa.string()))
    return pa.table(cols)


# =========================================================================== running


@dataclass
class ScreenResult:
    """What a screen produced: counts, the top candidates per target, timing."""

    n_spec: int                    # candidates the spec describes
    n_screened: int                # resolved candidates predicted
    n_skipped: int                 # candidates skipped because a ligand or composition did not resolve
    skipped: dict                  # {"ligands": {name: reason}, "compositions": {name: reason}}
    top: dict                      # {target or "score": DataFrame of the best, rank 1 first}
    targets: list[str]
    by: str
    confidence: float
    output: str | None
    seconds: float
    n_chunks: int
    backend: str

    @property
    def rate(self) -> float:
        return self.n_screened / self.seconds if self.seconds > 0 else float("inf")


class _Writer:
    """Append pyarrow tables to Parquet or CSV (by suffix), via a temporary file renamed at the end.

    The path is checked when the writer is made (before any work); CSV text cells are made
    spreadsheet-safe like every qdml CSV (:func:`qdml.data.io.guard_cell`), and CSV numbers are
    rounded to what the data supports (the target's decimals; ``score`` to ``score_decimals``);
    Parquet keeps full floats for programs.
    """

    def __init__(self, path: str | os.PathLike, inputs=(), score_decimals: int = 3):
        self.score_decimals = score_decimals
        self.path = check_output(path, "--output", inputs=inputs)
        suffix = self.path.suffix.lower()
        if suffix not in (".parquet", ".pq", ".csv"):
            raise QdmlError(f"--output {self.path}: use a .parquet or .csv file name")
        self.kind = "csv" if suffix == ".csv" else "parquet"
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._w = None

    def write(self, table) -> None:
        import pyarrow as pa

        if self.kind == "csv":
            import pyarrow.csv as pacsv

            table = pa.table({n: self._csv_column(n, c) for n, c in zip(table.column_names, table.columns)})
            if self._w is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._w = pacsv.CSVWriter(str(self.tmp), table.schema)
        else:
            import pyarrow.parquet as pq

            if self._w is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._w = pq.ParquetWriter(str(self.tmp), table.schema, compression="zstd")
        self._w.write_table(table)

    def _csv_column(self, name: str, column):
        import pyarrow as pa
        import pyarrow.compute as pc

        if pa.types.is_floating(column.type):
            target = column_target(name)
            if target is not None and name != target.name:
                return pc.round(column, target.decimals)
            if name == "score":
                return pc.round(column, self.score_decimals)
            return column
        return _guard_column(column)

    def close(self, ok: bool) -> None:
        try:
            if self._w is not None:
                self._w.close()
            if ok and self._w is not None:
                os.replace(self.tmp, self.path)
        except OSError as exc:
            ok = False
            raise QdmlError(f"--output {self.path}: cannot write the file ({exc.strerror or exc})") from None
        finally:
            if not ok and self.tmp.exists():
                self.tmp.unlink()


def _guard_column(column):
    """A text column of a CSV output as :func:`qdml.data.io.guard_cell` writes it (numbers untouched)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        column = column.cast(pa.string())
    if not pa.types.is_string(column.type) or len(column) == 0:
        return column
    if not pc.any(pc.match_substring_regex(column, r"^[=+\-@\t\r]")).as_py():
        return column
    return pa.array([guard_cell(v) for v in column.to_pylist()], pa.string())


class _TopN:
    """Running top-N per key column (larger is better; ties by candidate index), chunk by chunk."""

    def __init__(self, keys: dict[str, callable], n: int):
        self.keys, self.n = keys, n
        self.best: dict[str, pd.DataFrame | None] = {k: None for k in keys}

    def add(self, table) -> None:
        for name, key in self.keys.items():
            values = key(table)
            values = np.where(np.isfinite(values), values, -np.inf)
            if len(values) == 0:
                continue
            # rows are in candidate order, so a stable sort breaks ties by candidate index
            part = np.sort(np.argsort(-values, kind="stable")[: self.n])
            rows = table.take(part).to_pandas()
            rows["_key"] = values[part]
            best = rows if self.best[name] is None else pd.concat([self.best[name], rows], ignore_index=True)
            best = best.sort_values(["_key", "candidate"], ascending=[False, True], kind="mergesort")
            self.best[name] = best.head(self.n).reset_index(drop=True)

    def result(self) -> dict[str, pd.DataFrame]:
        out = {}
        for name, best in self.best.items():
            if best is None:
                continue
            best = best.drop(columns="_key")
            for c in ("ligand", "qd"):
                best[c] = best[c].astype(str)
            best.insert(0, "rank", np.arange(1, len(best) + 1))
            out[name] = best
        return out


def chunk_bounds(n: int, chunk_size: int):
    """Lazily yield (start, stop) of each chunk."""
    for start in range(0, n, chunk_size):
        yield start, min(start + chunk_size, n)


def screen(
    spec: ScreenSpec | str | os.PathLike,
    model=None,
    output: str | os.PathLike | None = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
    client=None,
    progress=None,
    limit: int | None = None,
    chunk_size: int | None = None,
    top: int | None = None,
    plan: ScreenPlan | None = None,
    models_dir=None,
) -> ScreenResult:
    """Screen every candidate of ``spec``; stream rows to ``output`` (.parquet or .csv) and return the top.

    Parameters
    ----------
    spec : ScreenSpec or path of a TOML spec
    model : bundle, bundle name or folder (default: the spec's ``model``, else ``default``)
    output : where to write every candidate's row; None writes nothing (only the summary)
    n_jobs : local worker processes (joblib/loky); 1 runs in this process; -1 every core
    scheduler : ``tcp://HOST:PORT`` of a Dask distributed scheduler to run the chunks there
    client : an existing ``distributed.Client`` (instead of ``scheduler``; tests use a LocalCluster)
    progress : callable ``progress(done, total)`` called after each chunk
    limit : screen only the first ``limit`` resolved candidates
    chunk_size, top : override the spec's values
    plan : a plan already built for this spec and bundle (benchmarks reuse one)
    models_dir : folder of named bundles (default: ``$QDML_MODELS_DIR``, else the user data folder)
    """
    from joblib import Parallel, delayed, parallel_config


    if not isinstance(spec, ScreenSpec):
        spec = load_spec(spec)
    for flag, value in (("--chunk-size", chunk_size), ("--top", top)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise QdmlError(f"{flag} {value}: must be a positive whole number")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise QdmlError(f"--jobs {n_jobs}: give a number of processes (1, 2, ...; -1 = every core)")
    if scheduler is not None:
        check_scheduler(scheduler)
    output = output or spec.output
    writer = _Writer(output, inputs=[spec.path] if spec.path else []) if output else None
    if plan is None:
        bundle = model if isinstance(model, Bundle) else load_bundle(model or spec.model, models_dir)
        plan = build_plan(bundle, spec)
    chunk = int(chunk_size or spec.chunk_size)
    n_top = int(top or spec.top)
    n = plan.n_candidates if limit is None else min(int(limit), plan.n_candidates)
    n_skipped = spec.n_candidates - plan.n_candidates

    keys = {t: (lambda tab, t=t: target_score(t, plan.by, tab[f"{t}_pred"].to_numpy(), tab[f"{t}_lo"].to_numpy(),
                                               tab[f"{t}_hi"].to_numpy(), plan.goals.get(t))) for t in plan.targets}
    if len(plan.targets) > 1:
        keys["score"] = lambda tab: tab["score"].to_numpy()
    topn = _TopN(keys, n_top)
    if writer is not None:  # a single target's score is in its unit; several: SD units
        writer.score_decimals = get_target(plan.targets[0]).decimals if len(plan.targets) == 1 else 3
    tasks = (delayed(score_chunk)(plan, a, b) for a, b in chunk_bounds(n, chunk))
    n_chunks = math.ceil(n / chunk) if n else 0

    if scheduler or client is not None:
        backend = "dask"
        own_client = None
        if client is None:
            try:
                from distributed import Client
            except ImportError:
                raise QdmlError("--scheduler needs dask.distributed: pip install 'qdml[screen]'") from None
            try:
                own_client = client = Client(scheduler, set_as_default=False, timeout="20s")
            except (OSError, ValueError, TypeError) as exc:
                raise QdmlError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
        config = parallel_config(backend="dask", client=client, scatter=[plan])
        jobs = -1
    else:
        backend = "loky" if n_jobs != 1 else "sequential"
        own_client = None
        config = parallel_config(backend="loky") if n_jobs != 1 else parallel_config(backend="sequential")
        jobs = n_jobs
    done, ok = 0, False
    t0 = time.perf_counter()
    try:
        with config:
            for table in Parallel(n_jobs=jobs, return_as="generator", pre_dispatch="2*n_jobs", batch_size=1)(tasks):
                if writer is not None:
                    writer.write(table)
                topn.add(table)
                done += table.num_rows
                if progress is not None:
                    progress(done, n)
        ok = True
    finally:
        if writer is not None:
            writer.close(ok)
        if own_client is not None:
            try:
                own_client.close()
            except (OSError, RuntimeError) as exc:  # a scheduler gone away: the results are already in
                log.warning("closing the Dask client: %s", exc)
    seconds = time.perf_counter() - t0
    return ScreenResult(
        n_spec=spec.n_candidates, n_screened=done, n_skipped=n_skipped, skipped=plan.skipped,
        top=topn.result(), targets=plan.targets, by=plan.by, confidence=plan.confidence,
        output=str(output) if output else None, seconds=seconds, n_chunks=n_chunks, backend=backend,
    )


def check_scheduler(address: str) -> str:
    """A Dask scheduler address such as ``tcp://10.0.0.5:8786``; anything else is refused at once."""
    from urllib.parse import urlsplit

    schemes = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
    try:
        parts = urlsplit(address)
        ok = parts.scheme in schemes and bool(parts.hostname) and parts.path in ("", "/") and (parts.port is not None or parts.scheme == "inproc")
    except ValueError:
        ok = False
    if not ok or any(ch.isspace() for ch in address):
        raise QdmlError(f"--scheduler {address!r}: not a scheduler address; write tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)")
    return address


def read_output(path: str | os.PathLike) -> pd.DataFrame:
    """Read a screening output back (Parquet or CSV) as a DataFrame, ligand and qd as strings."""
    p = Path(path)
    if p.suffix.lower() == ".csv":
        frame = pd.read_csv(p, keep_default_na=False, na_values=[""],
                            dtype={"ligand": str, "qd": str, "domain_reason": str, "note": str})
        for c in ("ligand", "qd", "domain_reason", "note"):
            if c not in frame.columns:
                continue
            frame[c] = frame[c].map(lambda v: unguard_cell(v) if isinstance(v, str) else v)
        return frame
    import pyarrow.parquet as pq

    frame = pq.read_table(p).to_pandas()
    for c in ("ligand", "qd", "note"):
        if c in frame.columns:
            frame[c] = frame[c].astype(str)
    return frame
