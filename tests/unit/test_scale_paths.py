"""The column-wise readers, validation and prediction give exactly what the per-row code gave.

Oracles: the implementations issue 24 replaced (``tests/oracle.py``), run on real rows of the
bundled dataset with every kind of fault a user file has.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from qdml.data import dataset_path
from qdml.data.io import read_csv_columns, read_csv_text
from qdml.exceptions import ValidationError
from qdml.validation import parse_numbers, read_pairs, read_validated
from tests.oracle import old_read_csv_text, old_read_pairs, old_validate_records


def _rows() -> tuple[list[str], list[list[str]]]:
    with open(dataset_path(), encoding="utf-8", newline="") as fh:
        header, *body = list(csv.reader(fh))
    return header, body


def _write(path, header, body, newline="\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows([header, *body])
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return str(path)


def _outcome(read):
    try:
        return read()
    except ValidationError as exc:
        return [str(p) for p in exc.problems]


def _same_validation(path) -> None:
    old = _outcome(lambda: old_validate_records(old_read_csv_text(path)))
    new = _outcome(lambda: read_validated(path))
    if isinstance(old, list) or isinstance(new, list):
        assert new == old
        return
    pd.testing.assert_frame_equal(new.frame, old.frame)
    assert new.sha256 == old.sha256 and new.delimiter == old.delimiter
    assert [str(w) for w in new.warnings] == [str(w) for w in old.warnings]


def test_bundled_dataset_validates_exactly_as_before(monkeypatch):
    import qdml.data.io as qio

    _same_validation(dataset_path())
    monkeypatch.setattr(qio, "_CHUNK", 4096)  # many pieces: long quoted evidence across their ends
    _same_validation(dataset_path())


def _faulty(header, body):
    """Real rows with one fault each (or a flag to add), plus untouched real rows around them."""
    col = {name: i for i, name in enumerate(header)}
    rows = [list(r) for r in body]

    def edit(k, **changes):
        for name, value in changes.items():
            rows[k][col[name]] = value

    edit(0, ligand="  ")                     # empty after stripping
    edit(1, qd="")
    edit(2, role="treatd", sample="cell", peak_type="UV")
    edit(3, eqe="abc", plqy="48,000", peak_nm="nan")
    edit(4, fwhm_nm="-3", von_v="inf", lifetime_ns="1e400")
    edit(5, plqy="120")                      # above 100 % without 'quantum-cutting'
    edit(6, plqy="127.8", flags="quantum-cutting: Yb3+ emits two photons")
    edit(7, ligand="unobtainium", qd="XyZ3")
    edit(8, eqe=" 12.5 ", plqy="\u00a048 000")  # spaces and a no-break space inside a number
    edit(9, peak_nm="905", el_color="green", qd="CsPbBr3")   # outside CsPbBr3's band-gap window
    edit(10, von_v="0.9", peak_nm="521")     # turn-on below 0.6 x the photon energy
    edit(11, eqe="-0", treatment="soaked", size_nm="0.1", abs_peak_nm="x")
    rows.append(list(rows[12]))              # an exact duplicate
    rows.append(list(rows[12]))              # and another
    controls = [r for r in rows if r[col["role"]] == "control" and r[col["pair_id"]]]
    rows.append(list(controls[0]))           # a second control for one pair_id ...
    rows[-1][col["evidence"]] += " (again)"  # ... not an exact duplicate
    return rows


def test_faulty_file_gives_the_same_problems(tmp_path):
    header, body = _rows()
    _same_validation(_write(tmp_path / "faulty.csv", header, _faulty(header, body)))


def test_flagged_rows_get_the_same_flags_and_warnings(tmp_path):
    header, body = _rows()
    rows = [list(r) for r in body]
    col = {name: i for i, name in enumerate(header)}
    rows[9][col["peak_nm"]], rows[9][col["qd"]] = "905", "CsPbBr3"
    rows[10][col["von_v"]], rows[10][col["peak_nm"]] = "0.9", "521"
    _same_validation(_write(tmp_path / "flagged.csv", header, rows, newline="\r\n"))


def test_a_lab_file_with_few_columns_and_a_bom(tmp_path):
    header, body = _rows()
    keep = [header.index(c) for c in ("ligand", "qd", "plqy", "peak_nm", "role")]
    rows = [[r[i] for i in keep] for r in body for _ in range(3)]
    for k, r in enumerate(rows):  # decimal commas, as a European spreadsheet writes them
        r[2] = f"{(k * 7.31) % 100:.2f}".replace(".", ",") if r[2] else r[2]
    rows[4][2] = "120,5"  # out of range, shown as written
    path = tmp_path / "lab.csv"
    text = "\ufeff" + "\n".join(";".join(f'"{v}"' if ";" in v else v for v in r) for r in [[header[i] for i in keep], *rows]) + "\n\n"
    path.write_text(text, encoding="utf-8")
    _same_validation(path)


@pytest.mark.parametrize("chunk", [1 << 23, 7])
@pytest.mark.parametrize("text", [
    'ligand,qd,plqy\nSCN-,CsPbBr3,82\n\n\n"Cl-","CsPbI3",90\r\n',
    'ligand,qd,plqy\r"S\nCN-",CsPbBr3,82\r,,\rKBr,CsPbBr3,\r',
    'ligand,qd,plqy\nSCN-,CsPbBr3\nKBr,CsPbBr3,1,2\n',
    'ligand,qd,plqy\nSCN-,"CsPbBr3,82\n',
    'ligand,qd,ligand\nSCN-,CsPbBr3,x\n',
    'ligand,qd,plqy\n',
    '  \n \n',
    b"ligand,qd,plqy\nSCN-,CsPb\xffBr3,82\n",
    b"\xef\xbb\xbfligand;qd;plqy\nSCN-;CsPbBr3;82\nKBr;CsPbBr3;1\n\xe2\x82\n",
    "\ufeffligand,qd,plqy\nSO\u2084\u00b2\u207b,\"CsPb(Br0.4\nCl0.6)3\",\u00a082\nIn3+,InP/ZnS,5\n",
    "ligand;qd;plqy;reference\nSCN-;CsPbBr3;48,000;Lu M, Guo J\nKBr;CsPbI3;82,5;'=A1\n",    # decimal commas
    "ligand;qd;plqy\nSCN-;CsPbBr3;48,000\n",                                          # ambiguous: stays '.'
    "\n  \nligand,qd,plqy\n'-SCN,CsPbBr3,82\n'@x,'+y,1\n",                           # guarded cells, blank start
    "ligand,qd,plqy\nSCN-,CsPbBr3,82\n".encode("utf-16"),
    b"l\x00i\x00g\x00a\x00n\x00d\x00,\x00q\x00d\x00\n\x00",                      # UTF-16 without a BOM
])
def test_column_reader_checks_exactly_as_the_row_reader(tmp_path, monkeypatch, text, chunk):
    """Including a file read in 7-byte pieces: quoted line breaks and UTF-8 errors across pieces."""
    import qdml.data.io as qio

    monkeypatch.setattr(qio, "_CHUNK", chunk)
    path = tmp_path / "t.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    old = _outcome(lambda: old_read_csv_text(path))
    for read in (read_csv_text, read_csv_columns):
        new = _outcome(lambda read=read: read(path))
        if isinstance(old, list):
            assert new == old
            continue
        records = new.records if hasattr(new, "records") else [list(r) for r in zip(*new.columns)]
        assert (new.header, records, list(new.lines)) == (old.header, old.records, old.lines)
        assert (new.decimal, [str(n) for n in new.notes]) == (old.decimal, [str(n) for n in old.notes])


def test_numbers_parse_as_one_cell_at_a_time():
    from qdml.data.schema import parse_number

    cells = ["17.3", " 82 ", "", "48 000", "48,000", "1_000", "nan", "-inf", "1e400", "\u202f5", "abc", "0.0", "-0"]
    values, errors = parse_numbers(np.array(cells * 3, dtype=object))
    for i, cell in enumerate(cells * 3):
        one = parse_number(cell)
        if isinstance(one, str):
            assert errors[i] == one and np.isnan(values[i])
        else:
            assert i not in errors
            assert (np.isnan(values[i]) if one is None else values[i] == one and np.signbit(values[i]) == np.signbit(one))


def test_pairs_file_reads_as_before(tmp_path):
    header, body = _rows()
    col = {name: i for i, name in enumerate(header)}
    rows = [[r[col["ligand"]], r[col["qd"]], r[col["el_color"]], r[col["peak_nm"]], r[col["plqy"]], "7"] for r in body]
    rows[3][3] = "20000"       # pristine_peak_nm out of range
    rows[4][4] = "abc"         # control_plqy not a number
    rows[5][0] = "unobtainium"
    path = _write(tmp_path / "pairs.csv", ["ligand", "qd", "el_color", "pristine_peak_nm", "control_plqy", "size_nm"], rows)
    for strict in (False, True):
        old = _outcome(lambda strict=strict: old_read_pairs(path, strict))
        new = _outcome(lambda strict=strict: read_pairs(path, strict))
        assert new == old
    rows[3][3], rows[4][4] = "", "55"
    rows = [r[:4] + [r[4] if not r[4] or float(r[4]) <= 100 else ""] + r[5:] for r in rows]  # Yb3+ quantum cutting
    path = _write(tmp_path / "pairs_ok.csv", ["ligand", "qd", "el_color", "pristine_peak_nm", "control_plqy", "size_nm"], rows)
    pd.testing.assert_frame_equal(read_pairs(path, strict=False), old_read_pairs(path, strict=False))


# --------------------------------------------------------------------------- predict


@pytest.fixture(scope="module")
def real_pairs():
    """~500 rows of real pairs: the dataset's ligand, QD, colour and size, the matched controls'
    values on treated rows, colours in odd case, an unknown colour and unresolvable rows."""
    from qdml.features.pair import treated_with_controls
    from qdml.validation import load_dataset

    data = load_dataset()
    treated = treated_with_controls(data)
    cols = ["ligand", "qd", "el_color", "size_nm", "control_plqy", "control_eqe", "control_peak_nm"]
    plain = data.assign(control_plqy=np.nan, control_eqe=np.nan, control_peak_nm=np.nan)[cols]
    pairs = pd.concat([plain, treated[cols], plain.assign(el_color=plain["el_color"].str.upper())], ignore_index=True)
    pairs.loc[3, "el_color"] = "teal"
    pairs.loc[5, "ligand"] = "unobtainium"
    pairs.loc[8, "qd"] = "XyZ3"
    pairs.loc[9, ["ligand", "qd"]] = ["unobtainium", "XyZ3"]
    pairs.index = pairs.index + 2  # as read_pairs gives them: file lines
    assert len(pairs) > 300
    return pairs


@pytest.fixture(scope="module")
def shipped():
    from qdml.learn.bundle import load_bundle

    return load_bundle("default")


@pytest.mark.parametrize("chunk_size, n_jobs", [(20_000, 1), (37, 1), (64, 2)])
def test_predict_gives_exactly_the_rows_of_the_per_row_code(real_pairs, shipped, chunk_size, n_jobs):
    from qdml.workflows.prediction import predict
    from tests.oracle import old_predict

    expected = old_predict(real_pairs, shipped)
    got = predict(real_pairs, shipped, chunk_size=chunk_size, n_jobs=n_jobs)
    assert "mode" in got.columns and (got["mode"] == "paired").any()
    # identical up to floating-point rounding: a Gaussian process's matrix products (BLAS) round
    # the last bits differently for different chunk sizes; anything above 1e-9 relative is a bug
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)


def test_streamed_csv_is_the_whole_files_csv(real_pairs, shipped, tmp_path):
    from qdml.data.output import write_csv
    from qdml.workflows.prediction import predict_chunks
    from tests.oracle import old_predict

    texts = [text for _, text in predict_chunks(real_pairs, shipped, chunk_size=50, as_csv=True)]
    assert len(texts) > 5
    write_csv(old_predict(real_pairs, shipped), tmp_path / "whole.csv", keep=list(real_pairs.columns))
    assert "".join(texts) == (tmp_path / "whole.csv").read_text(encoding="utf-8")


def test_no_row_resolving_gives_the_same_frame(real_pairs, shipped):
    from qdml.workflows.prediction import predict
    from tests.oracle import old_predict

    bad = real_pairs.head(70).assign(ligand="unobtainium")
    pd.testing.assert_frame_equal(predict(bad, shipped, chunk_size=30), old_predict(bad, shipped), check_exact=True)
