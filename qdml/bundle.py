"""Model bundles: one joblib pipeline per target, ``metadata.json`` and checksums verified on load.

joblib files are pickles, and loading a pickle can run code: a bundle whose files changed since
``qdml train`` wrote them is refused before anything is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from qdml.exceptions import BundleError

CHECKSUMS = "checksums.sha256"
METADATA = "metadata.json"
FORMAT_VERSION = 1


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("qdml", "scikit-learn", "numpy", "pandas", "scipy", "mapie", "joblib", "rdkit", "mendeleev"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class Bundle:
    """A loaded bundle: ``models[target]`` is a fitted sklearn Pipeline (features -> regressor)."""

    path: Path
    metadata: dict
    models: dict = field(default_factory=dict)
    domain: object | None = None

    @property
    def targets(self) -> list[str]:
        return list(self.models)


def save_bundle(directory: str | os.PathLike, models: dict, metadata: dict, domain=None) -> Path:
    """Write the bundle into a temporary folder, then swap it in: never a half-written bundle."""
    import joblib

    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a bundle is meant to be shared
    try:
        files = {}
        for name, model in models.items():
            fname = f"{name}.joblib"
            joblib.dump(model, tmp / fname, compress=3)
            files[name] = fname
        if domain is not None:
            joblib.dump(domain, tmp / "domain.joblib", compress=3)
        meta = dict(metadata)
        meta["format_version"] = FORMAT_VERSION
        meta["model_files"] = files
        meta["domain_file"] = "domain.joblib" if domain is not None else None
        (tmp / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
        lines = [f"{_sha256(p)}  {p.name}" for p in sorted(tmp.iterdir()) if p.name != CHECKSUMS]
        (tmp / CHECKSUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def verify_bundle(directory: str | os.PathLike) -> dict:
    """Check every file against ``checksums.sha256``; return the metadata. Raise BundleError otherwise."""
    d = Path(directory)
    if not d.is_dir():
        raise BundleError(f"{d}: no model bundle here (train one with 'qdml train --name NAME')")
    sums = d / CHECKSUMS
    if not sums.exists():
        raise BundleError(f"{d}: {CHECKSUMS} is missing; refusing to load unverified pickles")
    expected = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(None, 1)
            expected[name.strip()] = digest
    present = {p.name for p in d.iterdir() if p.is_file() and p.name != CHECKSUMS and not p.name.startswith(".")}
    for name in sorted(present - set(expected)):
        raise BundleError(f"{d / name}: file not listed in {CHECKSUMS}; refusing to load the bundle")
    for name, digest in expected.items():
        path = d / name
        if not path.exists():
            raise BundleError(f"{path}: listed in {CHECKSUMS} but missing")
        if _sha256(path) != digest:
            raise BundleError(f"{path}: changed since the bundle was written (checksum mismatch); retrain with 'qdml train'")
    try:
        return json.loads((d / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleError(f"{d / METADATA}: unreadable metadata ({exc})") from None


def resolve_bundle_dir(model: str | os.PathLike | None) -> Path:
    """A bundle path or name: ``./models/<name>`` first, then the bundle shipped with qdml."""
    from qdml.data import bundled_models_dir

    name = str(model or "default")
    candidates = [Path(name)] if (os.sep in name or Path(name).is_dir()) else []
    candidates += [Path("models") / name, bundled_models_dir() / name]
    for c in candidates:
        if (c / METADATA).exists():
            return c
    raise BundleError(
        f"no model bundle {name!r} (looked in {', '.join(str(c) for c in candidates)}); train one with 'qdml train'"
    )


def load_bundle(model: str | os.PathLike | None = None) -> Bundle:
    """Load a verified bundle; warns when it was written by another scikit-learn version."""
    import joblib

    d = resolve_bundle_dir(model)
    meta = verify_bundle(d)
    if meta.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{d}: bundle format {meta.get('format_version')} is not {FORMAT_VERSION}; retrain")
    trained_with = (meta.get("versions") or {}).get("scikit-learn")
    current = package_versions().get("scikit-learn")
    if trained_with and trained_with != current:
        warnings.warn(f"bundle {d} was trained with scikit-learn {trained_with}, running {current}", stacklevel=2)
    models = {t: joblib.load(d / f) for t, f in meta["model_files"].items()}
    domain = joblib.load(d / meta["domain_file"]) if meta.get("domain_file") else None
    return Bundle(d, meta, models, domain)
