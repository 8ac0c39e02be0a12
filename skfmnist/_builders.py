"""Keras model builders for the MLP and the CNN.

Each builder returns an uncompiled ``keras.Model`` taking flat rows of pixels. Every random
component (weight initialisers, dropout, augmentation) gets its own seed derived from ``seed``,
so a network is reproducible without touching TensorFlow's or NumPy's global random state.
"""

import math

import numpy as np

from ._tf import import_tensorflow

import_tensorflow()
import keras  # noqa: E402  (after the thread limit is applied)

from .layers import FusedBatchNormalization, RandomErasing  # noqa: E402
from ._calibration import apply_temperature  # noqa: E402

__all__ = ["build_cnn", "build_mlp", "compile_classifier", "learning_rate_at",
           "inference_model", "patch_whitening_filters", "training_targets"]

OPTIMIZERS = ("adam", "sgd", "rmsprop")
# Keras's default 0.99 needs hundreds of steps before the moving statistics used at prediction
# time settle; 0.9 (PyTorch's default) is as good on the full data and right after a few dozen.
_BN_MOMENTUM = 0.9
LR_SCHEDULES = ("constant", "exponential", "cosine", "onecycle")
# One-cycle: from a fifth of the peak up to it at 23 % of training, then down to 0 (airbench's
# triangular schedule).
_ONECYCLE_PEAK_AT, _ONECYCLE_START = 0.23, 0.2
# Test-time augmentation: each mode's views of an image, as (rows down, columns right, mirrored),
# with their weights in the mean of the views' probabilities.
_ONE_PIXEL_SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))
TTA_VIEWS = {
    "flip": [((0, 0, False), 1.0), ((0, 0, True), 1.0)],
    # The shifted views weigh less: the network was trained on unshifted images (user guide,
    # "Training recipe").
    "flip_shift": [((0, 0, False), 3.0), ((0, 0, True), 3.0)] + [
        ((down, right, mirror), 1.0) for down, right in _ONE_PIXEL_SHIFTS
        for mirror in (False, True)],
}
TTA_MODES = tuple(TTA_VIEWS)


class _SeedStream:
    """Hands out distinct integer seeds derived from one base seed."""

    def __init__(self, seed):
        self._next = int(seed)

    def __call__(self):
        self._next += 1
        return self._next


def _initializer(name, seeds):
    """A seeded instance of the initialiser ``name`` (e.g. "he_uniform").

    Deserialising with the seed avoids creating an unseeded instance first, which would draw a
    default seed from Python's global ``random`` module.
    """
    try:
        return keras.initializers.deserialize({"class_name": name, "config": {"seed": seeds()}})
    except TypeError:  # a deterministic initialiser (zeros, ones, ...) takes no seed
        return keras.initializers.get(name)


def _regularizer(l1, l2):
    if not l1 and not l2:
        return None
    return keras.regularizers.L1L2(l1=float(l1), l2=float(l2))


def _dense_block(x, units, *, activation, batch_norm, dropout, initializer, l1, l2, seeds,
                 batch_norm_scale=True):
    x = keras.layers.Dense(
        units,
        use_bias=not batch_norm,
        kernel_initializer=_initializer(initializer, seeds),
        kernel_regularizer=_regularizer(l1, l2),
    )(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(momentum=_BN_MOMENTUM, scale=batch_norm_scale)(x)
    x = keras.layers.Activation(activation)(x)
    if dropout:
        x = keras.layers.Dropout(dropout, seed=seeds())(x)
    return x


def _softmax_output(x, n_classes, seeds):
    return keras.layers.Dense(
        n_classes, activation="softmax", kernel_initializer=_initializer("glorot_uniform", seeds)
    )(x)


def build_mlp(n_features, n_classes, *, hidden_layer_sizes=(256, 128), activation="relu",
              dropout=0.0, batch_norm=False, l1=0.0, l2=0.0, seed=0):
    """Multi-layer perceptron: Dense blocks (optional batch-norm and dropout), then softmax."""
    seeds = _SeedStream(seed)
    inputs = keras.Input((n_features,), name="pixels")
    x = inputs
    for units in hidden_layer_sizes:
        x = _dense_block(x, units, activation=activation, batch_norm=batch_norm,
                         dropout=dropout, initializer="glorot_uniform", l1=l1, l2=l2,
                         seeds=seeds)
    return keras.Model(inputs, _softmax_output(x, n_classes, seeds), name="fashion_mlp")


AUGMENTATIONS = ("flip", "flip_shift", "alternating_flip")


def _augmentation(x, augment, seeds):
    if augment not in AUGMENTATIONS:
        raise ValueError(f"augment must be None or one of {AUGMENTATIONS}, got {augment!r}.")
    if augment == "alternating_flip":
        return x  # the data pipeline mirrors the images: it knows which epoch it is
    x = keras.layers.RandomFlip("horizontal", seed=seeds(), name="augment_flip")(x)
    if augment == "flip_shift":
        x = keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seeds(),
                                           name="augment_shift")(x)
    return x


