"""Model files that are safe to share: :func:`save` and :func:`load`.

``joblib.load`` and ``pickle.load`` run whatever code a file asks for. A skfmnist model file never
unpickles anything: it is a zip archive holding

- ``manifest.json``: the file format version and the versions of the libraries that wrote it;
- ``estimator.skops``: the estimator or pipeline in scikit-learn's skops format, which rebuilds
  only types on a trusted list; each network inside is a native ``.keras`` archive, loaded with
  Keras's ``safe_mode=True``.

Use joblib/pickle for your own files (faster, any object); use :func:`save`/:func:`load` for
files that cross a trust boundary.
"""

import io
import json
import platform
import warnings
import zipfile
from pathlib import Path

from ._fileutils import ZipLimitError, atomic_write, check_zip_limits, read_member

__all__ = ["TRUSTED_TYPES", "ModelFileError", "UntrustedTypesError", "VersionMismatchWarning",
           "load", "save"]

FORMAT_NAME = "skfmnist-model"
FORMAT_VERSION = 1
_MANIFEST = "manifest.json"
_PAYLOAD = "estimator.skops"
_MAX_MANIFEST = 1 << 20

#: skfmnist's own types, trusted in its model files besides what skops trusts by default. Other
#: skops readers need them listed, e.g. MLflow's ``skops_trusted_types``.
TRUSTED_TYPES = (
    "skfmnist._estimators.FashionCNN",
    "skfmnist._estimators.FashionMLP",
    "skfmnist._preprocessing.ImagePreprocessor",
)


class ModelFileError(ValueError):
    """The file is not a skfmnist model file, is truncated or corrupt, or is too new."""


class UntrustedTypesError(ModelFileError):
    """The file contains types that are not trusted; ``types`` lists them."""

    def __init__(self, path, types):
        self.types = types
        super().__init__(
            f"{path} contains types that are not trusted: {types}. Loading them could run their "
            "code. If you trust the file's author, pass them explicitly: "
            f"skfmnist.load({str(path)!r}, trusted={types!r})."
        )


class VersionMismatchWarning(UserWarning):
    """The file was written with other major/minor versions of the libraries."""


def library_versions():
    import keras
    import numpy
    import sklearn
    import tensorflow

    from . import __version__

    return {
        "skfmnist": __version__,
        "keras": keras.__version__,
        "tensorflow": tensorflow.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


def save(estimator, path):
    """Save a fitted (or unfitted) estimator or pipeline to ``path`` in the secure format.

    The file is written to a temporary name and renamed when complete, so a crash never leaves
    a broken file under ``path`` and an existing file is replaced only by a complete new one.

    Parameters
    ----------
    estimator : estimator
        A :class:`~skfmnist.FashionMLP`, :class:`~skfmnist.FashionCNN`,
        :class:`~skfmnist.ImagePreprocessor`, or a pipeline/meta-estimator of them and
        scikit-learn estimators.
    path : str or path-like
        Target file (conventionally ``*.skfmnist``).

    Examples
    --------
    >>> import numpy as np, skfmnist, tempfile, os
    >>> pre = skfmnist.ImagePreprocessor().fit(np.zeros((2, 784), dtype=np.uint8))
    >>> path = os.path.join(tempfile.mkdtemp(), "pre.skfmnist")
    >>> skfmnist.save(pre, path)
    >>> skfmnist.load(path).image_shape_
    (28, 28)
    """
    import skops.io

    _refuse_non_estimators(estimator)
    _refuse_callbacks(estimator)
    payload = skops.io.dumps(estimator)
    manifest = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "versions": library_versions(), "estimator": type(estimator).__name__}

    def write(stream):
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_MANIFEST, json.dumps(manifest, indent=2))
            archive.writestr(_PAYLOAD, payload)

    atomic_write(Path(path), write)


def _refuse_non_estimators(estimator):
    """Only scikit-learn estimators (skfmnist's, scikit-learn's, pipelines of them, custom
    steps built on BaseEstimator) are model files; anything else is refused before writing."""
    from sklearn.base import BaseEstimator

    if not isinstance(estimator, BaseEstimator):
        raise TypeError(
            f"skfmnist.save saves scikit-learn estimators (FashionMLP, FashionCNN, "
            f"ImagePreprocessor, or a pipeline of estimators), got {type(estimator).__name__}. "
            "Nothing was written. Use joblib.dump for other objects."
        )


def _refuse_callbacks(estimator):
    params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
    with_callbacks = [name for name, value in params.items()
                      if name.split("__")[-1] == "callbacks" and value]
    if with_callbacks:
        raise ValueError(
            f"Keras callbacks cannot be saved in the secure format ({with_callbacks} set): "
            "they are live objects. Remove them first, e.g. "
            f"estimator.set_params({with_callbacks[0]}=None), or use joblib for trusted use."
        )


