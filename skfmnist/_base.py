"""The training and prediction loop of :class:`FashionMLP` and :class:`FashionCNN`, in one place.

Reading order, as skorch's ``net.py``::

    fit / partial_fit            parameter validation, then scikeras: input checks, label
                                 encoding, building the network (``_build_network``)
      -> fit_loop                one call of Keras's ``Model.fit`` over this fit's epochs
           -> get_iterator       the seeded tf.data pipeline (``_data.py``)
           -> get_callbacks      learning-rate schedule, the user's callbacks, the best-epoch
                                 tracker (early stopping, checkpoint, interrupt)
    predict / predict_proba
      -> predict_loop            the network applied chunk by chunk
           -> forward            one traced call of ``inference_model()``: the network without
                                 training-only layers, with test-time augmentation if set

Subclasses describe their parameters and network (``_build_network``), and may fill two hooks:
``_set_image_shape`` (what the network needs to know of the images) and
``_inference_options_dict`` (what prediction adds, e.g. the CNN's test-time augmentation).
"""

import warnings
import weakref
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.base import _fit_context
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _builders as builders
from ._callbacks import BestEpoch, StepSchedule
from ._docstrings import TRAINING_DATA, Substitution
from ._data import make_dataset, predict_in_chunks, validation_split
from ._images import flatten_images
from ._scikeras_compat import KerasClassifierCompat
from ._tf import import_tensorflow

import keras  # noqa: E402,I001  (after _builders, which applies the thread limit)

TRAINING_CONSTRAINTS = {
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
    "ema_momentum": [Interval(Real, 0, 1, closed="neither"), None],
}
# Batches that re-estimate batch-norm statistics after weight averaging: with momentum 0.9,
# what was there before weighs 0.9**50 < 1 %.
_BATCH_NORM_REFRESH_STEPS = 50


def set_init_params(estimator, init_locals):
    """Store each ``__init__`` argument as the attribute of the same name, unchanged, as
    scikit-learn requires of estimators; called as ``set_init_params(self, locals())`` by
    constructors whose long parameter lists would otherwise be copied line by line."""
    for name, value in init_locals.items():
        if name != "self":
            setattr(estimator, name, value)


