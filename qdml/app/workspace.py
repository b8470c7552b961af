"""A session's own folder: a working copy of the dataset, the uploads, and bundles retrained from them.

Everything the "Your data" page writes goes under one temporary folder per session, removed when
the session ends (or the process exits); the bundled dataset and shipped models are only read.
Messages name the uploaded file as the user knows it, not the temporary path it was saved under.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from qdml.data import dataset_path
from qdml.data.io import atomic_write, read_csv_text
from qdml.evaluation.evaluate import evaluate
from qdml.exceptions import Problem, QdmlError, ValidationError
from qdml.validation import load_training_data, validate_records
from qdml.workflows.merging import MergeReport, add_data
from qdml.workflows.training import RANDOM_STATE, TrainResult, train

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_upload_name(name: str) -> str:
    """The uploaded file's base name, reduced to characters safe in a path (``upload.csv`` if none)."""
    base = _SAFE_NAME.sub("_", Path(str(name or "")).name).strip("._")
    if not base:
        base = "upload"
    return base if base.lower().endswith(".csv") else base + ".csv"


def file_sha256(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Workspace:
    """A temporary folder holding ``data/<dataset>.csv`` (the working copy), ``uploads/`` and
    ``bundles/run-N`` (one per retraining, so a cached bundle is never silently replaced)."""

    def __init__(self, source: str | os.PathLike | None = None):
        self.source = Path(source or dataset_path())
        self._tmp = tempfile.TemporaryDirectory(prefix="qdml-app-")
        self.root = Path(self._tmp.name)
        self.uploads = self.root / "uploads"
        self.bundles = self.root / "bundles"
        for d in (self.uploads, self.bundles, self.root / "data"):
            d.mkdir()
        self.data_path = self.root / "data" / self.source.name
        shutil.copyfile(self.source, self.data_path)
        self.merges: list[tuple[str, MergeReport]] = []
        self.runs: list[TrainResult] = []

    # ------------------------------------------------------------------ data

    @property
    def changed(self) -> bool:
        """True once rows were added (the working copy differs from the bundled file)."""
        return file_sha256(self.data_path) != file_sha256(self.source)

    def rows(self) -> int:
        return len(read_csv_text(self.data_path).records)

    def check_upload(self, name: str, data: bytes):
        """Validate an upload like ``qdml validate`` does; raises ValidationError naming ``name``."""
        raw = read_csv_text(safe_upload_name(name), data)
        return validate_records(raw, check_pairs=False)

    def add_upload(self, name: str, data: bytes) -> MergeReport:
        """Append the upload's new rows to the working copy (duplicates skipped), atomically."""
        fname = safe_upload_name(name)
        self.check_upload(fname, data)
        path = self.uploads / fname
        with atomic_write(path, "wb", encoding=None) as fh:
            fh.write(data)
        try:
            report = add_data(path, into=self.data_path)
        except ValidationError as exc:
            raise ValidationError([self._plain(p) for p in exc.problems]) from None
        except QdmlError as exc:
            raise QdmlError(self._plain_text(str(exc))) from None
        self.merges.append((fname, report))
        return report

    def _plain_text(self, text: str) -> str:
        text = text.replace(str(self.data_path), f"working copy of {self.source.name}")
        return text.replace(str(self.uploads) + os.sep, "")

    def _plain(self, p: Problem) -> Problem:
        return Problem(self._plain_text(p.path), p.line, p.column, self._plain_text(p.message))

    def merged_bytes(self) -> bytes:
        return self.data_path.read_bytes()

    # ------------------------------------------------------------------ models

    def retrain(self, targets: list[str], scheme: str | None, progress=None, n_jobs: int = 1) -> TrainResult:
        """Train a bundle on the working copy into ``bundles/run-N``, scored under ``scheme`` (or not)."""
        out = self.bundles / f"run-{len(self.runs) + 1}"
        result = train(data=[self.data_path], targets=targets, name=out.name, out_dir=out,
                       schemes=(scheme,) if scheme else (), n_jobs=n_jobs, progress=progress)
        self.runs.append(result)
        return result

    def bundle_zip(self, result: TrainResult) -> bytes:
        """The bundle folder as a zip (``<name>/metadata.json``, ...), ready to unzip into a models folder."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(Path(result.path).iterdir()):
                if p.is_file():
                    zf.write(p, f"qdml-{Path(result.path).name}/{p.name}")
        return buffer.getvalue()

    def cleanup(self) -> None:
        self._tmp.cleanup()


def entries_before(metadata: dict, targets: list[str], scheme: str, source: str | os.PathLike | None = None,
                   n_jobs: int = 1, progress=None) -> list[dict]:
    """CV entries of the bundled data under ``scheme``: from the bundle's metadata when it was
    trained on exactly that file and scheme, else computed here the way ``train`` computes them."""
    source = Path(source or dataset_path())
    same_data = (metadata.get("dataset_sha256") == file_sha256(source)
                 and not metadata.get("include_flagged") and metadata.get("random_state", RANDOM_STATE) == RANDOM_STATE)
    stored = [e for e in metadata.get("cv_scores") or [] if e.get("scheme") == scheme and e.get("target") in targets]
    if same_data and {e["target"] for e in stored} >= set(targets) & set(metadata.get("targets") or []):
        return stored
    frame, _, _ = load_training_data([source])
    return evaluate(frame, list(targets), [scheme], modes=("absolute", "paired"), random_state=RANDOM_STATE,
                    n_jobs=n_jobs, progress=progress).entries
