"""Validation: each kind of bad input gets its own error with the right line and column."""

from __future__ import annotations

import math

import pytest

from qdml.data.schema import COLUMNS
from qdml.exceptions import ValidationError
from qdml.validation import read_validated, validate_file
from tests.conftest import HEADER, ROW_CL, ROW_IN, ROW_SCN, write_csv


def problems_of(path):
    before = path.read_bytes()
    with pytest.raises(ValidationError) as info:
        read_validated(path)
    assert path.read_bytes() == before, "validation must never change the file"
    return info.value.problems


def test_good_file_reads_with_lines_as_index(good_csv):
    data = read_validated(good_csv)
    assert list(data.frame.index) == [2, 3, 4]
    assert data.frame.loc[2, "eqe"] == 17.3
    assert data.frame.loc[2, "lmax_cd_m2"] == 48000
    assert math.isnan(data.frame.loc[4, "fwhm_nm"])
    # optional columns are filled, file order kept, nothing dropped
    assert list(data.frame.columns[: len(COLUMNS)]) == COLUMNS
    assert data.frame.loc[3, "flags"] == ""


def test_extra_columns_are_kept(tmp_path):
    path = write_csv(tmp_path, "ligand,qd,plqy,batch\nKBr,CsPbBr3,80,B7\n")
    data = read_validated(path)
    assert data.frame.loc[2, "batch"] == "B7"


def test_bom_is_accepted(tmp_path):
    path = write_csv(tmp_path, "\ufeff" + HEADER + "\n" + ROW_SCN + "\n")
    assert read_validated(path).n_rows == 1


def test_not_utf8_names_line(tmp_path):
    path = tmp_path / "latin1.csv"
    text = (HEADER + "\n" + ROW_SCN + "\n" + ROW_CL + "\n").encode("utf-8")
    path.write_bytes(text.replace(b"Feng", "Fëng".encode("latin-1")))  # a latin-1 export
    (p,) = problems_of(path)
    assert p.line == 3 and "UTF-8" in p.message


@pytest.mark.parametrize("text", ["", "   \n\n"])
def test_empty_file(tmp_path, text):
    (p,) = problems_of(write_csv(tmp_path, text))
    assert "empty" in p.message


def test_header_only(tmp_path):
    (p,) = problems_of(write_csv(tmp_path, HEADER + "\n"))
    assert "no data rows" in p.message


def test_wrong_field_count_names_line(tmp_path):
    path = write_csv(tmp_path, "\n".join([HEADER, ROW_SCN, ROW_CL + ",extra", ROW_IN]) + "\n")
    (p,) = problems_of(path)
    assert p.line == 3 and "fields" in p.message


def test_missing_required_column(tmp_path):
    (p,) = problems_of(write_csv(tmp_path, "ligand,eqe\nSCN-,17.3\n"))
    assert p.column == "qd" and p.line == 1


def test_no_measured_column(tmp_path):
    (p,) = problems_of(write_csv(tmp_path, "ligand,qd,reference\nSCN-,CsPbBr3,x\n"))
    assert "measured" in p.message


@pytest.mark.parametrize("bad", ["abc", "inf", "nan", "-inf", "NaN"])
def test_non_finite_numbers(tmp_path, bad):
    path = write_csv(tmp_path, f"ligand,qd,eqe,plqy\nSCN-,CsPbBr3,17.3,82\nCl-,CsPbI3,{bad},90\n")
    (p,) = problems_of(path)
    assert (p.line, p.column) == (3, "eqe")


@pytest.mark.parametrize(
    "column,value",
    [("plqy", "140"), ("eqe", "-1"), ("eqe", "100.5"), ("peak_nm", "200"), ("peak_nm", "3000"),
     ("fwhm_nm", "0"), ("von_v", "-2"), ("lmax_cd_m2", "-5"), ("lifetime_ns", "0")],
)
def test_out_of_range(tmp_path, column, value):
    path = write_csv(tmp_path, f"ligand,qd,{column}\nSCN-,CsPbBr3,{value}\n")
    (p,) = problems_of(path)
    assert (p.line, p.column) == (2, column) and "range" in p.message


def test_quantum_cutting_plqy_above_100_allowed_only_when_flagged(tmp_path):
    ok = write_csv(tmp_path, "ligand,qd,plqy,flags\nYb3+,CsPbCl3,127.8,quantum-cutting\n", "ok.csv")
    assert read_validated(ok).frame.loc[2, "plqy"] == 127.8
    bad = write_csv(tmp_path, "ligand,qd,plqy,flags\nYb3+,CsPbCl3,127.8,\n", "bad.csv")
    (p,) = problems_of(bad)
    assert "quantum-cutting" in p.message


def test_bad_role(tmp_path):
    (p,) = problems_of(write_csv(tmp_path, "ligand,qd,role,eqe\nSCN-,CsPbBr3,after,17.3\n"))
    assert (p.line, p.column) == (2, "role")


def test_exact_duplicate_row(tmp_path):
    path = write_csv(tmp_path, "\n".join([HEADER, ROW_SCN, ROW_CL, ROW_SCN]) + "\n")
    (p,) = problems_of(path)
    assert p.line == 4 and "duplicate of line 2" in p.message


