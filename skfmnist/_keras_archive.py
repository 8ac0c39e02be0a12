"""The network of a fitted estimator as the bytes of a native ``.keras`` archive."""

import io
import tempfile
import zipfile
from pathlib import Path

from ._fileutils import check_zip_limits


def to_bytes(model):
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "network.keras"
        keras.saving.save_model(model, path)
        return path.read_bytes()


def from_bytes(archive):
    """Load a network with Keras's ``safe_mode=True``: no ``Lambda`` code is deserialised.

    The archive's zip directory is checked against the model-file limits first, so a crafted
    archive cannot make Keras inflate gigabytes.
    """
    import keras

    from . import layers  # noqa: F401  (registers skfmnist's own layers with Keras)

    with zipfile.ZipFile(io.BytesIO(archive)) as contents:
        check_zip_limits(contents, len(archive), "the network's .keras archive")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "network.keras"
        path.write_bytes(archive)
        return keras.saving.load_model(path, safe_mode=True)
