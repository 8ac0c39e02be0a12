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

from . import _keras_archive
from ._fileutils import ZipLimitError, atomic_write, check_zip_limits, read_member, zip_budget

__all__ = ["TRUSTED_TYPES", "ModelFileError", "UntrustedTypesError", "VersionMismatchWarning",
           "load", "save"]

FORMAT_NAME = "skfmnist-model"
FORMAT_VERSION = 1
_MANIFEST = "manifest.json"
_PAYLOAD = "estimator.skops"
_MAX_MANIFEST = 1 << 20
_MAX_ECHOED = 40  # characters of one version string that messages repeat
_COMPARED = ("skfmnist", "keras", "tensorflow", "scikit-learn", "numpy")
#: What skops and Keras raise for damaged or tampered content (a malformed schema, a missing
#: member, weights that do not fit their layers). Anything else, a bug included, propagates.
_DAMAGED = (ValueError, TypeError, KeyError, IndexError, EOFError, OSError, zipfile.BadZipFile)


def _scorer_functions():
    """The metric functions behind scikit-learn's named scorers (``scoring="accuracy"``)."""
    from sklearn.metrics import get_scorer, get_scorer_names

    functions = {getattr(get_scorer(name), "_score_func", None) for name in get_scorer_names()}
    return sorted(f"{function.__module__}.{function.__qualname__}" for function in functions
                  if callable(function))

#: Types trusted in skfmnist's model files besides what skops trusts by default: skfmnist's own,
#: what scikit-learn's search and calibration meta-estimators hold once fitted (scorers and
#: their metric functions, cross-validation splitters, calibrators) and paths (a
#: ``checkpoint_dir``). Other skops readers need them listed, e.g. MLflow's
#: ``skops_trusted_types``.
TRUSTED_TYPES = (
    "skfmnist._estimators.FashionCNN",
    "skfmnist._estimators.FashionMLP",
    "skfmnist._preprocessing.ImagePreprocessor",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.metrics._scorer._PassthroughScorer",
    "sklearn.metrics._scorer._Scorer",
    *(f"sklearn.model_selection._split.{name}" for name in (
        "GroupKFold", "KFold", "PredefinedSplit", "RepeatedKFold", "RepeatedStratifiedKFold",
        "ShuffleSplit", "StratifiedGroupKFold", "StratifiedKFold", "StratifiedShuffleSplit")),
    # pathlib's classes moved to pathlib._local in Python 3.13; files name either module
    *(f"{module}.{name}" for module in ("pathlib", "pathlib._local")
      for name in ("PosixPath", "WindowsPath")),
    *_scorer_functions(),
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
    """``(manifest, payload, budget)`` of a model file, within the zip limits; ``budget`` is
    what the whole file may inflate to."""
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
        raise ModelFileError(f"{path} is corrupt ({type(exc).__name__}: {exc}).") from exc
    return manifest, payload, budget


def _check_payload(path, payload, budget):
    """skops's format is a zip too, and each network in it a ``.keras`` archive: bound them all
    before skops inflates or Keras builds anything. The networks' weights share the file's
    budget, so a small file cannot hold many networks that each fit their own."""
    what = f"{path} ({_PAYLOAD})"
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as inner:
            limit = check_zip_limits(inner, len(payload), what)
            weights = sum(_keras_archive.check_network(network, zip_budget(len(network)))
                          for network in _networks(inner, limit, what))
    except zipfile.BadZipFile:
        raise ModelFileError(f"{path} is corrupt: {_PAYLOAD} is not a valid archive.") from None
    except ZipLimitError as exc:
        raise ModelFileError(f"{path} is refused: {exc}") from None
    if weights > budget:
        raise ModelFileError(
            f"{path} is refused: its networks would hold {weights:,} bytes of weights, more "
            f"than the {budget:,} allowed for a file of {Path(path).stat().st_size:,} bytes.")


def _networks(payload, limit, what):
    """The members of a skops payload that are ``.keras`` archives (zips with a config)."""
    for info in payload.infolist():
        with payload.open(info) as stream:
            if stream.read(4) != b"PK\x03\x04":
                continue
        member = read_member(payload, info.filename, limit, what)
        try:
            with zipfile.ZipFile(io.BytesIO(member)) as archive:
                if "config.json" not in archive.namelist():
                    continue
        except zipfile.BadZipFile:
            continue  # other bytes that merely start like a zip: skops rebuilds them as bytes
        yield member


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
            f"({_clip(_saved_version(manifest, 'skfmnist'))}); this skfmnist reads format "
            f"{FORMAT_VERSION} and earlier. Upgrade skfmnist to load it."
        )
    saved = manifest.get("versions")
    if not isinstance(saved, dict) or not all(isinstance(v, str) for v in saved.values()):
        raise ModelFileError(
            f"{path} is corrupt: its manifest's versions must map library names to version "
            f"strings, got {saved!r:.100}.")
    current = library_versions()
    differing = [name for name in _COMPARED
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
    """The versions of the libraries that matter, each clipped: a crafted manifest may list
    thousands, and a warning repeats only these."""
    return ", ".join(f"{name} {_clip(versions.get(name, 'unknown'))}"
                     for name in (*_COMPARED, "python"))


def _clip(text):
    text = str(text)
    return text if len(text) <= _MAX_ECHOED else text[:_MAX_ECHOED] + "..."


def load(path, *, trusted=None):
    """Load an estimator saved with :func:`save`, refusing untrusted content.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    trusted : list of str, default=None
        Further types to trust (as reported by :class:`UntrustedTypesError`), for files with
        custom steps from an author you trust. skfmnist's own estimators, what scikit-learn's
        search and calibration meta-estimators hold (:data:`TRUSTED_TYPES`) and what skops
        trusts by default (scikit-learn, NumPy, SciPy) need not be listed.

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
        file format, or breaks the limits checked before anything is inflated or built: at
        most 256 entries per archive, each name once, and 16 times its compressed size (64 MiB
        at least) for the file, its skops payload and each network's ``.keras`` archive; the
        networks' weights, as their Keras configs would build them and as their HDF5 files
        declare them, at most the file's own budget, and never more than the HDF5 files
        store. The message names the file and the problem; the cause, if any, is chained.
    TypeError
        If ``trusted`` is not a list of type names.
    """
    import skops.io

    allowed = set(TRUSTED_TYPES) | set(_check_trusted(trusted))
    manifest, payload, budget = _read_archive(path)
    _check_manifest(path, manifest)
    _check_payload(path, payload, budget)
    try:
        untrusted = sorted(set(skops.io.get_untrusted_types(data=payload)) - allowed)
    except _DAMAGED as exc:
        raise ModelFileError(f"{path} is corrupt: its estimator data cannot be read "
                             f"({type(exc).__name__}: {exc}).") from exc
    if untrusted:
        raise UntrustedTypesError(path, untrusted)
    try:
        return skops.io.loads(payload, trusted=sorted(allowed))
    except _DAMAGED as exc:
        raise ModelFileError(
            f"{path} is corrupt: the estimator could not be rebuilt ({type(exc).__name__}: {exc})."
        ) from exc


def _check_trusted(trusted):
    """``trusted`` as a tuple of type names, or a TypeError that says what it takes."""
    if trusted is None:
        return ()
    if isinstance(trusted, (list, tuple, set, frozenset)) and all(
            isinstance(name, str) for name in trusted):
        return tuple(trusted)
    raise TypeError(
        "trusted must be None or a list of type names (str), as UntrustedTypesError.types "
        f"reports them, e.g. trusted=['mypackage.MyStep']; got {trusted!r:.100}. There is no "
        "setting that trusts every type: each one is named."
    )
