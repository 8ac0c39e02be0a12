"""The network of a fitted estimator as the bytes of a native ``.keras`` archive."""

import tempfile
from pathlib import Path


def to_bytes(model):
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "network.keras"
        keras.saving.save_model(model, path)
        return path.read_bytes()


def from_bytes(archive):
    """Load a network with Keras's ``safe_mode=True``: no ``Lambda`` code is deserialised."""
    import keras

    from . import layers  # noqa: F401  (registers skfmnist's own layers with Keras)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "network.keras"
        path.write_bytes(archive)
        return keras.saving.load_model(path, safe_mode=True)
