"""The estimators' data pipeline: seeded training batches, the validation split, predict chunks."""

from typing import NamedTuple

import numpy as np
from sklearn.model_selection import train_test_split

from ._tf import import_tensorflow, thread_limit

#: Rows per forward pass at prediction time: large enough to amortise the per-call cost,
#: small enough that activations stay small whatever the number of rows predicted.
PREDICT_CHUNK = 512


def validation_split(y, fraction, seed):
    """Stratified, seeded split of row indices into (train, validation)."""
    n_validation = max(1, int(round(fraction * len(y))))
    if n_validation >= len(y):
        raise ValueError(
            f"validation_split={fraction} holds out {n_validation} of {len(y)} rows, leaving "
            "none to train on. Use a smaller validation_split (e.g. 0.1) or more rows."
        )
    _, counts = np.unique(y, return_counts=True)
    stratified = counts.min() >= 2 and counts.size <= n_validation <= len(y) - counts.size
    return train_test_split(np.arange(len(y)), test_size=n_validation, random_state=seed,
                            stratify=y if stratified else None)


class MirrorSchedule(NamedTuple):
    """Alternating flips of the images in a dataset's first array: ``image_shape`` is their
    ``(height, width)``; ``seed`` draws the half of the rows mirrored in epoch 0 (a row's draw
    depends on its position in the full arrays, not on the rows selected); ``first_epoch`` is
    the number of the dataset's first epoch, so that a warm start continues the alternation."""

    image_shape: tuple
    seed: int
    first_epoch: int


class CutMix(NamedTuple):
    """Cut-mixing of a dataset's images (its first array: flat rows of ``image_shape``) and
    one-hot targets (its second): each image, with ``probability``, gets a random rectangle of
    another image of its batch pasted in, and its target becomes the two targets weighted by
    their shares of the pixels (Yun et al., 2019, arXiv:1905.04899)."""

    image_shape: tuple
    probability: float


