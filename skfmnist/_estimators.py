"""Scikit-learn classifiers for Fashion-MNIST: :class:`FashionMLP` and :class:`FashionCNN`.

Each class states its parameters and its network; the training and prediction loop they share
lives in ``_base.py``.
"""

import warnings
from numbers import Integral, Real

from . import _builders as builders
from ._base import TRAINING_CONSTRAINTS, FashionClassifierBase, set_init_params
from ._data import CutMix, MirrorSchedule
from ._docstrings import FITTED_ATTRIBUTES, LR_SCHEDULE, TRAINING_PARAMETERS, Substitution
from ._images import describe_shape, resolve_image_shape
from ._sklearn_compat import Interval, StrOptions

__all__ = ["FashionCNN", "FashionMLP"]

_NETWORK_CONSTRAINTS = {
    "activation": [str],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "batch_norm": ["boolean"],
    "l1": [Interval(Real, 0, None, closed="left")],
    "l2": [Interval(Real, 0, None, closed="left")],
}


# The notebooks' training, which their presets keep: Adam at a constant 1e-3 for 10 epochs,
# no weight averaging; the CNNs also without augmentation, label smoothing or TTA.
_NOTEBOOK_TRAINING = dict(lr_schedule="constant", learning_rate=1e-3, epochs=10,
                          ema_momentum=None, lookahead=None, calibration=None)
_NOTEBOOK_CNN_TRAINING = dict(_NOTEBOOK_TRAINING, convs_per_block=1, conv_dropout=0.0,
                              augment=None, tta=None, label_smoothing=0.0,
                              batch_norm_scale=True, patch_whitening=False)


def _check_pair(name, value):
    """Element check for a Conv2D size given as one int or as (height, width)."""
    if isinstance(value, Integral):
        return  # the constraint already requires >= 1
    sides = tuple(value)
    if len(sides) != 2 or not all(isinstance(side, Integral) and not isinstance(side, bool)
                                  and side >= 1 for side in sides):
        raise ValueError(
            f"{name} must be a positive integer or a pair (height, width) of positive "
            f"integers, got {value!r}. Example: {name}=3 or {name}=(3, 3)."
        )


def _check_sizes(name, value, *, allow_empty):
    """Element check for a tuple of layer sizes: positive integers, at least one unless
    ``allow_empty``."""
    sizes = tuple(value)
    if not allow_empty and not sizes:
        raise ValueError(f"{name} needs at least one layer size, got {value!r}.")
    bad = [size for size in sizes if not isinstance(size, Integral) or isinstance(size, bool)
           or size < 1]
    if bad:
        raise ValueError(
            f"{name} must hold positive integers (units or filters per layer), got {value!r}: "
            f"{bad[0]!r} is not one. Example: {name}=(32, 64)."
        )


@Substitution(training_parameters=TRAINING_PARAMETERS, fitted_attributes=FITTED_ATTRIBUTES,
              lr_schedule=LR_SCHEDULE)
