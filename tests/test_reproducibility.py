"""Same random_state, same network; and no process-wide random state is touched."""

import random

import numpy as np
import pytest

from skfmnist import FashionCNN

from ._subprocess import run_python

SNIPPET = """
    import hashlib
    import numpy as np
    from skfmnist import FashionCNN, fetch_fashion_mnist
    X, y = fetch_fashion_mnist(subset="test", return_X_y=True)
    cnn = FashionCNN(conv_filters=(8, 16), dense_units=32, epochs=2, augment="flip_shift",
                     random_erasing=0.5, random_state=7).fit(X[:600] / 255, y[:600])
    print(hashlib.sha256(cnn.predict_proba(X[600:700] / 255).tobytes()).hexdigest())
"""


def _fit_proba(X_train, y_train, X_test, random_state):
    cnn = FashionCNN(conv_filters=(8, 16), dense_units=32, epochs=2, augment="flip_shift",
                     random_erasing=0.5, random_state=random_state)
    return cnn.fit(X_train, y_train).predict_proba(X_test)


@pytest.fixture(scope="module")
def data():
    from skfmnist import fetch_fashion_mnist

    X, y = fetch_fashion_mnist(subset="test", return_X_y=True)
    return X[:600] / 255, y[:600], X[600:700] / 255


def test_same_seed_same_probabilities_in_one_process(data):
    np.testing.assert_array_equal(_fit_proba(*data, 7), _fit_proba(*data, 7))


@pytest.mark.slow  # fresh interpreters
def test_same_seed_same_probabilities_across_processes():
    # Bit-identical needs the same number of TensorFlow threads (see the README), so both
    # processes are pinned to the same count, whatever this test process runs with.
    first = run_python(SNIPPET, env={"SKFMNIST_NUM_THREADS": "1"}).strip()
    second = run_python(SNIPPET, env={"SKFMNIST_NUM_THREADS": "1"}).strip()
    assert first == second and len(first) == 64


def test_no_seed_gives_different_initialisations(data):
    assert not np.allclose(_fit_proba(*data, None), _fit_proba(*data, None))


def test_seeded_fit_leaves_global_random_state_alone(data, monkeypatch):
    import os

    import tensorflow as tf
    from tensorflow.python.framework import config  # where TensorFlow keeps the flag

    monkeypatch.delenv("TF_DETERMINISTIC_OPS", raising=False)

    numpy_state, python_state = np.random.get_state(), random.getstate()
    _fit_proba(*data, 7)
    assert random.getstate() == python_state
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(after, numpy_state))
    assert not config.is_op_determinism_enabled()
    assert "TF_DETERMINISTIC_OPS" not in os.environ
    tf.random.uniform((2,))  # unseeded random ops still work
    assert tf.random.uniform((8,)).numpy().tolist() != tf.random.uniform((8,)).numpy().tolist()


def test_training_order_is_seeded_and_changes_every_epoch():
    from skfmnist._data import make_dataset

    X = np.arange(20, dtype="float32").reshape(10, 2)
    y = np.arange(10)

    def two_epochs(seed):
        batches = make_dataset((X, y), 4, shuffle_seed=seed)
        return [[rows.numpy().tolist() for _, rows in batches] for _ in range(2)]

    first, second = two_epochs(seed=3)
    assert two_epochs(seed=3) == [first, second]
    assert first != second and two_epochs(seed=4)[0] != first
    assert sorted(sum(first, [])) == list(range(10)) and [len(b) for b in first] == [4, 4, 2]
    unshuffled = [rows.numpy().tolist() for _, rows in make_dataset((X, y), 4)]
    assert unshuffled == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_alternating_flips_mirror_each_image_in_every_other_epoch():
    from skfmnist._data import make_dataset

    n_rows = 40
    X = np.zeros((n_rows, 2, 3), dtype="float32")
    X[:, 0, 0] = 1 + np.arange(n_rows)  # the top-left pixel names the row; mirrored: top-right
    X = X.reshape(n_rows, 6)
    batches = make_dataset((X, np.arange(n_rows)), 16, shuffle_seed=5, mirror_shape=(2, 3))

    def mirrored_rows(epoch_batches):
        images = np.concatenate([images.numpy() for images, _ in epoch_batches])
        rows = np.concatenate([rows.numpy() for _, rows in epoch_batches])
        assert np.array_equal(images.reshape(-1, 2, 3)[:, 0, [0, 2]].max(axis=1), 1 + rows)
        return set(rows[images.reshape(-1, 2, 3)[:, 0, 2] > 0].tolist())

    epochs = [mirrored_rows(list(batches)) for _ in range(4)]
    assert 10 < len(epochs[0]) < 30  # a random half first
    everyone = set(range(n_rows))
    assert epochs[1] == everyone - epochs[0] and epochs[2] == epochs[0] and epochs[3] == epochs[1]
    in_order = make_dataset((X, np.arange(n_rows)), 16, mirror_shape=(2, 3))  # validation data
    assert not any(mirrored_rows(list(in_order)) for _ in range(2))
