"""No notation parser may hang on a string: random and adversarial text, each call within a budget.

The composition parser once held a doped-prefix pattern with a nested quantifier that backtracked
exponentially (``"Cs" * 13 + "PbBr3"`` took 8.5 s, ``"C" * 117`` never returned). The budget is
generous on purpose (CI machines are noisy); what it catches is exponential time, which blows
through any budget. An alarm interrupts a runaway regex (the engine checks for signals), so a
regression fails here instead of hanging the suite.
"""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qdml.chemistry import composition, ligands
from qdml.chemistry.composition import parse_qd_composition
from qdml.chemistry.ligands import parse_ligand
from qdml.exceptions import QdmlError
from qdml.workflows.screening import _slots, expand_template

BUDGET_S = 2.0

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")


class TooSlow(BaseException):
    """Not an Exception: the parsers turn any Exception into a parse error, this must get through."""


@contextmanager
def budget(seconds: float = BUDGET_S):
    def alarm(signum, frame):
        raise TooSlow

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def within_budget(fn, text: str) -> None:
    """``fn(text)`` returns or raises a QdmlError, within the budget; anything else fails."""
    start = time.perf_counter()
    try:
        with budget():
            fn(text)
    except QdmlError:
        pass
    except TooSlow:
        pytest.fail(f"{fn.__qualname__} took over {BUDGET_S} s on {text[:60]!r}... ({len(text)} characters)")
    assert time.perf_counter() - start < BUDGET_S


@pytest.fixture(scope="module", autouse=True)
def warm_tables():
    """Load the knowledge base, element tables (mendeleev) and rdkit once, outside any budget."""
    for text in ("SCN-", "[O-]C(=O)c1ccccc1", "Cs+/Rb+", "KBr", "In(NO3)3", "Yb3+", "Xe5+"):
        try:
            parse_ligand(text)
        except QdmlError:
            pass
    parse_qd_composition("CsPbBr3")


#: Pieces that real notations repeat; runs of them are where backtracking patterns blow up.
UNITS = ["Cs", "C", "Pb", "Br", "I", "(", ")", "Cs(", "x", "0.", "0.4", "-", "+", "Yb3+", "Mn,", "&",
         "doped", "-doped", "^", " ", "/", "@", ":", "{", "}", "A", "a", "3-", "2+", "[", "]", "=", "SO4", "%"]
TAILS = ["", "PbBr3", "-doped CsPbCl3", ")", "!", "3-", "Br3:", " 2-", "doped", "+", "x)3", "Cl1-x"]
ALPHABET = "CsPbBrClIFAMxyz0123456789.()[]{}/-+@:,;&%^_ dopedYbMn" + "₀₂₃⁺⁻–"

adversarial = st.builds(lambda unit, n, tail: unit * n + tail, st.sampled_from(UNITS), st.integers(1, 400),
                        st.sampled_from(TAILS))
random_text = st.text(alphabet=ALPHABET, max_size=320) | st.text(max_size=120)
long_runs = st.builds(lambda ch, tail: ch * 10_000 + tail, st.sampled_from(list("C(0-x+ {A") + ["Cs", "Br"]),
                      st.sampled_from(TAILS))
strings = adversarial | random_text | long_runs

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(strings)
@example("Cs" * 13 + "PbBr3")
@example("C" * 117)
@example("Cs" * 19 + "PbBr3")  # a 41-character QD cell: validate once took 109 s on it
@example("C" * 199)
@example("Yb3+," * 39 + "-doped CsPbCl3")
def test_composition_parser_returns_in_time(text):
    within_budget(parse_qd_composition, text)


@SETTINGS
@given(strings)
@example("K0Br")
@example("(" * 150 + ")" * 150)
@example("-" * 299)
@example("SO4" + " " * 290 + "2-")
@example("Cs+/" * 75)
def test_ligand_parser_returns_in_time(text):
    within_budget(parse_ligand, text)


@SETTINGS
@given(st.builds(lambda unit, tail: unit * 10_000 + tail, st.sampled_from(UNITS), st.sampled_from(TAILS)))
def test_scanners_are_linear_on_10000_characters(text):
    """The pieces that scan a whole string before any length cap: dopant prefix, normalisation, slots."""
    within_budget(lambda s: composition._split_dopants(composition._normalize(s), s), text)
    within_budget(ligands.normalize, text)
    within_budget(_slots, text)


@SETTINGS
@given(strings)
def test_template_expansion_returns_in_time(text):
    within_budget(lambda s: expand_template(s + "Cs{1-x}PbBr3", {"x": [0, 0.5]}), text)


def test_every_input_gives_a_composition_or_a_parse_error():
    """Inputs that once escaped as other exceptions (ZeroDivisionError, ...) are parse errors now."""
    for text in ("K0Br", "Zn0(NO3)2", "(NH4)0Br", "K" + "9" * 50 + "Br"):
        with pytest.raises(QdmlError):
            parse_ligand(text)
