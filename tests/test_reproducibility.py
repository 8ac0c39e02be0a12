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


def _labelled_images(n_rows, image_shape=(4, 5)):
    """Images whose every pixel is 1 + their row, one-hot targets of class = row, and the rows
    themselves as a third array (as sample weights are: never mixed)."""
    X = np.repeat(1 + np.arange(n_rows, dtype="float32")[:, None], np.prod(image_shape), axis=1)
    return X, np.eye(n_rows, dtype="float32"), np.arange(n_rows, dtype="float32")


def _cut_mixed(batches, n_rows):
    """Per image of one epoch of ``batches`` (from :func:`_labelled_images`): its row, the
    share of its pixels from each row (checked against its target), and the image."""
    images, targets, rows = (np.concatenate([batch[part].numpy() for batch in batches])
                             for part in range(3))
    shares = np.stack([(images == 1 + row).mean(axis=1) for row in range(n_rows)], axis=1)
    np.testing.assert_allclose(shares, targets, atol=1e-6)  # every pixel from a known row
    return rows.astype(int), shares, images


def test_cutmix_pastes_a_rectangle_of_another_image_and_mixes_the_targets_by_area():
    from skfmnist._data import CutMix, make_dataset

    arrays = _labelled_images(48)
    batches = make_dataset(arrays, 16, shuffle_seed=5, cutmix=CutMix((4, 5), 1.0))
    rows, shares, images = _cut_mixed(list(batches), 48)
    assert sorted(rows.tolist()) == list(range(48))  # each image once, its weight its own
    assert ((shares > 0).sum(axis=1) <= 2).all()  # pixels of at most one other image
    for row, image in zip(rows, images.reshape(-1, 4, 5)):
        pasted = image != 1 + row
        assert np.array_equal(pasted, np.outer(pasted.any(axis=1), pasted.any(axis=0)))
    pasted = 1 - shares[np.arange(48), rows]
    assert 0.2 < pasted.mean() < 0.6 and pasted.max() > 0.5
    second_epoch = _cut_mixed(list(batches), 48)[1]
    assert not np.allclose(second_epoch, shares)  # new rectangles every epoch


def test_cutmix_is_seeded_spares_validation_data_and_follows_its_probability():
    from skfmnist._data import CutMix, make_dataset

    arrays = _labelled_images(64)

    def pasted(seed, probability=1.0, shuffle=True):
        batches = make_dataset(arrays, 16, shuffle_seed=seed if shuffle else None,
                               cutmix=CutMix((4, 5), probability))
        rows, shares, _ = _cut_mixed(list(batches), 64)
        return 1 - shares[np.arange(64), rows]

    np.testing.assert_array_equal(pasted(3), pasted(3))
    assert not np.array_equal(pasted(3), pasted(4))
    assert not pasted(3, shuffle=False).any()  # validation batches: unchanged
    assert not pasted(3, probability=0.0).any()
    changed = (pasted(3, probability=0.5) > 0).mean()
    assert 0.2 < changed < 0.7  # about half drawn (fewer changed: some rectangles are empty)