class FashionMLP(FashionClassifierBase):
    """Multi-layer perceptron classifier for greyscale images (Keras, via scikeras).

    Flat pixel rows go through Dense layers with optional batch-norm and dropout, then a softmax
    over the classes. A scikit-learn classifier: use it in pipelines, searches and
    cross-validation like any other.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(512, 256)
        Units of each hidden Dense layer.
    activation : str, default="relu"
        Activation of the hidden layers (any Keras activation name).
    dropout : float, default=0.3
        Dropout rate after each hidden layer.
    batch_norm : bool, default=False
        Batch normalisation before each hidden activation.
    l1 : float, default=0.0
        L1 penalty on the hidden layers' weights.
    l2 : float, default=0.0
        L2 penalty on the hidden layers' weights.
    label_smoothing : float, default=0.0
        Share of each target's probability spread evenly over all classes in the loss
        (Keras's ``CategoricalCrossentropy(label_smoothing=...)``).
    epochs : int, default=30
        Passes over the training data per ``fit`` (``partial_fit`` runs one).
    learning_rate : float, default=1e-3
        Peak learning rate.
    lr_schedule : {"constant", "exponential", "cosine", "onecycle"}, default="cosine"
%(lr_schedule)s
%(training_parameters)s

    Attributes
    ----------
%(fitted_attributes)s

    See Also
    --------
    FashionCNN : Convolutional network, more accurate on images.
    sklearn.neural_network.MLPClassifier : scikit-learn's own MLP.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skfmnist import FashionMLP, ImagePreprocessor, fetch_fashion_mnist
    >>> X, y = fetch_fashion_mnist(subset="test", return_X_y=True)
    >>> clf = make_pipeline(ImagePreprocessor(), FashionMLP(epochs=5, random_state=0))
    >>> clf.fit(X[:2000], y[:2000]).score(X[2000:3000], y[2000:3000]) > 0.7
    True
    """

    _parameter_constraints = {
        **TRAINING_CONSTRAINTS,
        **_NETWORK_CONSTRAINTS,
        "hidden_layer_sizes": [tuple, list],
    }

    def __init__(self, *, hidden_layer_sizes=(512, 256), activation="relu", dropout=0.3,
                 batch_norm=False, l1=0.0, l2=0.0, optimizer="adam", learning_rate=1e-3,
                 lr_schedule="cosine", lr_decay=0.9, label_smoothing=0.0,
                 ema_momentum=None, lookahead=None, calibration="temperature",
                 batch_size=128, epochs=30, validation_split=0.0,
                 early_stopping=False,
                 patience=5, random_state=None, verbose=0, warm_start=False, callbacks=None,
                 class_weight=None, checkpoint_dir=None):
        set_init_params(self, locals())

    def _validate_params(self):
        super()._validate_params()
        _check_sizes("hidden_layer_sizes", self.hidden_layer_sizes, allow_empty=True)

    def _build_network(self, X, seed):
        return builders.build_mlp(
            self.n_features_in_, self.n_classes_,
            hidden_layer_sizes=tuple(self.hidden_layer_sizes), activation=self.activation,
            dropout=self.dropout, batch_norm=self.batch_norm, l1=self.l1, l2=self.l2, seed=seed,
        )

    @classmethod
    def simple(cls, **overrides):
        """The notebooks' MLP: Flatten, Dense 128 (ReLU), softmax; Adam, 10 epochs, batch 32."""
        return cls._preset(
            dict(_NOTEBOOK_TRAINING, hidden_layer_sizes=(128,), dropout=0.0, batch_size=32,
                 label_smoothing=0.0), overrides
        )


@Substitution(training_parameters=TRAINING_PARAMETERS, fitted_attributes=FITTED_ATTRIBUTES,
              lr_schedule=LR_SCHEDULE)
