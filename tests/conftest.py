"""Shared fixtures: small CSV files built from real rows of the review's Table 2."""

from __future__ import annotations

import pathlib

import pytest

HEADER = "ligand,qd,role,el_color,eqe,plqy,peak_nm,fwhm_nm,von_v,lmax_cd_m2,lifetime_ns,reference,source,evidence"
# Real rows of Table 2 (Zhang et al., Nanotechnology 36 (2025) 102001), refs [137], [145], [158].
ROW_SCN = 'SCN-,CsPbBr3,treated,green,17.3,82,521,17,3,48000,8.06,Yang 2023,review Table 2 [137],"SCN ⁻ | CsPbBr ₃ | Green | 17.3 | 82 | 521 | 17 | 3 | 48 000 | 8.06"'
ROW_CL = 'Cl-,CsPbI3,treated,red,26.1,90,638,36,2.8,2511,10.2,Feng 2024,review Table 2 [145],"Cl ⁻ | CsPbI ₃ | Red | 26.1 | 90 | 638 | 36 | 2.8 | 2511 | 10.2"'
ROW_IN = 'In3+,CsPbBrxI3-x,treated,red,11.2,99.8,639,,2.4,423,2.69,review,review Table 2 [158],"In ³⁺ | CsPbBr _x I _{3-x} | Red | 11.2 | 99.8 | 639 | | 2.4 | 423 | 2.69"'


def write_csv(tmp_path: pathlib.Path, text: str, name: str = "lab.csv", encoding: str = "utf-8") -> pathlib.Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def good_csv(tmp_path):
    return write_csv(tmp_path, "\n".join([HEADER, ROW_SCN, ROW_CL, ROW_IN]) + "\n")


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory):
    """A bundle of the default targets trained on the bundled data without CV scores (seconds), shared."""
    from qdml.workflows.training import train

    out = tmp_path_factory.mktemp("shared-bundle") / "bundle"
    train(out_dir=out, schemes=())
    return out
