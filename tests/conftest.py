"""Shared fixtures: toy images for logic, the real Fashion-MNIST arrays where accuracy is the point.

Two lanes, as skorch's conftest: logic tests train tiny networks on toy images that a network
learns in an epoch (``toy_split``), so they need no dataset and run in seconds; tests that need
the real images (``fashion_train`` and the fixtures built on it) are marked ``slow``
automatically. ``make test-fast`` runs ``-m "not slow"``; ``make test`` runs everything.
"""

import os

import numpy as np
import pytest

# Keep TensorFlow's C++ start-up chatter out of test output; set before TensorFlow loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["MPLBACKEND"] = "Agg"  # headless: plots render without a display

_REAL_DATA_FIXTURES = {"fashion_train", "small_split", "scaled_split"}


def pytest_collection_modifyitems(items):
    """A test that uses the real dataset is slow, whether or not its author said so."""
    for item in items:
        if _REAL_DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def make_toy_images(n_samples, *, n_classes=10, seed=0):
    """Raw 28x28 uint8 images as flat rows: noise, plus a bright horizontal band whose height
    says the class. Mirror-symmetric, so flip augmentation keeps the label; a tiny network
    separates the classes within an epoch or two."""
    rng = np.random.RandomState(seed)
    y = rng.permutation(np.arange(n_samples) % n_classes)
    X = rng.randint(0, 80, size=(n_samples, 28, 28))
    for label in range(n_classes):
        top = 4 + 2 * label
        X[y == label, top:top + 2, 4:24] += 170
    return X.clip(0, 255).astype(np.uint8).reshape(n_samples, 784), y


@pytest.fixture(scope="session")
def toy_split():
    """600 raw toy training images and 200 held-out ones, 10 classes."""
    X, y = make_toy_images(800)
    return X[:600], y[:600], X[600:], y[600:]


@pytest.fixture(scope="session")
def toy_scaled(toy_split):
    """``toy_split`` scaled to [0, 1], for estimators used without the preprocessor."""
    X_train, y_train, X_test, y_test = toy_split
    return X_train / 255.0, y_train, X_test / 255.0, y_test


@pytest.fixture(scope="session")
def fashion_train():
    """The real 60,000 training images and labels (`make test` makes sure they are present)."""
    from skfmnist import fetch_fashion_mnist

    return fetch_fashion_mnist(subset="train", return_X_y=True)


@pytest.fixture(scope="session")
def small_split(fashion_train):
    """3,000 real training and 1,000 held-out raw images: enough to beat chance clearly."""
    X, y = fashion_train
    return X[:3000], y[:3000], X[3000:4000], y[3000:4000]


@pytest.fixture(scope="session")
def scaled_split(small_split):
    X_train, y_train, X_test, y_test = small_split
    return X_train / 255.0, y_train, X_test / 255.0, y_test


@pytest.fixture
def tiny_mlp():
    from skfmnist import FashionMLP

    def make(**params):
        # The default learning-rate schedule (cosine), so that tests cover what users get;
        # batches of 32, so that an epoch of a few hundred toy images is a few dozen steps.
        return FashionMLP(**{"hidden_layer_sizes": (64,), "epochs": 2, "batch_size": 32,
                             "random_state": 0, **params})

    return make


@pytest.fixture
def tiny_cnn():
    from skfmnist import FashionCNN

    def make(**params):
        # No batch-norm or dropout: with a few dozen steps, batch-norm's moving statistics
        # are not settled yet and dropout only slows learning down.
        return FashionCNN(**{"conv_filters": (8, 16), "dense_units": 32, "batch_norm": False,
                             "conv_dropout": 0.0, "dropout": 0.0, "batch_size": 32,
                             "lr_schedule": "constant", "epochs": 2, "random_state": 0,
                             **params})

    return make
