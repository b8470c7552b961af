"""Element and ion data: the shipped tables hold mendeleev's values and regenerate to the same bytes."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from qdml.chemistry import elements
from qdml.data import bundled_path
from qdml.exceptions import QdmlError

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "make_element_table.py"


def _script():
    spec = importlib.util.spec_from_file_location("make_element_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regenerating_the_tables_gives_the_same_files():
    mendeleev = pytest.importorskip("mendeleev")
    header = bundled_path("elements.csv").read_text(encoding="utf-8").splitlines()[0]
    made_with = re.search(r"mendeleev (\S+)", header).group(1)
    if mendeleev.__version__ != made_with:
        pytest.skip(f"tables were made with mendeleev {made_with}, {mendeleev.__version__} is installed")
    for name, text in _script().build().items():
        assert bundled_path(name).read_text(encoding="utf-8") == text, f"{name}: run {_script().COMMAND}"


def test_header_names_the_version_and_the_command():
    for name in ("elements.csv", "ionic_radii.csv"):
        first = bundled_path(name).read_text(encoding="utf-8").splitlines()[0]
        assert re.search(r"mendeleev \d+\.\d+", first) and "python scripts/make_element_table.py" in first


@pytest.mark.parametrize(
    "ion, charge, eta",
    # Parr & Pearson, J. Am. Chem. Soc. 1983, 105, 7512: eta = (IE_q+1 - IE_q) / 2
    [("Zn", 2, 10.88), ("In", 3, 13.70), ("Cd", 2, 10.28), ("Cl", -1, 4.68), ("I", -1, 3.70)],
)
def test_absolute_hardness_of_ions(ion, charge, eta):
    assert elements.absolute_hardness_ev(ion, charge) == pytest.approx(eta, abs=0.01)


def test_shannon_radii_and_element_facts():
    # Shannon 1976: Cs+ XII 188, Pb2+ VI 119, Br- VI 196, S2- VI 184 pm; no entry for Sn2+ or P3-
    assert elements.shannon_radius_pm("Cs", 1, "XII") == 188.0
    assert elements.shannon_radius_pm("Pb", 2) == 119.0
    assert elements.shannon_radius_pm("Br", -1) == 196.0
    assert elements.shannon_radius_pm("Cl", -1, kind="crystal") == 167.0
    assert elements.shannon_radius_pm("S", -2) == 184.0
    assert elements.shannon_radius_pm("Sn", 2) is None and elements.shannon_radius_pm("P", -3) is None
    assert elements.shannon_charges("Pb") == [2, 4]
    assert elements.electronegativity_pauling("Cs") == 0.79
    assert elements.electronegativity_pauling("Ne") is None  # no Pauling value for a noble gas
    assert elements.atomic_mass("In") == pytest.approx(114.818)
    assert elements.atomic_number("Og") == 118
    assert elements.ionization_energy_ev("Na") == pytest.approx(5.139, abs=1e-3)


def test_every_tabulated_cation_has_the_ionization_energies_its_hardness_needs():
    for (symbol, charge) in elements._tables()["radii"]:
        if 0 < charge < elements.atomic_number(symbol):  # H+ has no second electron to lose
            assert elements.ionization_energy_ev(symbol, charge + 1) is not None, (symbol, charge)
            assert elements.absolute_hardness_ev(symbol, charge) is not None, (symbol, charge)


def test_unknown_names_fail_loudly():
    with pytest.raises(KeyError, match="elements.csv has no column"):
        elements.element_property("Cs", "en_paulng")
    with pytest.raises(QdmlError, match="unknown element symbol"):
        elements.shannon_radius_pm("CS", 1)
