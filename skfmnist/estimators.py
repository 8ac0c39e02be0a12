"""Scikit-learn classifiers for Fashion-MNIST: :class:`FashionMLP` and :class:`FashionCNN`."""

from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import builders  # first: imports TensorFlow with the thread limit applied
from ._images import flatten_images, infer_image_shape
from ._scikeras_compat import KerasClassifierCompat
from ._tf import import_tensorflow, thread_limit

import keras  # noqa: E402,I001  (after builders)

__all__ = ["FashionCNN", "FashionMLP"]

_TRAINING_PARAMETERS_DOC = """
    optimizer : {"adam", "sgd", "rmsprop"}, default="adam"
        Optimiser; ``"sgd"`` uses Nesterov momentum 0.9.
    learning_rate : float, default=1e-3
        Initial learning rate.
    lr_schedule : {"constant", "exponential", "cosine"}, default="cosine"
        How the learning rate changes from epoch to epoch: not at all, multiplied by
        ``lr_decay`` each epoch, or along a half cosine from ``learning_rate`` to 0 over ``epochs``.
    lr_decay : float, default=0.9
        Per-epoch factor for ``lr_schedule="exponential"``.
    label_smoothing : float, default={label_smoothing}
        Share of each target's probability spread evenly over all classes in the loss
        (Keras's ``CategoricalCrossentropy(label_smoothing=...)``): discourages over-confident
        predictions. With ``warm_start``, the value of the first fit stays.
    batch_size : int, default=128
        Images per gradient step (and per prediction batch).
    epochs : int, default={epochs}
        Passes over the training data per ``fit`` (``partial_fit`` runs one).
    validation_split : float, default=0.0
        Fraction of the training data held out (stratified, seeded) to report ``val_loss`` and
        ``val_accuracy`` in ``history_`` and to drive early stopping.
    early_stopping : bool, default=False
        Stop when the validation loss (the training loss without a validation split) has not
        improved for ``patience`` epochs, and restore the weights of the best epoch.
    patience : int, default=5
        Epochs without improvement before early stopping.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, dropout, augmentation and the shuffling of the data.
        An int gives identical results for every fit, in any process, without changing
        TensorFlow's, NumPy's or Python's global random state. None gives a new initialisation
        each fit.
    verbose : int, default=0
        0 is silent, 1 shows Keras's progress bar, 2 one line per epoch.
    warm_start : bool, default=False
        Keep the trained network across calls to ``fit`` and continue training it.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks for ``fit``.
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``.
    checkpoint_dir : str or path-like, default=None
        If set, the weights of the best epoch so far (by ``val_loss``, or ``loss`` without a
        validation split) are kept in ``<checkpoint_dir>/best.weights.h5`` during ``fit``.
        Independently of it, an interrupted fit (Ctrl-C, ``KeyboardInterrupt``) stops cleanly:
        the estimator keeps the best weights seen so far, with a warning, and ``history_``
        holds the finished epochs.
"""


def _training_parameters_doc(**defaults):
    doc = _TRAINING_PARAMETERS_DOC
    for name, value in defaults.items():
        doc = doc.replace(f"{{{name}}}", str(value))
    return doc


_FITTED_ATTRIBUTES_DOC = """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit`` (strings work).
    n_classes_ : int
        Number of classes.
    n_features_in_ : int
        Number of pixels per image seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` was given a DataFrame with string column names.
    image_shape_ : tuple of int
        ``(height, width)`` of the images: from 3-d/4-d input, else the square side inferred
        from ``n_features_in_`` (a non-square feature count is treated as a one-row image).
    model_ : keras.Model
        The trained network.
    history_ : dict of str to list of float
        Per-epoch ``loss`` and ``accuracy`` (plus ``val_loss``, ``val_accuracy`` with a
        validation split, and ``learning_rate`` with a schedule).
"""

_COMMON_CONSTRAINTS = {
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "batch_norm": ["boolean"],
    "l1": [Interval(Real, 0, None, closed="left")],
    "l2": [Interval(Real, 0, None, closed="left")],
    "optimizer": [StrOptions(set(builders.OPTIMIZERS))],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "lr_schedule": [StrOptions(set(builders.LR_SCHEDULES))],
    "lr_decay": [Interval(Real, 0, 1, closed="right")],
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "epochs": [Interval(Integral, 0, None, closed="left")],
    "validation_split": [Interval(Real, 0, 1, closed="left")],
    "early_stopping": ["boolean"],
    "patience": [Interval(Integral, 0, None, closed="left")],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "callbacks": [list, None],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "checkpoint_dir": [str, Path, None],
}


