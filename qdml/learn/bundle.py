"""Model bundles: the fitted Predictor in ``skops`` format, ``metadata.json`` and checksums.

A pickle runs code when loaded, and a checksum written beside it guards accidents, not intent:
whoever can replace the pickle can recompute the checksum. So the predictor is stored with
``skops.io``, which rebuilds only allow-listed types (:data:`TRUSTED_TYPES`: qdml's and
scikit-learn's estimators) and refuses anything else before constructing it.

Where bundles live: the one shipped with qdml (``models/default`` of the package), an explicit
path, or a user models folder (``--models-dir``, else ``$QDML_MODELS_DIR``, else the user data
folder ``~/.local/share/qdml/models``). A bare name is never looked up in the current directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from qdml.data import bundled_models_dir
from qdml.data.io import is_read_only
from qdml.exceptions import BundleError
from qdml.learn.predictor import Predictor

CHECKSUMS = "checksums.sha256"
METADATA = "metadata.json"
PREDICTOR_FILE = "predictor.skops"
FORMAT_VERSION = 2
MODELS_DIR_ENV = "QDML_MODELS_DIR"
#: Every type a bundle may contain beyond numpy arrays, builtins and skops's own safe nodes.
#: Anything else is refused before it is constructed. The CLI imports skops without its default
#: list of all scikit-learn estimators (:mod:`qdml.learn.skops_io`), so this list must be complete.
TRUSTED_TYPES = (
    "qdml.features.ligand.LigandFeaturizer",
    "qdml.features.pair.PairFeaturizer",
    "qdml.features.qd.QDFeaturizer",
    "qdml.learn.domain.ApplicabilityDomain",
    "qdml.learn.estimators.ARDGaussianProcess",
    "qdml.learn.estimators.ConformalRegressor",
    "qdml.learn.estimators.GroupMeanRegressor",
    "qdml.learn.estimators.PriorResidualRegressor",
    "qdml.learn.estimators.RareIndicatorFilter",
    "qdml.learn.estimators._short_lbfgs",
    "qdml.learn.predictor.Predictor",
    "qdml.learn.trees.ExtraTreesRegressor",
    "qdml.learn.trees.GradientBoostingRegressor",
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_selection._variance_threshold.VarianceThreshold",
    "sklearn.feature_selection._univariate_selection.SelectKBest",
    "sklearn.feature_selection._univariate_selection.f_regression",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.linear_model._ridge.RidgeCV",
    "sklearn.dummy.DummyRegressor",
    "sklearn.gaussian_process._gpr.GaussianProcessRegressor",
    "sklearn.gaussian_process.kernels.ConstantKernel",
    "sklearn.gaussian_process.kernels.Product",
    "sklearn.gaussian_process.kernels.RBF",
    "sklearn.gaussian_process.kernels.Sum",
    "sklearn.gaussian_process.kernels.WhiteKernel",
    "sklearn.neighbors._unsupervised.NearestNeighbors",
    "sklearn.neighbors._regression.KNeighborsRegressor",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.Interval",
    # bundles written before qdml.learn.trees: one skops object per tree, trusted as before
    "sklearn.ensemble._forest.ExtraTreesRegressor",
    "sklearn.ensemble._gb.GradientBoostingRegressor",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.tree._tree.Tree",
)
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("qdml", "scikit-learn", "numpy", "pandas", "scipy", "skops", "joblib", "rdkit"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class Bundle:
    """A loaded bundle: the fitted :class:`~qdml.learn.predictor.Predictor` and its metadata."""

    path: Path
    metadata: dict
    predictor: Predictor

    @property
    def targets(self) -> list[str]:
        """Targets with an absolute model (paired models are ``predictor.paired_models``)."""
        return self.predictor.targets

    @property
    def models(self) -> dict:
        return self.predictor.models

    @property
    def domain(self):
        return self.predictor.domain


# --------------------------------------------------------------------------- where bundles live


def check_name(name: str) -> str:
    """A bundle name is a plain name: letters, digits, ``-``, ``_``, ``.``; not ``.`` or ``..``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", ".."):
        raise BundleError(
            f"bundle name {name!r} is not a plain name (letters, digits, '-', '_', '.'; "
            "use --output-dir for a path)"
        )
    return name


