"""Shared fixtures: the real Fashion-MNIST arrays and tiny, fast networks."""

import os

import pytest

# Keep TensorFlow's C++ start-up chatter out of test output; set before TensorFlow loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["MPLBACKEND"] = "Agg"  # headless: plots render without a display

from skfmnist import fetch_fashion_mnist  # noqa: E402


@pytest.fixture(scope="session")
def fashion_train():
    """The real 60,000 training images and labels (`make test` makes sure they are present)."""
    return fetch_fashion_mnist(subset="train", return_X_y=True)


@pytest.fixture(scope="session")
def small_split(fashion_train):
    """3,000 training and 1,000 held-out raw images: enough to beat chance clearly."""
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
        # The default learning-rate schedule (cosine), so that tests cover what users get.
        return FashionMLP(**{"hidden_layer_sizes": (64,), "epochs": 2, "random_state": 0,
                             **params})

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
