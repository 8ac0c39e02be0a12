"""skfmnist: Fashion-MNIST image classification as first-class scikit-learn estimators.

``import skfmnist`` stays fast: the Keras-based estimators (and TensorFlow) are imported on first
use of :class:`FashionMLP` or :class:`FashionCNN`.
"""

from importlib import import_module

from .datasets import CLASS_NAMES, DatasetError, fetch_fashion_mnist
from .preprocessing import ImagePreprocessor

__version__ = "0.1.0"

_LAZY = {
    "FashionMLP": "skfmnist.estimators",
    "FashionCNN": "skfmnist.estimators",
    "save": "skfmnist.persistence",
    "load": "skfmnist.persistence",
}

__all__ = ["CLASS_NAMES", "DatasetError", "FashionCNN", "FashionMLP", "ImagePreprocessor",
           "fetch_fashion_mnist", "load", "save", "__version__"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'skfmnist' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