class _FashionClassifier(KerasClassifierCompat):
    """What the MLP and the CNN share: input handling, the training loop's data and callbacks."""

    _parameter_constraints = _COMMON_CONSTRAINTS

    def __init__(self, *, optimizer, learning_rate, lr_schedule, lr_decay, label_smoothing,
                 batch_size, epochs, validation_split, early_stopping, patience, random_state,
                 verbose, warm_start, callbacks, class_weight, checkpoint_dir):
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.lr_decay = lr_decay
        self.label_smoothing = label_smoothing
        self.batch_size = batch_size
        self.epochs = epochs
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.class_weight = class_weight
        self.checkpoint_dir = checkpoint_dir

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Train the network from scratch (or further, with ``warm_start=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, h, w, 1)
            Training images, scaled (e.g. by :class:`~skfmnist.ImagePreprocessor`).
        y : array-like of shape (n_samples,)
            Class labels (integers or strings).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights for the loss.
        **kwargs : dict
            Passed on to ``keras.Model.fit``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train for one epoch, keeping the network of earlier calls.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, h, w, 1)
            Training images.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All classes, required on the first call if ``y`` does not contain them all.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights for the loss.
        **kwargs : dict
            Passed on to ``keras.Model.fit``.

        Returns
        -------
        self : object
        """
        self._validate_params()
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight, **kwargs)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``X`` against ``y``.

        Raises a ValueError if ``y`` holds labels that were not seen in ``fit``: they could
        never be predicted, and counting them as errors would hide a label mix-up.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, h, w, 1)
            Test images.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        unknown = np.setdiff1d(np.unique(np.asarray(y)), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels not seen during fit: {unknown.tolist()[:10]}. The "
                f"classifier knows {self.classes_.tolist()}. Check that the labels use the same "
                "encoding (e.g. integers 0-9 vs class names) as the training labels."
            )
        return super().score(X, y, sample_weight=sample_weight)

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        image_shape = None
        if X is not None:
            X, image_shape = flatten_images(X, type(self).__name__)
        X, y = super()._validate_data(X, y, reset=reset, y_numeric=y_numeric)
        if reset:
            self.image_shape_ = image_shape or infer_image_shape(
                self.n_features_in_, type(self).__name__, require_square=False
            )
            n_classes = np.unique(y).size
            if n_classes < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes in y to train a "
                    f"classifier, got 1 class: {np.unique(y).tolist()}."
                )
        return X, y

    def _keras_build_fn(self, meta):
        model = self._build_network(meta, seed=self._seed)
        return builders.compile_classifier(model, self.optimizer, self.learning_rate,
                                           self.label_smoothing)

    def _keras_fit_inputs(self, X, y, sample_weight, seed):
        targets = builders.training_targets(self.model_, y, self.n_classes_)
        train_index = None  # all rows, without copying them
        validation = None
        if self.validation_split:
            train_index, validation_index = _validation_split(y, self.validation_split, seed)
            validation = _dataset((X, targets), validation_index, self.batch_size,
                                  shuffle_seed=None)
        arrays = (X, targets) if sample_weight is None else (X, targets, sample_weight)
        monitor = "val_loss" if self.validation_split else "loss"
        return {
            "x": _dataset(arrays, train_index, self.batch_size, shuffle_seed=seed),
            "validation_data": validation,
            "monitor": monitor,
            "callbacks": self._training_callbacks(monitor),
        }

    def _training_callbacks(self, monitor):
        callbacks = []
        if self.lr_schedule != "constant":
            callbacks.append(keras.callbacks.LearningRateScheduler(self._learning_rate_at))
        if self.early_stopping:
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor=monitor, patience=self.patience, restore_best_weights=True,
            ))
        if self.checkpoint_dir is not None:
            callbacks.append(keras.callbacks.ModelCheckpoint(
                str(Path(self.checkpoint_dir) / "best.weights.h5"), monitor=monitor,
                save_best_only=True, save_weights_only=True,
            ))
        return callbacks

    def _learning_rate_at(self, epoch, current_rate=None):
        return builders.learning_rate_at_epoch(
            self.lr_schedule, self.learning_rate, epoch, self.epochs, self.lr_decay
        )

    def summary(self):
        """The network's layer-by-layer summary (Keras's ``Model.summary``) as text."""
        check_is_fitted(self)
        lines = []
        self.model_.summary(print_fn=lambda line, **_: lines.append(line))
        return "\n".join(lines)

    @classmethod
    def _preset(cls, params, overrides):
        return cls(**{**params, **overrides})


def _validation_split(y, fraction, seed):
    """Stratified, seeded split of row indices into (train, validation)."""
    indices = np.arange(len(y))
    _, counts = np.unique(y, return_counts=True)
    n_validation = max(1, int(round(fraction * len(y))))
    stratify = y if counts.min() >= 2 and n_validation >= counts.size else None
    return train_test_split(indices, test_size=n_validation, random_state=seed,
                            stratify=stratify)


def _dataset(arrays, index, batch_size, shuffle_seed):
    """A tf.data pipeline over ``arrays[index]`` (all rows if ``index`` is None), reshuffled
    each epoch from ``shuffle_seed``.

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
    batches = orders.flat_map(lambda order: _index_batches(tf, order, n_rows, batch_size)).map(
        lambda rows: tuple(tf.gather(tensor, rows) for tensor in tensors),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).prefetch(tf.data.AUTOTUNE)
    # flat_map hides the number of batches; without it Keras warns "Your input ran out of data"
    # at the end of every first epoch.
    batches = batches.apply(tf.data.experimental.assert_cardinality(-(-n_rows // batch_size)))
    n_threads = thread_limit()
    if n_threads is not None:  # tf.data has its own thread pool, sized to all cores
        options = tf.data.Options()
        options.threading.private_threadpool_size = n_threads
        batches = batches.with_options(options)
    return batches


def _index_batches(tf, order, n_rows, batch_size):
    """``order`` cut into batches of ``batch_size`` row indices, the last one possibly shorter."""
    n_full = n_rows // batch_size * batch_size
    batches = tf.data.Dataset.from_tensor_slices(tf.reshape(order[:n_full], (-1, batch_size)))
    if n_full < n_rows:
        batches = batches.concatenate(tf.data.Dataset.from_tensors(order[n_full:]))
    return batches


class FashionMLP(_FashionClassifier):
    __doc__ = f"""Multi-layer perceptron classifier for greyscale images (Keras, via scikeras).

    Flat pixel rows go through Dense layers with optional batch-norm and dropout, then a softmax
    over the classes. A scikit-learn classifier: use it in pipelines, searches and
    cross-validation like any other.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Units of each hidden Dense layer.
    activation : str, default="relu"
        Activation of the hidden layers (any Keras activation name).
    dropout : float, default=0.2
        Dropout rate after each hidden layer.
    batch_norm : bool, default=False
        Batch normalisation before each hidden activation.
    l1 : float, default=0.0
        L1 penalty on the hidden layers' weights.
    l2 : float, default=0.0
        L2 penalty on the hidden layers' weights.
{_training_parameters_doc(epochs=30, label_smoothing=0.0)}
{_FITTED_ATTRIBUTES_DOC}
    See Also
    --------
    FashionCNN : Convolutional network, more accurate on images.
    sklearn.neural_network.MLPClassifier : scikit-learn's own MLP.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skfmnist import FashionMLP, ImagePreprocessor, fetch_fashion_mnist
    >>> X, y = fetch_fashion_mnist(subset="test", return_X_y=True)
    >>> clf = make_pipeline(ImagePreprocessor(), FashionMLP(epochs=2, random_state=0))
    >>> clf.fit(X[:2000], y[:2000]).score(X[2000:3000], y[2000:3000]) > 0.7
    True
    """

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "hidden_layer_sizes": [tuple, list],
        "activation": [str],
    }

    def __init__(self, hidden_layer_sizes=(256, 128), activation="relu", dropout=0.2,
                 batch_norm=False, l1=0.0, l2=0.0, optimizer="adam", learning_rate=1e-3,
                 lr_schedule="cosine", lr_decay=0.9, label_smoothing=0.0, batch_size=128,
                 epochs=30, validation_split=0.0, early_stopping=False, patience=5,
                 random_state=None, verbose=0, warm_start=False, callbacks=None,
                 class_weight=None, checkpoint_dir=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.l1 = l1
        self.l2 = l2
        super().__init__(
            optimizer=optimizer,
            learning_rate=learning_rate,
            lr_schedule=lr_schedule,
            lr_decay=lr_decay,
            label_smoothing=label_smoothing,
            batch_size=batch_size,
            epochs=epochs,
            validation_split=validation_split,
            early_stopping=early_stopping,
            patience=patience,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            class_weight=class_weight,
            checkpoint_dir=checkpoint_dir,
        )

    def _build_network(self, meta, seed):
        return builders.build_mlp(
            meta["n_features_in_"], meta["n_classes_"],
            hidden_layer_sizes=tuple(self.hidden_layer_sizes), activation=self.activation,
            dropout=self.dropout, batch_norm=self.batch_norm, l1=self.l1, l2=self.l2, seed=seed,
        )

    @classmethod
    def simple(cls, **overrides):
        """The notebooks' MLP: Flatten, Dense 128 (ReLU), softmax; Adam, 10 epochs, batch 32."""
        return cls._preset(
            dict(hidden_layer_sizes=(128,), dropout=0.0, batch_size=32, epochs=10,
                 lr_schedule="constant"), overrides
        )


class FashionCNN(_FashionClassifier):
    __doc__ = f"""Convolutional network classifier for greyscale images (Keras, via scikeras).

    Flat pixel rows are reshaped to images inside the network, which stacks blocks of
    ``convs_per_block`` convolutions (each with optional batch-norm, then ReLU), max-pooling and
    optional dropout, then a Dense layer and a softmax. A scikit-learn classifier: use it in
    pipelines, searches and cross-validation like any other.

    Parameters
    ----------
    conv_filters : tuple of int, default=(32, 64, 128)
        Filters of the convolutions of each block; one block per entry.
    convs_per_block : int, default=1
        Convolutions per block.
    kernel_size : int or tuple of int, default=3
        Convolution kernel size.
    strides : int, default=1
        Convolution strides.
    padding : {{"same", "valid"}}, default="same"
        Convolution padding.
    pool_size : int, default=2
        Max-pooling window (and stride) after each block; 0 for none.
    batch_norm : bool, default=True
        Batch normalisation after each convolution and the Dense layer.
    conv_dropout : float, default=0.0
        Dropout rate after each block. Off by default: the same network without it
        (``deep_bn``) scored as well, and it slows each epoch (``benchmarks/profile_epoch.py``).
    dense_units : int, default=128
        Units of the Dense layer before the softmax; 0 for none.
    dropout : float, default=0.5
        Dropout rate before the softmax.
    kernel_initializer : str, default="he_uniform"
        Initialiser of the convolution and Dense weights (any Keras initialiser name).
    l1 : float, default=0.0
        L1 penalty on the convolution and Dense weights.
    l2 : float, default=0.0
        L2 penalty on the convolution and Dense weights.
    augment : {"flip", "flip_shift"} or None, default="flip"
        Random changes to the training images, drawn afresh each epoch: horizontal flips, or
        flips plus shifts of up to 10 % of the image size. Over 15 epochs flips paid and
        shifts cost accuracy (user guide, "Training recipe").
{_training_parameters_doc(epochs=15, label_smoothing=0.1)}
{_FITTED_ATTRIBUTES_DOC}
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
        **_COMMON_CONSTRAINTS,
        "conv_filters": [tuple, list],
        "convs_per_block": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "strides": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "padding": [StrOptions({"same", "valid"})],
        "pool_size": [Interval(Integral, 0, None, closed="left")],
        "conv_dropout": [Interval(Real, 0, 1, closed="left")],
        "dense_units": [Interval(Integral, 0, None, closed="left")],
        "kernel_initializer": [str],
        "augment": [StrOptions(set(builders.AUGMENTATIONS)), None],
    }

    def __init__(self, conv_filters=(32, 64, 128), convs_per_block=1, kernel_size=3,
                 strides=1, padding="same", pool_size=2, batch_norm=True, conv_dropout=0.0,
                 dense_units=128, dropout=0.5, kernel_initializer="he_uniform", l1=0.0, l2=0.0,
                 augment="flip", optimizer="adam", learning_rate=1e-3, lr_schedule="cosine",
                 lr_decay=0.9, label_smoothing=0.1, batch_size=128, epochs=15,
                 validation_split=0.0, early_stopping=False, patience=5, random_state=None,
                 verbose=0, warm_start=False, callbacks=None, class_weight=None,
                 checkpoint_dir=None):
        self.conv_filters = conv_filters
        self.convs_per_block = convs_per_block
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.pool_size = pool_size
        self.batch_norm = batch_norm
        self.conv_dropout = conv_dropout
        self.dense_units = dense_units
        self.dropout = dropout
        self.kernel_initializer = kernel_initializer
        self.l1 = l1
        self.l2 = l2
        self.augment = augment
        super().__init__(
            optimizer=optimizer,
            learning_rate=learning_rate,
            lr_schedule=lr_schedule,
            lr_decay=lr_decay,
            label_smoothing=label_smoothing,
            batch_size=batch_size,
            epochs=epochs,
            validation_split=validation_split,
            early_stopping=early_stopping,
            patience=patience,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            class_weight=class_weight,
            checkpoint_dir=checkpoint_dir,
        )

    def _build_network(self, meta, seed):
        return builders.build_cnn(
            meta["image_shape_"], meta["n_classes_"],
            conv_filters=tuple(self.conv_filters), convs_per_block=self.convs_per_block,
            kernel_size=self.kernel_size, strides=self.strides, padding=self.padding,
            pool_size=self.pool_size, batch_norm=self.batch_norm,
            conv_dropout=self.conv_dropout, dense_units=self.dense_units, dropout=self.dropout,
            kernel_initializer=self.kernel_initializer, l1=self.l1, l2=self.l2,
            augment=self.augment, seed=seed,
        )

    @classmethod
    def lenet(cls, **overrides):
        """LeNet as in the notebooks: conv 20@5x5 same, pool, conv 50@5x5 same, pool, Dense 500."""
        return cls._preset(dict(
            conv_filters=(20, 50), convs_per_block=1, kernel_size=5, padding="same",
            batch_norm=False, conv_dropout=0.0, dense_units=500, dropout=0.0, augment=None,
            label_smoothing=0.0, epochs=10, batch_size=32, lr_schedule="constant",
        ), overrides)

    @classmethod
    def small(cls, **overrides):
        """The notebooks' small CNN: conv 64@3x3, pool, conv 64@3x3, pool, Dense 128."""
        return cls._preset(dict(
            conv_filters=(64, 64), convs_per_block=1, kernel_size=3, padding="valid",
            batch_norm=False, conv_dropout=0.0, dense_units=128, dropout=0.0, augment=None,
            label_smoothing=0.0, epochs=10, batch_size=32, lr_schedule="constant",
        ), overrides)

    @classmethod
    def deep_bn(cls, **overrides):
        """Three 3x3 blocks 32/64/128 with batch-norm and zero padding, Dense 128, dropout 0.5."""
        return cls._preset(dict(
            conv_filters=(32, 64, 128), convs_per_block=1, kernel_size=3, padding="same",
            batch_norm=True, conv_dropout=0.0, dense_units=128, dropout=0.5, augment=None,
            label_smoothing=0.0, epochs=10, batch_size=128, lr_schedule="constant",
        ), overrides)

    @classmethod
    def best(cls, **overrides):
        """The strongest preset: three blocks of two 3x3 convolutions 32/64/128 with batch-norm,
        Dense 256, dropout 0.5, random flips, label smoothing 0.1, cosine learning rate,
        15 epochs: about four times the default's training time.

        Accuracy and time on 2 CPU cores: ``python -m benchmarks.run --only best_cnn``.
        """
        return cls._preset(dict(
            conv_filters=(32, 64, 128), convs_per_block=2, kernel_size=3, padding="same",
            batch_norm=True, conv_dropout=0.0, dense_units=256, dropout=0.5, augment="flip",
            label_smoothing=0.1, epochs=15, batch_size=128, lr_schedule="cosine",
        ), overrides)