def build_cnn(image_shape, n_classes, *, conv_filters=(32, 64), convs_per_block=1,
              kernel_size=3, strides=1, padding="same", pool_size=2, batch_norm=True,
              conv_activation="relu", conv_dropout=0.0, dense_units=(128,), activation="relu",
              dropout=0.5, kernel_initializer="he_uniform", l1=0.0, l2=0.0, augment=None,
              random_erasing=0.0, batch_norm_scale=True, whitening=None, seed=0):
    """Convolutional network: blocks of conv (+batch-norm) + activation, max-pooling, Dense
    layers, softmax.

    The input is a flat row of ``height * width`` pixels, reshaped inside the model.
    ``augment`` adds layers active only during training: random horizontal flips ("flip"),
    plus random shifts of up to 10 % of the image size ("flip_shift"); "alternating_flip" adds
    none, as the training data pipeline mirrors the images; ``random_erasing`` is the
    probability that a training image gets a random rectangle set to 0 (:class:`RandomErasing`).
    ``batch_norm_scale=False`` keeps only the batch-norm shift. ``whitening`` (the filters of
    :func:`patch_whitening_filters`) makes the first convolution a frozen one with those
    filters.
    """
    _check_stack_fits(image_shape, len(conv_filters) * convs_per_block, kernel_size, strides,
                      padding, pool_size, convs_per_block)
    seeds = _SeedStream(seed)
    height, width = image_shape
    inputs = keras.Input((height * width,), name="pixels")
    x = keras.layers.Reshape((height, width, 1), name="to_image")(inputs)
    if augment is not None:
        x = _augmentation(x, augment, seeds)
    if random_erasing:
        x = RandomErasing(random_erasing, seed=seeds(), name="augment_erase")(x)
    for block, filters in enumerate(conv_filters, start=1):
        for index in range(convs_per_block):
            whitens = whitening is not None and block == 1 and index == 0
            x = keras.layers.Conv2D(
                whitening.shape[-1] if whitens else filters, kernel_size, strides=strides,
                padding=padding, use_bias=not batch_norm,
                kernel_initializer=_initializer(kernel_initializer, seeds),
                kernel_regularizer=None if whitens else _regularizer(l1, l2),
                trainable=not whitens, name=f"block{block}_conv{index + 1}",
            )(x)
            if batch_norm:
                x = FusedBatchNormalization(momentum=_BN_MOMENTUM, scale=batch_norm_scale,
                                            name=f"block{block}_bn{index + 1}")(x)
            x = keras.layers.Activation(conv_activation, name=f"block{block}_act{index + 1}")(x)
        if pool_size:
            x = keras.layers.MaxPooling2D(pool_size, padding="same",
                                          name=f"block{block}_pool")(x)
        if conv_dropout:
            x = keras.layers.Dropout(conv_dropout, seed=seeds(),
                                     name=f"block{block}_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for units in dense_units:
        x = _dense_block(x, units, activation=activation, batch_norm=batch_norm, dropout=0.0,
                         initializer=kernel_initializer, l1=l1, l2=l2, seeds=seeds,
                         batch_norm_scale=batch_norm_scale)
    if dropout:
        x = keras.layers.Dropout(dropout, seed=seeds(), name="head_dropout")(x)
    model = keras.Model(inputs, _softmax_output(x, n_classes, seeds), name="fashion_cnn")
    if whitening is not None:
        first = model.get_layer("block1_conv1")
        first.set_weights([whitening, *first.get_weights()[1:]])
    return model


# Of the many patches of the training images, a covariance of a few numbers needs a sample.
_WHITENING_IMAGES = 2000
# Added to the eigenvalues, relative to their mean: bounds the gain of the flattest directions
# (airbench's 5e-4 on images of unit variance per channel).
_WHITENING_EPSILON = 5e-4


def patch_whitening_filters(rows, image_shape, kernel_size):
    """Convolution filters that whiten the ``kernel_size`` patches of the images ``rows``:
    one per eigenvector of the patches' covariance, scaled by the inverse square root of its
    eigenvalue, and each negated as well (so that a ReLU after them keeps both signs), largest
    eigenvalue first, as airbench's frozen first layer (Jordan, 2024, arXiv:2404.00498).

    Returns an array of shape ``(kernel_height, kernel_width, 1, 2 * kernel_height *
    kernel_width)``, the kernel of a Keras ``Conv2D`` on one channel. The covariance is that of
    patches of at most 2,000 images spread evenly over ``rows``.
    """
    height, width = image_shape
    kernel = _pair(kernel_size)
    if kernel[0] > height or kernel[1] > width:
        raise ValueError(
            f"patch_whitening needs patches of kernel_size={kernel_size} inside the "
            f"{height}x{width} images, which are smaller. Use a smaller kernel_size, or "
            "patch_whitening=False."
        )
    step = -(-len(rows) // _WHITENING_IMAGES)
    images = np.asarray(rows[::step][:_WHITENING_IMAGES], np.float64).reshape(-1, height, width)
    patches = np.lib.stride_tricks.sliding_window_view(images, kernel, axis=(1, 2))
    patches = patches.reshape(-1, kernel[0] * kernel[1])
    eigenvalues, eigenvectors = np.linalg.eigh(patches.T @ patches / len(patches))
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    # Floored, so that blank images (all eigenvalues 0) give finite filters.
    epsilon = max(_WHITENING_EPSILON * eigenvalues.mean(), np.finfo(np.float32).tiny)
    scaled = eigenvectors / np.sqrt(eigenvalues + epsilon)
    filters = np.concatenate([scaled, -scaled], axis=1)
    return filters.reshape(*kernel, 1, -1).astype(np.float32)


def _check_stack_fits(image_shape, n_convs, kernel_size, strides, padding, pool_size,
                      convs_per_block):
    """Refuse a convolution stack that shrinks the images to nothing, naming the layer."""
    size = list(image_shape)
    kernels, steps = _pair(kernel_size), _pair(strides)
    for conv in range(n_convs):
        for axis in (0, 1):
            if padding == "valid":
                size[axis] = (size[axis] - kernels[axis]) // steps[axis] + 1
            else:
                size[axis] = -(-size[axis] // steps[axis])
        if min(size) < 1:
            raise ValueError(
                f"The convolution stack does not fit {image_shape[0]}x{image_shape[1]} images: "
                f"convolution {conv + 1} ({padding} padding, kernel_size={kernel_size}, "
                f"strides={strides}) leaves no pixels. Use padding='same', a smaller "
                "kernel_size or strides, fewer conv_filters, or larger images."
            )
        if pool_size and (conv + 1) % convs_per_block == 0:
            size = [-(-side // pool_size) for side in size]


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def make_optimizer(name, learning_rate, ema_momentum=None):
    """Adam, SGD with Nesterov momentum 0.9, or RMSprop; with ``ema_momentum``, Keras keeps an
    exponential moving average of the weights and puts it in their place when ``fit`` ends."""
    ema = {} if ema_momentum is None else {"use_ema": True, "ema_momentum": ema_momentum}
    if name == "adam":
        return keras.optimizers.Adam(learning_rate, **ema)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True, **ema)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate, **ema)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}.")


def compile_classifier(model, optimizer, learning_rate, label_smoothing=0.0, ema_momentum=None,
                       soft_targets=False):
    """Compile with the cross-entropy loss; :func:`training_targets` gives the labels it expects.

    Keras smooths labels only in the categorical (one-hot) cross-entropy, which also takes the
    mixed targets of cut-mixed batches (``soft_targets``). Otherwise the sparse loss takes the
    integer labels as plain Keras code does, with no one-hot copy.
    """
    loss = (keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)
            if label_smoothing or soft_targets else keras.losses.SparseCategoricalCrossentropy())
    model.compile(optimizer=make_optimizer(optimizer, learning_rate, ema_momentum), loss=loss,
                  metrics=["accuracy"])
    return model


def training_targets(model, labels, n_classes):
    """``labels`` (class indices) as ``model``'s compiled loss expects them: one-hot rows for
    the categorical cross-entropy, else unchanged. Follows the model, not the estimator's current
    parameters, so a warm-started fit keeps its first loss."""
    if isinstance(model.loss, keras.losses.CategoricalCrossentropy):
        return keras.utils.to_categorical(np.ravel(labels), n_classes).astype(np.float32)
    return labels


def learning_rate_at(schedule, base_rate, epoch, n_epochs, decay):
    """Learning rate at ``epoch`` (0-based, fractional within an epoch) of a fit of
    ``n_epochs`` under ``schedule``; ``base_rate`` is the peak."""
    progress = min(epoch / n_epochs, 1.0) if n_epochs else 0.0
    if schedule == "constant":
        return base_rate
    if schedule == "exponential":
        return base_rate * decay**epoch
    if schedule == "cosine":
        return base_rate * 0.5 * (1 + math.cos(math.pi * progress))
    if schedule == "onecycle":
        if progress < _ONECYCLE_PEAK_AT:
            rise = progress / _ONECYCLE_PEAK_AT
            return base_rate * (_ONECYCLE_START + (1 - _ONECYCLE_START) * rise)
        return base_rate * (1 - progress) / (1 - _ONECYCLE_PEAK_AT)
    raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {schedule!r}.")


def inference_model(model, image_shape=None, tta=None, temperature=None):
    """``model`` for prediction: the same layers and weights without the training-only
    augmentation layers; with test-time augmentation the weighted mean of the probabilities
    of several views of each image (:data:`TTA_VIEWS`); with a ``temperature``, those
    probabilities calibrated by it (:mod:`skfmnist._calibration`). Prediction and export both
    use it, so they compute the same thing.
    """
    inputs = keras.Input(model.input_shape[1:], name="pixels")
    if tta is None:
        outputs = _chain(model, inputs)
    elif tta in TTA_VIEWS:
        outputs = _mean_over_views(model, inputs, image_shape, TTA_VIEWS[tta])
    else:
        raise ValueError(f"tta must be None or one of {TTA_MODES}, got {tta!r}.")
    if temperature is not None:
        outputs = apply_temperature(outputs, temperature)
    return keras.Model(inputs, outputs, name=f"{model.name}_inference")


def _mean_over_views(model, inputs, image_shape, views):
    height, width = image_shape
    images = keras.ops.reshape(inputs, (-1, height, width))
    mirrored = keras.ops.flip(images, axis=2)
    padded = {False: keras.ops.pad(images, ((0, 0), (1, 1), (1, 1))),
              True: keras.ops.pad(mirrored, ((0, 0), (1, 1), (1, 1)))}
    total_weight = sum(weight for _, weight in views)
    weighted = []
    for (down, right, mirror), weight in views:
        # Shifting by one pixel at most: cut the view out of the image padded with one row and
        # column of zeros (the background) on each side.
        view = padded[mirror][:, 1 - down:1 - down + height, 1 - right:1 - right + width]
        probabilities = _chain(model, keras.ops.reshape(view, (-1, height * width)))
        weighted.append(probabilities * (weight / total_weight))
    return keras.layers.Add(name="tta_mean")(weighted)


def _chain(model, x):
    """Apply ``model``'s layers (a chain, as the builders make) to ``x``, skipping augmentation."""
    for layer in model.layers[1:]:  # after the InputLayer
        if not layer.name.startswith("augment"):
            x = layer(x)
    return x