class FashionCNN(FashionClassifierBase):
    """Convolutional network classifier for greyscale images (Keras, via scikeras).

    Flat pixel rows are reshaped to images inside the network, which stacks blocks of
    ``convs_per_block`` convolutions (each with optional batch-norm, then the activation),
    max-pooling and optional dropout, then Dense layers and a softmax. A scikit-learn
    classifier: use it in pipelines, searches and cross-validation like any other.

    Parameters
    ----------
    conv_filters : tuple of int, default=(16, 32, 64)
        Filters of the convolutions of each block; one block per entry.
    convs_per_block : int, default=2
        Convolutions per block.
    kernel_size : int or tuple of (int, int), default=3
        Convolution kernel size: one int, or ``(height, width)``.
    strides : int or tuple of (int, int), default=1
        Convolution strides: one int, or ``(height, width)``.
    padding : {"same", "valid"}, default="same"
        Convolution padding.
    pool_size : int, default=2
        Max-pooling window (and stride) after each block; 0 for none.
    batch_norm : bool, default=True
        Batch normalisation after each convolution and hidden Dense layer.
    batch_norm_scale : bool, default=True
        Whether batch normalisation learns a scale per channel as well as a shift; False keeps
        the shift only (as airbench, Jordan, 2024, arXiv:2404.00498). Needs ``batch_norm``.
    patch_whitening : bool, default=False
        Make the first convolution a frozen whitening of the training images' patches of
        ``kernel_size``: one filter per principal direction of the patches, scaled to unit
        variance, and its negation (``2 * kernel_height * kernel_width`` filters in place of
        the first block's first ``conv_filters``), fitted to the images ``fit`` starts from
        (airbench's first layer). No labels are used, so the rows held out for validation or
        calibration count among those images.
    conv_activation : str, default="relu"
        Activation after each convolution (any Keras activation name).
    conv_dropout : float, default=0.0
        Dropout rate after each block. Off by default: with batch-norm and augmentation it
        adds little, and it slows each epoch.
    dense_units : int or tuple of int, default=256
        Units of the hidden Dense layers between the convolutions and the softmax: one int for
        one layer, a tuple for several (as ``FashionMLP``'s ``hidden_layer_sizes``); 0 or ()
        for none.
    activation : str, default="relu"
        Activation of the hidden Dense layers.
    dropout : float, default=0.1
        Dropout rate before the softmax.
    kernel_initializer : str, default="he_uniform"
        Initialiser of the convolution and Dense weights (any Keras initialiser name).
    l1 : float, default=0.0
        L1 penalty on the convolution and Dense weights.
    l2 : float, default=0.0
        L2 penalty on the convolution and Dense weights.
    augment : {"flip", "flip_shift", "alternating_flip"} or None, default="flip"
        Changes to the training images: random horizontal flips, or flips plus random shifts
        of up to 10 %% of the image size, drawn afresh each epoch. ``"alternating_flip"``
        mirrors a random half of the images in the first epoch, then each image in every
        other epoch, so that each is seen both ways in any two consecutive epochs (Jordan,
        2024, arXiv:2404.00498). Never active at prediction.
    random_erasing : float, default=0.0
        Probability that a training image gets one random rectangle (2 to 40 %% of the image)
        set to 0 each epoch (:class:`skfmnist.layers.RandomErasing`). Never active at
        prediction.
    cutmix : float, default=0.0
        Probability that a training image gets a random rectangle of another image of its
        batch pasted in, each epoch, and a target mixing the two classes by their shares of
        the pixels (CutMix, Yun et al., 2019, arXiv:1905.04899). The rectangle covers a
        uniformly drawn share of the image. Never active at prediction.
    tta : {"flip", "flip_shift"} or None, default="flip"
        Test-time augmentation: ``predict`` and ``predict_proba`` average the probabilities of
        several views of each image. ``"flip"``: the image and its horizontal mirror (twice the
        prediction cost). ``"flip_shift"``: those two, weighted 3 each, and each of them
        shifted by one pixel up, down, left and right, weighted 1 (ten views: ten times the
        cost of one, for a small further gain; ``best()`` uses it). No training cost. It needs
        a network trained with flips (``augment``): without them it costs accuracy, and
        ``fit`` warns. A prediction-time setting: it can be changed on a fitted estimator
        (calibration has a temperature for each).
    image_shape : tuple of (int, int) or None, default=None
        ``(height, width)`` of images passed as flat rows. None: taken from 3-d/4-d input, else
        the square side of the row length (rows that are not square warn and are treated as
        one-pixel-high strips). Set it for non-square images behind an
        :class:`~skfmnist.ImagePreprocessor`, whose output rows carry no shape.
    label_smoothing : float, default=0.1
        Share of each target's probability spread evenly over all classes in the loss
        (Keras's ``CategoricalCrossentropy(label_smoothing=...)``): discourages over-confident
        predictions (calibration then sharpens the probabilities again).
    epochs : int, default=16
        Passes over the training data per ``fit`` (``partial_fit`` runs one).
    learning_rate : float, default=4e-3
        Peak learning rate.
    lr_schedule : {"constant", "exponential", "cosine", "onecycle"}, default="onecycle"
%(lr_schedule)s
        The defaults (one-cycle, peak ``4e-3``, 16 epochs, flips, label smoothing 0.1, flip
        test-time augmentation) are the recipe of the results page's ablation.
%(training_parameters)s

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(height, width)`` of the images the network was built for.
%(fitted_attributes)s

    See Also
    --------
    FashionMLP : Faster, less accurate multi-layer perceptron.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skfmnist import FashionCNN, ImagePreprocessor, fetch_fashion_mnist
    >>> X, y = fetch_fashion_mnist(subset="test", return_X_y=True)
    >>> cnn = FashionCNN(conv_filters=(8, 16), convs_per_block=1, epochs=2, random_state=0)
    >>> clf = make_pipeline(ImagePreprocessor(), cnn).fit(X[:2000], y[:2000])
    >>> clf.score(X[2000:3000], y[2000:3000]) > 0.7
    True
    """

    _parameter_constraints = {
        **TRAINING_CONSTRAINTS,
        **_NETWORK_CONSTRAINTS,
        "conv_filters": [tuple, list],
        "convs_per_block": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "strides": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "padding": [StrOptions({"same", "valid"})],
        "pool_size": [Interval(Integral, 0, None, closed="left")],
        "batch_norm_scale": ["boolean"],
        "patch_whitening": ["boolean"],
        "conv_activation": [str],
        "conv_dropout": [Interval(Real, 0, 1, closed="left")],
        "dense_units": [Interval(Integral, 0, None, closed="left"), tuple, list],
        "kernel_initializer": [str],
        "augment": [StrOptions(set(builders.AUGMENTATIONS)), None],
        "random_erasing": [Interval(Real, 0, 1, closed="both")],
        "cutmix": [Interval(Real, 0, 1, closed="both")],
        "tta": [StrOptions(set(builders.TTA_MODES)), None],
        "image_shape": [tuple, list, None],
    }

    def __init__(self, *, conv_filters=(16, 32, 64), convs_per_block=2, kernel_size=3,
                 strides=1, padding="same", pool_size=2, batch_norm=True,
                 batch_norm_scale=True, patch_whitening=False, conv_activation="relu", conv_dropout=0.0, dense_units=256, activation="relu",
                 dropout=0.1, kernel_initializer="he_uniform", l1=0.0, l2=0.0, augment="flip",
                 random_erasing=0.0, cutmix=0.0, tta="flip", image_shape=None,
                 optimizer="adam",
                 learning_rate=4e-3, lr_schedule="onecycle", lr_decay=0.9, label_smoothing=0.1,
                 ema_momentum=None, lookahead=None, calibration="temperature", batch_size=128,
                 epochs=16,
                 validation_split=0.0, early_stopping=False,
                 patience=5, random_state=None, verbose=0, warm_start=False, callbacks=None,
                 class_weight=None, checkpoint_dir=None):
        set_init_params(self, locals())

    def _validate_params(self):
        super()._validate_params()
        _check_sizes("conv_filters", self.conv_filters, allow_empty=False)
        _check_sizes("dense_units", self._dense_units(), allow_empty=True)
        _check_pair("kernel_size", self.kernel_size)
        _check_pair("strides", self.strides)
        if not self.batch_norm_scale and not self.batch_norm:
            raise ValueError(
                "batch_norm_scale=False removes the scale of batch normalisation, but "
                "batch_norm=False builds none. Set batch_norm=True, or batch_norm_scale=True."
            )
        if self.tta is not None and self.augment is None:
            warnings.warn(
                f"tta={self.tta!r} averages each image with its mirror, but augment=None trains "
                "the network on unmirrored images only, so the mirrored views cost accuracy. "
                "Set augment='flip', or tta=None.",
                UserWarning,
                stacklevel=4,
            )

    def _dense_units(self):
        units = self.dense_units
        if isinstance(units, Integral):
            return (units,) if units else ()
        return tuple(units)

    def _inference_options_dict(self):
        return {"image_shape": self.image_shape_, "tta": self.tta}

    def _inference_variants(self):
        return [{"image_shape": self.image_shape_, "tta": tta}
                for tta in (None, *builders.TTA_MODES)]

    def _check_image_shape(self, stacked_shape, *, reset):
        if reset:
            self.image_shape_ = resolve_image_shape(self.n_features_in_, self.image_shape,
                                                    stacked_shape, type(self).__name__)
        elif stacked_shape is not None and tuple(stacked_shape) != self.image_shape_:
            raise ValueError(
                f"{type(self).__name__} was trained on {describe_shape(self.image_shape_)} "
                f"images, but X holds {describe_shape(stacked_shape)} images (the same number "
                "of pixels, arranged differently). Resize or reshape them to "
                f"{describe_shape(self.image_shape_)}."
            )

    def _mirror_schedule(self):
        # Alternating flips follow each image from one epoch to the next, which only the data
        # pipeline can do; the other augmentations are layers of the network.
        if self.augment != "alternating_flip":
            return None
        return MirrorSchedule(self.image_shape_, seed=self._seed, first_epoch=self.current_epoch)

    def _cutmix(self):
        # Cut-mixing changes the targets too, which only the data pipeline sees.
        return CutMix(self.image_shape_, self.cutmix) if self.cutmix else None

    def _build_network(self, X, seed):
        whitening = (builders.patch_whitening_filters(X, self.image_shape_, self.kernel_size)
                     if self.patch_whitening else None)
        return builders.build_cnn(
            self.image_shape_, self.n_classes_,
            conv_filters=tuple(self.conv_filters), convs_per_block=self.convs_per_block,
            kernel_size=self.kernel_size, strides=self.strides, padding=self.padding,
            pool_size=self.pool_size, batch_norm=self.batch_norm,
            conv_activation=self.conv_activation, conv_dropout=self.conv_dropout,
            dense_units=self._dense_units(), activation=self.activation, dropout=self.dropout,
            kernel_initializer=self.kernel_initializer, l1=self.l1, l2=self.l2,
            augment=self.augment, random_erasing=self.random_erasing,
            batch_norm_scale=self.batch_norm_scale, whitening=whitening, seed=seed,
        )

    @classmethod
    def lenet(cls, **overrides):
        """LeNet as in the notebooks: conv 20@5x5 same, pool, conv 50@5x5 same, pool, Dense 500."""
        return cls._preset(dict(
            _NOTEBOOK_CNN_TRAINING, conv_filters=(20, 50), kernel_size=5, padding="same",
            batch_norm=False, dense_units=500, dropout=0.0, batch_size=32,
        ), overrides)

    @classmethod
    def small(cls, **overrides):
        """The notebooks' small CNN: conv 64@3x3, pool, conv 64@3x3, pool, Dense 128."""
        return cls._preset(dict(
            _NOTEBOOK_CNN_TRAINING, conv_filters=(64, 64), kernel_size=3, padding="valid",
            batch_norm=False, dense_units=128, dropout=0.0, batch_size=32,
        ), overrides)

    @classmethod
    def deep_bn(cls, **overrides):
        """Three 3x3 blocks 32/64/128 with batch-norm and zero padding, Dense 128, dropout 0.5."""
        return cls._preset(dict(
            _NOTEBOOK_CNN_TRAINING, conv_filters=(32, 64, 128), kernel_size=3, padding="same",
            batch_norm=True, dense_units=128, dropout=0.5, batch_size=128,
        ), overrides)

    @classmethod
    def best(cls, **overrides):
        """The most accurate tier: the default's network trained four times as long (64
        epochs), on images randomly shifted as well as flipped (``augment="flip_shift"``) and
        randomly erased (``random_erasing=0.5``), predicting with flip and one-pixel-shift
        test-time augmentation (ten views to the default's two): four times the default's
        training compute on the same network.
        """
        return cls._preset(dict(epochs=64, augment="flip_shift", random_erasing=0.5,
                                tta="flip_shift"), overrides)

    @classmethod
    def fast(cls, **overrides):
        """The quick tier, for searches and teaching: the default's blocks with one convolution
        each and a Dense layer of 128 units, trained as the default but for 13 epochs: about a
        fifth of the default's training compute."""
        return cls._preset(dict(convs_per_block=1, dense_units=128, epochs=13), overrides)