class FashionClassifierBase(KerasClassifierCompat):
    """What the MLP and the CNN share: the training loop and the prediction loop."""

    _parameter_constraints = TRAINING_CONSTRAINTS

    @Substitution(training_data=TRAINING_DATA)
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **kwargs):
        """Train the network from scratch (or further, with ``warm_start=True``).

        Parameters
        ----------
%(training_data)s
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights for the loss.
        **kwargs : dict
            Passed on to ``keras.Model.fit``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    @Substitution(training_data=TRAINING_DATA)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train for one epoch at ``learning_rate``, keeping the network of earlier calls.

        Parameters
        ----------
%(training_data)s
        classes : array-like of shape (n_classes,), default=None
            All classes, required on the first call if ``y`` does not contain them all.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights for the loss.
        **kwargs : dict
            Passed on to ``keras.Model.fit``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        # A schedule spans the epochs of one fit; partial_fit's caller decides how many calls
        # there will be, so each runs at the base rate (as MLPClassifier's does).
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight,
                                   schedule="constant", **kwargs)

    def fit_loop(self, X, y, sample_weight, *, epochs, initial_epoch, schedule=None,
                 **fit_kwargs):
        """Train ``epochs`` epochs from ``initial_epoch`` and record them in ``history_``.

        ``X`` and ``y`` are validated and encoded (class indices); ``schedule`` overrides
        ``lr_schedule`` (partial_fit uses "constant").
        """
        seed = self._seed + initial_epoch  # each warm-started fit shuffles differently
        targets = builders.training_targets(self.model_, y, self.n_classes_)
        arrays = (X, targets) if sample_weight is None else (X, targets, sample_weight)
        train_index, validation_data = None, None
        if self.validation_split:
            train_index, validation_index = validation_split(y, self.validation_split, seed)
            validation_data = self.get_iterator(arrays[:2], index=validation_index)
        tracker = BestEpoch("val_loss" if self.validation_split else "loss",
                            patience=self.patience if self.early_stopping else None,
                            checkpoint_dir=self.checkpoint_dir)
        batches = self.get_iterator(arrays, index=train_index, shuffle_seed=seed)
        try:
            records = self.model_.fit(
                batches,
                validation_data=validation_data,
                epochs=initial_epoch + epochs,
                initial_epoch=initial_epoch,
                verbose=self.verbose,
                callbacks=self.get_callbacks(initial_epoch, epochs, schedule, tracker),
                shuffle=False,  # the seeded dataset from get_iterator does the shuffling
                **fit_kwargs,
            ).history
            if self.ema_momentum is not None:
                self._refresh_batch_norm(batches)
            if self.early_stopping:
                tracker.restore(self.model_)
        except KeyboardInterrupt:
            # Like skorch: Ctrl-C ends training, not the program, and loses no finished epoch.
            records = self.model_.history.history
            warnings.warn(_interrupt_message(tracker, self.model_), UserWarning, stacklevel=5)
        self._record_history(records, append=initial_epoch > 0)

    def _refresh_batch_norm(self, batches):
        """Re-estimate batch-norm statistics for the averaged weights Keras put in place at the
        end of ``fit``: the moving statistics followed the live weights, not their average."""
        batch_norms = [layer for layer in self.model_.layers
                       if isinstance(layer, keras.layers.BatchNormalization)]
        if not batch_norms:
            return
        for batch in batches.take(_BATCH_NORM_REFRESH_STEPS):  # the training batches, reused
            self.model_(batch[0], training=True)  # updates the moving statistics only

    def get_iterator(self, arrays, *, index=None, shuffle_seed=None):
        """The batches of ``arrays`` (rows ``index``), shuffled from ``shuffle_seed`` if set."""
        return make_dataset(arrays, self.batch_size, index=index, shuffle_seed=shuffle_seed)

    def get_callbacks(self, initial_epoch, epochs, schedule, tracker):
        """Keras callbacks of one ``fit_loop``: the learning rate of every step (set even when
        constant, so nothing is inherited from an earlier fit's schedule), the user's
        ``callbacks`` as they are now, then ``tracker``."""
        schedule = schedule or self.lr_schedule

        def rate(epoch):
            return builders.learning_rate_at(schedule, self.learning_rate, epoch, epochs,
                                             self.lr_decay)

        return [StepSchedule(rate, first_epoch=initial_epoch), *(self.callbacks or []), tracker]

    def inference_model(self):
        """The network as prediction (and :func:`skfmnist.export`) runs it: without
        training-only layers, with test-time augmentation where set."""
        check_is_fitted(self)
        return builders.inference_model(self.model_, **self._inference_options_dict())

    def _inference_options_dict(self):
        """Hook: what prediction adds to the trained network (the CNN's test-time
        augmentation); nothing here."""
        return {}

    def _inference_options(self):
        return tuple(sorted(self._inference_options_dict().items()))

    @property
    def current_epoch(self):
        """Epochs trained so far (scikeras reads ``history_["loss"]``, absent after 0 epochs)."""
        return len(getattr(self, "history_", {}).get("loss", ()))

    def _record_history(self, records, append):
        if not append or not hasattr(self, "history_"):
            self.history_ = {}
        for key, values in records.items():
            self.history_.setdefault(key, []).extend(float(value) for value in values)

    def _predict_raw(self, X, **kwargs):
        check_is_fitted(self)
        X, _ = self._validate_data(X, reset=False)
        return self.predict_loop(X)

    def predict_loop(self, X):
        """The network's outputs for validated rows ``X``, in bounded chunks."""
        return predict_in_chunks(self.forward, X, self.model_.output_shape[-1])

    def forward(self, X):
        """The network's output for one chunk of rows, through one traced TensorFlow function.

        ``keras.Model.predict`` builds a tf.data pipeline per call (52 ms for one image in benchmarks.serving);
        this function is traced once, for any number of rows, so small predictions take a few
        milliseconds and varying batch sizes cause no retracing.
        """
        functions = _FORWARD_FUNCTIONS.setdefault(self.model_, {})
        key = self._inference_options()
        if key not in functions:  # first call for this network (fitted, rebuilt or loaded)
            functions[key] = _forward_function(self.inference_model(), self.n_features_in_)
        function = functions[key]
        return function(X).numpy()

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of ``predict(X)`` against ``y``: :func:`~sklearn.metrics.accuracy_score`.

        Labels in ``y`` that were not seen in ``fit`` can never be predicted: they count as
        errors, with a warning that names them (often a sign of a label-encoding mix-up, e.g.
        integers 0-9 against class names).

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
        unseen = set(np.unique(np.asarray(y)).tolist()) - set(self.classes_.tolist())
        if unseen:
            warnings.warn(
                f"y contains labels not seen during fit: {sorted(unseen, key=str)[:10]}; they "
                f"count as errors. The classifier knows {self.classes_.tolist()}: check that "
                "the labels use the same encoding as the training labels.",
                UserWarning,
                stacklevel=2,
            )
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        image_shape = None
        if X is not None:
            X, image_shape = flatten_images(X, type(self).__name__)
        X, y = super()._validate_data(X, y, reset=reset, y_numeric=y_numeric)
        if reset:
            n_classes = np.unique(y).size
            if n_classes < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes in y to train a "
                    f"classifier, got 1 class: {np.unique(y).tolist()}."
                )
            self._set_image_shape(image_shape)
        return X, y

    def _set_image_shape(self, stacked_shape):
        """Hook: record what the network needs to know of the images (the CNN's shape)."""

    def _keras_build_fn(self, meta):
        model = self._build_network(meta, seed=self._seed)
        return builders.compile_classifier(model, self.optimizer, self.learning_rate,
                                           self.label_smoothing, self.ema_momentum)

    def summary(self):
        """The network's layer-by-layer summary (Keras's ``Model.summary``) as text."""
        check_is_fitted(self)
        lines = []
        self.model_.summary(print_fn=lambda line, **_: lines.append(line))
        return "\n".join(lines)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Honest: a network trained by mini-batch descent for the epochs a user chooses does
        # not promise scikit-learn's accuracy thresholds on the checks' 2-feature toy data
        # (FashionCNN(epochs=2) does not reach them). tests/test_sklearn_checks.py shows that
        # the checked configurations do.
        tags.classifier_tags.poor_score = True
        return tags

    @classmethod
    def _preset(cls, params, overrides):
        return cls(**{**params, **overrides})


# Traced forward functions by trained network (then by inference options), kept outside the
# estimator: predicting must not change the estimator's __dict__ (scikit-learn's
# check_dict_unchanged), and a network that is gone takes its functions with it (the inference
# model shares its layers, not the network object, so it does not keep the key alive).
_FORWARD_FUNCTIONS = weakref.WeakKeyDictionary()


def _forward_function(model, n_features):
    tf = import_tensorflow()
    return tf.function(_Forward(model),
                       input_signature=[tf.TensorSpec([None, n_features], tf.float32)])


class _Forward:
    """Calls a network in inference mode.

    A callable object, not a function: TensorFlow's "retracing" warning counts traces per code
    object, so a function traced once per network is reported after a few networks (a grid
    search); an object is counted on its own.
    """

    def __init__(self, model):
        self._model = model

    def __call__(self, rows):
        return self._model(rows, training=False)


def _interrupt_message(tracker, model):
    if not tracker.restore(model):
        return ("Training was interrupted before the first epoch ended: the network keeps its "
                "partly trained weights.")
    return (f"Training was interrupted: the estimator keeps the weights of epoch "
            f"{tracker.best_epoch + 1} (best {tracker.monitor} {tracker.best:.4f}); history_ "
            "holds the finished epochs.")