def make_dataset(arrays, batch_size, *, index=None, shuffle_seed=None, mirror=None,
                 cutmix=None):
    """A tf.data pipeline over ``arrays[index]`` (all rows if ``index`` is None), reshuffled
    each epoch from ``shuffle_seed`` (None: in order, for validation data).

    With a :class:`MirrorSchedule` ``mirror`` and a ``shuffle_seed``, the images are mirrored
    left to right in alternate epochs: a random half of them in epoch 0, then each one in every
    epoch it was not mirrored in before (airbench's alternating flips). Every image is seen
    both ways in any two consecutive epochs, which random flips leave to chance. With a
    :class:`CutMix` ``cutmix`` and a ``shuffle_seed``, the batches are cut-mixed.

    Each epoch's order is one permutation drawn whole by a stateless shuffle, keyed by a stream
    of seeds that advances with every new iterator (Keras starts one per epoch): reproducible
    without a global TensorFlow seed, and cheap: ``Dataset.shuffle`` over single indices pays
    tf.data's per-element cost 60,000 times an epoch, which made small MLPs measurably slower
    than plain Keras. Batches are gathered from tensors created once.
    """
    tf = import_tensorflow()
    tensors = tuple(tf.constant(np.asarray(array) if index is None else np.asarray(array)[index])
                    for array in arrays)
    n_rows = len(tensors[0])
    if shuffle_seed is None:
        orders = tf.data.Dataset.from_tensors(tf.range(n_rows, dtype=tf.int64))
    else:
        seeds = tf.data.Dataset.random(seed=shuffle_seed, rerandomize_each_iteration=True)
        orders = seeds.take(1).map(lambda key: tf.random.experimental.stateless_shuffle(
            tf.range(n_rows, dtype=tf.int64),
            seed=tf.stack([key, tf.constant(shuffle_seed, tf.int64)])))
    batches = orders.flat_map(lambda order: _index_batches(tf, order, n_rows, batch_size))
    if mirror is not None and shuffle_seed is not None:
        gather = _alternating_mirror_gather(tf, tensors, mirror, len(arrays[0]), index)
        batches = tf.data.Dataset.zip(batches, _epoch_parities(tf, mirror.first_epoch, n_rows,
                                                               batch_size))
    else:
        def gather(rows):
            return tuple(tf.gather(tensor, rows) for tensor in tensors)
    batches = batches.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    if cutmix is not None and shuffle_seed is not None:
        # The shuffle's stream of keys, again: _cut_mix pairs each key with its own stream
        # numbers, so its draws are independent of the order's and change every epoch.
        keys = tf.data.Dataset.random(seed=shuffle_seed, rerandomize_each_iteration=True)
        batches = tf.data.Dataset.zip(batches, keys).map(
            lambda batch, key: _cut_mix(tf, cutmix, key, *batch),
            num_parallel_calls=tf.data.AUTOTUNE)
    batches = batches.prefetch(tf.data.AUTOTUNE)
    # flat_map hides the number of batches; without it Keras warns "Your input ran out of data"
    # at the end of every first epoch.
    batches = batches.apply(tf.data.experimental.assert_cardinality(-(-n_rows // batch_size)))
    n_threads = thread_limit()
    if n_threads is not None:  # tf.data has its own thread pool, sized to all cores
        options = tf.data.Options()
        options.threading.private_threadpool_size = n_threads
        batches = batches.with_options(options)
    return batches


def _epoch_parities(tf, first_epoch, n_rows, batch_size):
    """For each batch of an epoch, whether the epoch is an odd one: ``first_epoch`` plus the
    number of iterators started before (Keras starts one per epoch), counted in a variable the
    dataset owns."""
    with tf.device("/cpu:0"):  # where tf.data runs the counting
        epochs_started = tf.Variable(first_epoch - 1, dtype=tf.int64, trainable=False)
    n_batches = -(-n_rows // batch_size)
    parity = tf.data.Dataset.from_tensors(0).map(  # runs once per iterator
        lambda _: tf.math.floormod(epochs_started.assign_add(1), 2) == 1)
    return parity.flat_map(lambda odd: tf.data.Dataset.from_tensors(odd).repeat(n_batches))


def _alternating_mirror_gather(tf, tensors, mirror, n_all_rows, index):
    """A batch's rows of ``tensors``, the images of the first mirrored where the row's
    epoch-0 draw differs from the epoch's parity."""
    mirrored_first = np.random.default_rng(mirror.seed).random(n_all_rows) < 0.5
    mirrored_first = tf.constant(mirrored_first if index is None else mirrored_first[index])
    height, width = mirror.image_shape

    def gather(rows, odd_epoch):
        images, *others = (tf.gather(tensor, rows) for tensor in tensors)
        mirrored = tf.math.not_equal(tf.gather(mirrored_first, rows), odd_epoch)
        images = tf.reshape(images, (-1, height, width))
        images = tf.where(mirrored[:, None, None], tf.reverse(images, axis=[2]), images)
        return (tf.reshape(images, (-1, height * width)), *others)

    return gather


def _cut_mix(tf, cutmix, key, images, targets, *weights):
    """One batch cut-mixed: each image drawn (with ``cutmix.probability``) gets a rectangle of
    its partner in a random pairing of the batch, of a share of the image drawn uniformly
    (CutMix's Beta(1, 1)) and centred anywhere, cut where it leaves the image; its target
    mixes both by the share of pixels pasted. Sample weights stay the image's own. ``key``
    seeds the batch's draws."""
    height, width = cutmix.image_shape
    n_images = tf.shape(images)[0]

    def uniform(stream):  # each draw of the batch from its own stateless stream
        return tf.random.stateless_uniform([n_images], seed=tf.stack(
            [key, tf.constant(stream, tf.int64)]))

    partner = tf.random.experimental.stateless_shuffle(
        tf.range(n_images), seed=tf.stack([key, tf.constant(-1, tf.int64)]))
    side = tf.sqrt(uniform(0))  # a rectangle of the image's shape, of a uniform share of it
    drawn = uniform(1) < cutmix.probability

    def span(centre, size):  # [start, stop) of the rectangle along an axis of ``size`` pixels
        half = side * size / 2
        start = tf.clip_by_value(tf.round(centre * size - half), 0, size)
        stop = tf.clip_by_value(tf.round(centre * size + half), 0, size)
        return tf.cast(start, tf.int32)[:, None], tf.cast(stop, tf.int32)[:, None]

    top, bottom = span(uniform(2), height)
    left, right = span(uniform(3), width)
    rows, columns = tf.range(height)[None, :], tf.range(width)[None, :]
    in_rows = (rows >= top) & (rows < bottom)  # (n_images, height)
    in_columns = (columns >= left) & (columns < right)
    pasted = in_rows[:, :, None] & in_columns[:, None, :] & drawn[:, None, None]
    pasted = tf.reshape(pasted, (n_images, height * width))
    images = tf.where(pasted, tf.gather(images, partner), images)
    share = tf.reduce_mean(tf.cast(pasted, targets.dtype), axis=1, keepdims=True)
    targets = targets * (1 - share) + tf.gather(targets, partner) * share
    return (images, targets, *weights)


def _index_batches(tf, order, n_rows, batch_size):
    """``order`` cut into batches of ``batch_size`` row indices, the last one possibly shorter."""
    n_full = n_rows // batch_size * batch_size
    batches = tf.data.Dataset.from_tensor_slices(tf.reshape(order[:n_full], (-1, batch_size)))
    if n_full < n_rows:
        batches = batches.concatenate(tf.data.Dataset.from_tensors(order[n_full:]))
    return batches


def predict_in_chunks(forward, X, n_outputs):
    """``forward`` applied to ``X`` in chunks of :data:`PREDICT_CHUNK` rows, into one array.

    Memory stays the input, the output and one chunk's activations, however many rows.
    """
    outputs = np.empty((len(X), n_outputs), dtype=np.float32)
    for start in range(0, len(X), PREDICT_CHUNK):
        outputs[start:start + PREDICT_CHUNK] = forward(X[start:start + PREDICT_CHUNK])
    return outputs
