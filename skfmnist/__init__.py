"""skfmnist: Fashion-MNIST image classification as first-class scikit-learn estimators.

Every public name is imported on first use, so ``import skfmnist`` and ``skfmnist --help`` stay
fast: scikit-learn loads with the first dataset or preprocessing call, TensorFlow with the first
use of :class:`FashionMLP` or :class:`FashionCNN`.
"""

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "CLASS_NAMES": "skfmnist.datasets",
    "DatasetError": "skfmnist.datasets",
    "fetch_fashion_mnist": "skfmnist.datasets",
    "ImagePreprocessor": "skfmnist.preprocessing",
    "FashionMLP": "skfmnist.estimators",
    "FashionCNN": "skfmnist.estimators",
    "save": "skfmnist.persistence",
    "load": "skfmnist.persistence",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'skfmnist' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
