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


def _mirrored_rows(batches, image_shape):
    """Per epoch of ``batches`` (images whose top-left pixel names the row, label = row), the
    set of rows that came mirrored."""
    height, width = image_shape
    images = np.concatenate([images.numpy() for images, _ in batches]).reshape(-1, height, width)
    rows = np.concatenate([rows.numpy() for _, rows in batches])
    corners = images[:, 0, [0, width - 1]]
    assert np.array_equal(corners.max(axis=1), 1 + rows)  # each image once, mirrored or not
    return set(rows[corners[:, 1] > 0].tolist())


def _corner_images(n_rows, image_shape=(2, 3)):
    X = np.zeros((n_rows, *image_shape), dtype="float32")
    X[:, 0, 0] = 1 + np.arange(n_rows)
    return X.reshape(n_rows, -1), np.arange(n_rows)


def test_alternating_flips_mirror_each_image_in_every_other_epoch():
    from skfmnist._data import MirrorSchedule, make_dataset

    arrays, everyone = _corner_images(40), set(range(40))
    batches = make_dataset(arrays, 16, shuffle_seed=5,
                           mirror=MirrorSchedule((2, 3), seed=1, first_epoch=0))
    epochs = [_mirrored_rows(list(batches), (2, 3)) for _ in range(4)]
    assert 10 < len(epochs[0]) < 30  # a random half first
    assert epochs[1] == everyone - epochs[0] and epochs[2] == epochs[0] and epochs[3] == epochs[1]
    in_order = make_dataset(arrays, 16, mirror=MirrorSchedule((2, 3), seed=1, first_epoch=0))
    assert not any(_mirrored_rows(list(in_order), (2, 3)) for _ in range(2))  # validation data


def test_alternating_flips_continue_over_warm_starts_and_row_subsets():
    from skfmnist._data import MirrorSchedule, make_dataset

    arrays, everyone = _corner_images(40), set(range(40))
    epoch_0 = _mirrored_rows(list(make_dataset(
        arrays, 16, shuffle_seed=5, mirror=MirrorSchedule((2, 3), seed=1, first_epoch=0))),
        (2, 3))
    # A later fit (another shuffle seed, as fit_loop passes) starting at epoch 3 mirrors what
    # epoch 3 of the first would have.
    epoch_3 = _mirrored_rows(list(make_dataset(
        arrays, 16, shuffle_seed=8, mirror=MirrorSchedule((2, 3), seed=1, first_epoch=3))),
        (2, 3))
    assert epoch_3 == everyone - epoch_0
    subset = np.arange(0, 40, 3)
    picked = _mirrored_rows(list(make_dataset(
        arrays, 16, index=subset, shuffle_seed=2,
        mirror=MirrorSchedule((2, 3), seed=1, first_epoch=0))), (2, 3))
    assert picked == epoch_0 & set(subset.tolist())
