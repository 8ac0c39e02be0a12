"""skfmnist: Fashion-MNIST image classification as first-class scikit-learn estimators.

Every public name is imported on first use, so ``import skfmnist`` and ``skfmnist --help`` stay
fast: scikit-learn loads with the first dataset or preprocessing call, TensorFlow with the first
use of :class:`FashionMLP` or :class:`FashionCNN`. Public submodules: ``skfmnist.plotting``,
``skfmnist.layers`` (Keras layers) and ``skfmnist.cli``; every other module is private.
"""

from importlib import import_module

__version__ = "0.1.0"

# The public API, as scikit-learn's sklearn/neural_network/__init__.py re-exports it from private
# modules; here each name is imported on first use.
_LAZY = {
    "CLASS_NAMES": "skfmnist._datasets",
    "DatasetError": "skfmnist._datasets",
    "fetch_fashion_mnist": "skfmnist._datasets",
    "ImagePreprocessor": "skfmnist._preprocessing",
    "FashionMLP": "skfmnist._estimators",
    "FashionCNN": "skfmnist._estimators",
    "find_learning_rate": "skfmnist._lr_finder",
    "LearningRateFinder": "skfmnist._lr_finder",
    "save": "skfmnist._persistence",
    "load": "skfmnist._persistence",
    "TRUSTED_TYPES": "skfmnist._persistence",
    "ModelFileError": "skfmnist._persistence",
    "UntrustedTypesError": "skfmnist._persistence",
    "VersionMismatchWarning": "skfmnist._persistence",
    "export": "skfmnist._export",
    "read_images": "skfmnist._imageio",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'skfmnist' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