def test_all_errors_reported_at_once(tmp_path):
    path = write_csv(tmp_path, "ligand,qd,eqe,plqy\nSCN-,CsPbBr3,-3,82\nCl-,CsPbI3,26.1,140\n")
    problems = problems_of(path)
    assert [(p.line, p.column) for p in problems] == [(2, "eqe"), (3, "plqy")]


def test_error_is_one_line_with_file_line_column(tmp_path):
    path = write_csv(tmp_path, "ligand,qd,eqe\nSCN-,CsPbBr3,-3\n")
    (p,) = problems_of(path)
    text = str(p)
    assert "\n" not in text and str(path) in text and ":2" in text and "'eqe'" in text


def test_semicolon_file_is_detected_and_read_whole(tmp_path):
    path = write_csv(tmp_path, "ligand;qd;eqe;plqy\nSCN-;CsPbBr3;17.3;82\nCl-;CsPbI3;26.1;90\n")
    data = read_validated(path)
    assert data.delimiter == ";" and list(data.frame["eqe"]) == [17.3, 26.1]


def test_semicolon_file_with_decimal_commas_is_read_and_said(tmp_path, caplog):
    # what a German or French spreadsheet exports: semicolons between cells, commas in numbers
    path = write_csv(tmp_path, "ligand;qd;eqe;plqy\nSCN-;CsPbBr3;17,3;82,5\nCl-;CsPbI3;26,1;90\n")
    with caplog.at_level("WARNING"):
        data = read_validated(path)
    assert list(data.frame["eqe"]) == [17.3, 26.1] and list(data.frame["plqy"]) == [82.5, 90.0]
    assert any("decimal commas" in r.getMessage() and str(path) in r.getMessage() for r in caplog.records)


def test_thousands_comma_stays_an_error_in_a_comma_file_and_when_ambiguous(tmp_path):
    comma = write_csv(tmp_path, 'ligand,qd,lmax_cd_m2\nSCN-,CsPbBr3,"48,000"\n', "comma.csv")
    (p,) = problems_of(comma)
    assert (p.line, p.column) == (2, "lmax_cd_m2") and "48000" in p.message
    # 48,000 alone may be 48000 or 48.0: no cell of the file decides, so it is not guessed
    semi = write_csv(tmp_path, "ligand;qd;lmax_cd_m2\nSCN-;CsPbBr3;48,000\n", "semi.csv")
    (p,) = problems_of(semi)
    assert (p.line, p.column) == (2, "lmax_cd_m2") and "not a number" in p.message


def test_leading_blank_line_does_not_defeat_semicolon_detection(tmp_path):
    path = write_csv(tmp_path, "\nligand;qd;eqe\nSCN-;CsPbBr3;17.3\n")
    data = read_validated(path)
    assert data.delimiter == ";" and data.frame.loc[3, "eqe"] == 17.3  # header on line 2, row on 3


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_is_named_not_misread(tmp_path, encoding):
    path = write_csv(tmp_path, HEADER + "\n" + ROW_SCN + "\n", encoding=encoding)
    (p,) = problems_of(path)
    assert "UTF-16" in p.message and "UTF-8" in p.message


@pytest.mark.parametrize("value", ["100.0001", "1e9", "-0.5"])
def test_range_message_shows_the_value_as_written(tmp_path, value):
    (p,) = problems_of(write_csv(tmp_path, f"ligand,qd,plqy\nKBr,CsPbBr3,{value}\n"))
    assert f"value {value} out of range" in p.message


def test_formula_guard_is_read_back_as_the_original(tmp_path):
    from qdml.data.io import guard_cell, unguard_cell

    for text in ("=HYPERLINK(1)", "+1+1", "-cmd", "@SUM(A1)"):
        assert guard_cell(text) == "'" + text and unguard_cell(guard_cell(text)) == text
    for text in ("SO4 2-", "Cs+/Rb+", "-3.5", "+4", "CsPbBr3", "", "'quoted"):
        assert guard_cell(text) == text and unguard_cell(text) == text
    path = write_csv(tmp_path, "ligand,qd,plqy,reference\nKBr,CsPbBr3,80,'=1+1\n")
    assert read_validated(path).frame.loc[2, "reference"] == "=1+1"


def test_turn_on_below_photon_energy_is_flagged_not_dropped(tmp_path):
    # Review Table 2 [154]: Cs+-Rb+ on FAPbI3, EL peak 405 nm, Von 0.5 V.
    path = write_csv(tmp_path, "ligand,qd,eqe,peak_nm,von_v\nCs+/Rb+,FAPbI3,15.84,405,0.5\n")
    data = read_validated(path)
    assert "implausible-von" in data.frame.loc[2, "flags"]
    assert data.training_rows().empty and len(data.training_rows(include_flagged=True)) == 1
    assert data.warnings and data.warnings[0].line == 2


def test_validate_file_lists_problems(tmp_path, good_csv):
    assert validate_file(good_csv) == []
    bad = write_csv(tmp_path, "ligand,qd,eqe\nSCN-,CsPbBr3,abc\n", "bad.csv")
    assert len(validate_file(bad)) == 1