def user_models_dir(models_dir: str | os.PathLike | None = None) -> Path:
    """The user's bundle folder: ``models_dir``, else ``$QDML_MODELS_DIR``, else the user data folder."""
    if models_dir:
        return Path(models_dir).expanduser()
    env = os.environ.get(MODELS_DIR_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "qdml" / "models"


def _is_explicit_path(model: str) -> bool:
    return os.sep in model or (os.altsep is not None and os.altsep in model) or model.startswith("~")


def resolve_bundle_dir(model: str | os.PathLike | None, models_dir: str | os.PathLike | None = None) -> Path:
    """A bundle path (anything with a ``/``) or a name: the user models folder, then the shipped bundles."""
    name = str(model or "default")
    if isinstance(model, Path) or _is_explicit_path(name):
        path = Path(name).expanduser()
        if (path / METADATA).is_file():
            return path
        raise BundleError(f"{path}: no model bundle here (a bundle folder holds {METADATA})")
    check_name(name)
    candidates = [user_models_dir(models_dir) / name, bundled_models_dir() / name]
    for c in candidates:
        if (c / METADATA).is_file():
            return c
    raise BundleError(
        f"no model bundle {name!r} (looked in {', '.join(str(c) for c in candidates)}); train one with 'qdml train'"
    )


# --------------------------------------------------------------------------- saving


def _is_bundle(path: Path) -> bool:
    return (path / METADATA).is_file() and (path / CHECKSUMS).is_file()


def check_bundle_target(directory: str | os.PathLike) -> Path:
    """Refuse a place a bundle must not go, before any training is spent on it.

    Refused: a file, a folder that holds anything but a qdml bundle, a read-only bundle, and a
    read-only parent folder (root ignores permissions; no write bit at all still means "keep out").
    """
    target = Path(directory)
    if not str(directory).strip():
        raise BundleError("empty bundle folder name")
    if target.exists():
        if not target.is_dir():
            raise BundleError(f"{target}: exists and is not a folder; refusing to replace it")
        if any(target.iterdir()) and not _is_bundle(target):
            raise BundleError(f"{target}: folder exists and is not a qdml model bundle; refusing to replace it")
        if is_read_only(target):
            raise BundleError(f"{target}: bundle folder is read-only; refusing to replace it")
    existing = target.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise BundleError(f"{existing}: is not a folder; cannot write the bundle {target}")
    if is_read_only(existing):
        raise BundleError(f"{existing}: folder is read-only; cannot write the bundle {target}")
    return target


def save_bundle(directory: str | os.PathLike, predictor: Predictor, metadata: dict) -> Path:
    """Write the bundle beside ``directory``, then swap it in: never a half-written bundle.

    An existing folder is replaced only if it is a qdml bundle (or empty), and only once the new
    bundle is complete; the old one is removed last.
    """
    import skops.io as sio

    target = check_bundle_target(directory)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BundleError(f"{parent}: cannot create the folder ({exc.strerror})") from None
    if not os.access(parent, os.W_OK | os.X_OK) or is_read_only(parent):
        raise BundleError(f"{parent}: folder is not writable")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise BundleError(f"{parent}: cannot write a bundle here ({exc.strerror})") from None
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a bundle is meant to be shared
    try:
        _write_canonical(sio.dumps(predictor), tmp / PREDICTOR_FILE)
        meta = dict(metadata)
        meta["format_version"] = FORMAT_VERSION
        meta["predictor_file"] = PREDICTOR_FILE
        (tmp / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
        lines = [f"{_sha256(p)}  {p.name}" for p in sorted(tmp.iterdir()) if p.name != CHECKSUMS]
        (tmp / CHECKSUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            old.rmdir()
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BundleError(f"{target}: cannot write the bundle ({exc.strerror or exc})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _write_canonical(raw: bytes, path: Path) -> None:
    """Rewrite a skops archive so the same predictor always gives the same bytes.

    skops names arrays and shared objects by ``id()`` and stamps entries with the current time;
    here ids are renumbered in order of first appearance and timestamps fixed, so retraining on
    the same data reproduces the bundle bit for bit (and its checksum). The schema is written
    without indentation (faster to read; skops parses either).
    """
    import io

    with zipfile.ZipFile(io.BytesIO(raw)) as src:
        schema = src.read("schema.json").decode("utf-8")
        numbers: dict[str, str] = {}
        ids = re.compile(r"(?<![\w.])\d{9,}(?=\.npy\b|[^\w.])")
        new_schema = ids.sub(lambda m: numbers.setdefault(m.group(0), str(len(numbers) + 1)), schema)
        # skops indents its schema; without the whitespace it is half the size and parses faster
        new_schema = json.dumps(json.loads(new_schema), separators=(",", ":"))
        entries = {}
        for name in src.namelist():
            if name == "schema.json":
                continue
            stem, dot, ext = name.partition(".")
            entries[numbers.get(stem, stem) + dot + ext] = src.read(name)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as dst:
        for name, data in [("schema.json", new_schema.encode("utf-8"))] + sorted(entries.items()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data, compresslevel=6)


# --------------------------------------------------------------------------- loading


def _read_checksums(sums: Path) -> dict[str, str]:
    try:
        text = sums.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{sums}: not a UTF-8 checksum file; refusing to load the bundle") from None
    except OSError as exc:
        raise BundleError(f"{sums}: unreadable ({exc.strerror})") from None
    expected = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or not re.fullmatch(r"[0-9a-f]{64}", parts[0]):
            raise BundleError(f"{sums}:{n}: malformed checksum line; refusing to load the bundle")
        expected[parts[1].strip()] = parts[0]
    return expected


def verify_bundle(directory: str | os.PathLike) -> dict:
    """Check every file against ``checksums.sha256``; return the metadata. Raise BundleError otherwise."""
    d = Path(directory)
    if not d.is_dir():
        raise BundleError(f"{d}: no model bundle here (train one with 'qdml train --name NAME')")
    sums = d / CHECKSUMS
    if not sums.is_file():
        raise BundleError(f"{d}: {CHECKSUMS} is missing; refusing to load an unverified bundle")
    expected = _read_checksums(sums)
    present = {p.name for p in d.iterdir() if p.name != CHECKSUMS and not p.name.startswith(".")}
    for name in sorted(present - set(expected)):
        raise BundleError(f"{d / name}: file not listed in {CHECKSUMS}; refusing to load the bundle")
    for name, digest in expected.items():
        path = d / name
        if Path(name).name != name or not path.is_file():
            raise BundleError(f"{path}: listed in {CHECKSUMS} but not a file of the bundle")
        if _sha256(path) != digest:
            raise BundleError(f"{path}: changed since the bundle was written (checksum mismatch); retrain with 'qdml train'")
    try:
        meta = json.loads((d / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleError(f"{d / METADATA}: unreadable metadata ({exc})") from None
    if not isinstance(meta, dict):
        raise BundleError(f"{d / METADATA}: metadata must be a JSON object")
    return meta


def load_bundle(model: str | os.PathLike | None = None, models_dir: str | os.PathLike | None = None) -> Bundle:
    """Load a verified bundle; only allow-listed types are rebuilt, stale bundles are refused."""
    import skops.io as sio

    d = resolve_bundle_dir(model, models_dir)
    meta = verify_bundle(d)
    if meta.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{d}: bundle format {meta.get('format_version')} is not {FORMAT_VERSION}; retrain with 'qdml train'")
    fname = meta.get("predictor_file")
    if not isinstance(fname, str) or Path(fname).name != fname or not (d / fname).is_file():
        raise BundleError(f"{d / METADATA}: 'predictor_file' must name a file inside the bundle folder")
    path = d / fname
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        predictor = sio.load(path, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException as exc:
        found = re.search(r"\[(.*?)\]", str(exc))
        foreign = found.group(1) if found else "unknown types"
        raise BundleError(f"{path}: holds types qdml does not trust ({foreign[:200]}); refusing to load it") from None
    except Exception as exc:  # a truncated or foreign file: zipfile, json and skops raise many kinds
        raise BundleError(f"{path}: not a loadable qdml bundle file ({type(exc).__name__}); retrain with 'qdml train'") from None
    if not isinstance(predictor, Predictor):
        raise BundleError(f"{path}: does not hold a qdml Predictor")
    trained_with = (meta.get("versions") or {}).get("scikit-learn")
    current = package_versions().get("scikit-learn")
    if trained_with and trained_with != current:
        warnings.warn(f"bundle {d} was trained with scikit-learn {trained_with}, running {current}", stacklevel=2)
    predictor.check_features(str(d))
    return Bundle(d, meta, predictor)