def _read_archive(path):
    """``(manifest, payload)`` of a model file, within the zip limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {_MANIFEST, _PAYLOAD} <= names:
                raise ModelFileError(
                    f"{path} is a zip file but not a skfmnist model file (it has no "
                    f"{_MANIFEST} and {_PAYLOAD}). Files from joblib.dump or pickle are loaded "
                    "with joblib.load, and only if you trust them."
                )
            budget = check_zip_limits(archive, Path(path).stat().st_size, str(path))
            manifest = _parse_manifest(read_member(archive, _MANIFEST, _MAX_MANIFEST, str(path)))
            payload = read_member(archive, _PAYLOAD, budget, str(path))
    except zipfile.BadZipFile:
        raise ModelFileError(
            f"{path} is not a skfmnist model file, or it is truncated or corrupt (not a valid zip "
            "archive). Save it again with skfmnist.save; joblib/pickle files are loaded with "
            "joblib.load, and only if you trust them."
        ) from None
    except ZipLimitError as exc:
        raise ModelFileError(f"{path} is refused: {exc}") from None
    except (zipfile.LargeZipFile, ValueError, OSError, EOFError, RuntimeError,
            NotImplementedError) as exc:
        if isinstance(exc, (FileNotFoundError, ModelFileError)):
            raise
        raise ModelFileError(f"{path} is corrupt ({type(exc).__name__}: {exc}).") from None
    return manifest, payload


def _check_payload_limits(path, payload):
    """skops's format is a zip too: bound it before skops inflates anything."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as inner:
            check_zip_limits(inner, len(payload), f"{path} ({_PAYLOAD})")
    except zipfile.BadZipFile:
        raise ModelFileError(f"{path} is corrupt: {_PAYLOAD} is not a valid archive.") from None
    except ZipLimitError as exc:
        raise ModelFileError(f"{path} is refused: {exc}") from None


def _parse_manifest(data):
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{_MANIFEST} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{_MANIFEST} is not valid JSON ({exc})") from None


def _check_manifest(path, manifest):
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path} is not a skfmnist model file (unknown manifest).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model file format {version!r:.20}, written by a newer skfmnist "
            f"({_saved_version(manifest, 'skfmnist')}); this skfmnist reads format "
            f"{FORMAT_VERSION} and earlier. Upgrade skfmnist to load it."
        )
    saved = manifest.get("versions")
    if not isinstance(saved, dict) or not all(isinstance(v, str) for v in saved.values()):
        raise ModelFileError(
            f"{path} is corrupt: its manifest's versions must map library names to version "
            f"strings, got {saved!r:.100}.")
    current = library_versions()
    differing = [name for name in ("skfmnist", "keras", "tensorflow", "scikit-learn", "numpy")
                 if _major_minor(saved.get(name)) != _major_minor(current[name])]
    if differing:
        warnings.warn(
            f"{path} was saved with other library versions ({', '.join(differing)} differ). "
            f"Saved with: {_describe(saved)}. Running: {_describe(current)}. Predictions may "
            "differ; re-save the model with the current versions once checked.",
            VersionMismatchWarning,
            stacklevel=3,
        )


def _saved_version(manifest, library):
    versions = manifest.get("versions")
    return versions.get(library) if isinstance(versions, dict) else None


def _major_minor(version):
    return tuple(str(version).split(".")[:2])


def _describe(versions):
    return ", ".join(f"{name} {value}" for name, value in versions.items())


def load(path, *, trusted=None):
    """Load an estimator saved with :func:`save`, refusing untrusted content.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    trusted : list of str, default=None
        Further types to trust (as reported by :class:`UntrustedTypesError`), for files with
        custom steps from an author you trust. skfmnist's own estimators and what skops trusts
        by default (scikit-learn, NumPy, SciPy) need not be listed.

    Returns
    -------
    estimator : estimator
        The estimator or pipeline, with identical predictions.

    Raises
    ------
    UntrustedTypesError
        If the file holds types that are neither trusted by default nor in ``trusted``;
        nothing from it is run.
    ModelFileError
        If the file is not a skfmnist model file, is truncated or corrupt, comes from a newer
        file format, or would inflate beyond the limits checked before reading (at most 256
        entries per archive, and 16 times its compressed size, 64 MiB at least, for the file,
        its skops payload and each network's ``.keras`` archive). The message names the file
        and the problem.
    """
    import skops.io

    manifest, payload = _read_archive(path)
    _check_manifest(path, manifest)
    _check_payload_limits(path, payload)
    allowed = set(TRUSTED_TYPES) | set(trusted or ())
    try:
        untrusted = sorted(set(skops.io.get_untrusted_types(data=payload)) - allowed)
    except Exception as exc:  # skops reports damaged payloads with assorted exception types
        raise ModelFileError(f"{path} is corrupt: its estimator data cannot be read ({exc}).") from None
    if untrusted:
        raise UntrustedTypesError(path, untrusted)
    try:
        return skops.io.loads(payload, trusted=sorted(allowed))
    except Exception as exc:
        raise ModelFileError(
            f"{path} is corrupt: the estimator could not be rebuilt ({type(exc).__name__}: {exc})."
        ) from None

