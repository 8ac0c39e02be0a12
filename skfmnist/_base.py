"""The training and prediction loop of :class:`FashionMLP` and :class:`FashionCNN`, in one place.

Reading order, as skorch's ``net.py``::

    fit / partial_fit
      -> _validate_input         scikit-learn's checks; records n_features_in_ (and the CNN's
                                 image_shape_) when a new network is due
      -> initialize_network      label encoding, the seed, the network built and compiled
         (or _check_continuation on a warm start: same network parameters, known classes)
      -> encode_targets          labels as class indices
      -> fit_loop                one call of Keras's ``Model.fit`` over this fit's epochs
           -> get_iterator       the seeded tf.data pipeline (``_data.py``)
           -> get_callbacks      learning-rate schedule, Lookahead, the user's callbacks, the
                                 best-epoch tracker (early stopping, checkpoint, interrupt)
    predict / predict_proba
      -> predict_loop            the network applied chunk by chunk
           -> forward            one traced call of ``inference_model()``: the network without
                                 training-only layers, with test-time augmentation if set

Subclasses describe their parameters and their network (``_build_network``); the CNN also
records and checks the images' shape (``_check_image_shape``) and adds test-time augmentation
to prediction (``_inference_options_dict``).
"""

import warnings
import weakref
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.utils import check_random_state, compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import _builders as builders
from ._calibration import fit_temperature
from ._callbacks import BestEpoch, Lookahead, StepSchedule
from ._data import make_dataset, predict_in_chunks, validation_split
from ._docstrings import API_PAGE_TEMPLATE, PREDICTION_DATA, TRAINING_DATA, Substitution
from ._images import flatten_images
from ._scikeras_compat import KerasClassifierCompat
from ._sklearn_compat import Interval, StrOptions, _check_sample_weight, _fit_context
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
    "lookahead": [Interval(Integral, 1, None, closed="left"), None],
    "calibration": [StrOptions({"temperature"}), None],
}
# Parameters that steer how the network is trained or applied, not what network is built: a
# warm-started fit may change them. Any other parameter changed before a warm start would be
# silently ignored by the network already built, so it is refused.
_RETRAINING_PARAMS = frozenset({
    "learning_rate", "lr_schedule", "lr_decay", "batch_size", "epochs", "validation_split",
    "early_stopping", "patience", "verbose", "warm_start", "callbacks", "class_weight",
    "checkpoint_dir", "tta", "calibration", "lookahead",
})
# Training rows held out to fit the calibration temperature when there is no validation split.
CALIBRATION_SHARE = 0.05
# Keras.Model.fit arguments a user may try to pass to fit, and the estimator parameter that
# does their job (a fit argument would be lost by clone, grid search and save).
_FIT_ARGUMENT_PARAMS = {
    "epochs": "epochs", "batch_size": "batch_size", "callbacks": "callbacks",
    "verbose": "verbose", "class_weight": "class_weight", "validation_split": "validation_split",
    "validation_data": "validation_split", "shuffle": "random_state",
    "initial_epoch": "warm_start",
}
# Batches that re-estimate batch-norm statistics after weight averaging: with momentum 0.9,
# what was there before weighs 0.9**50 < 1 %.
_BATCH_NORM_REFRESH_STEPS = 50
# Seeds drawn from random_state leave room for the per-epoch offsets added to them.
_MAX_SEED = np.iinfo(np.int32).max // 2


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
    # scikit-learn's HTML diagram links each estimator to its documentation page.
    _doc_link_module = "skfmnist"
    _doc_link_template = API_PAGE_TEMPLATE

    @Substitution(training_data=TRAINING_DATA)
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Train the network from scratch (or further, with ``warm_start=True``).

        Parameters
        ----------
%(training_data)s
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights for the loss.
        **fit_params : dict
            Not accepted: Keras's ``Model.fit`` arguments (``epochs``, ``callbacks``,
            ``verbose``, ...) are estimator parameters here, so that ``clone``, searches and
            ``skfmnist.save`` keep them. The error names the parameter to set instead.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._refuse_fit_params("fit", fit_params)
        warm = self.warm_start and self.__sklearn_is_fitted__()
        X, y = self._validate_input(X, y, reset=not warm)
        if warm:
            self._check_continuation()
        else:
            self.initialize_network(X, y)
        self.fit_loop(X, self.encode_targets(y), self._sample_weight(X, y, sample_weight),
                      epochs=self.epochs, schedule=self.lr_schedule)
        return self

    @Substitution(training_data=TRAINING_DATA)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None, **fit_params):
        """Train for one epoch at ``learning_rate``, keeping the network of earlier calls.

        Parameters
        ----------
%(training_data)s
        classes : array-like of shape (n_classes,), default=None
            All classes, required on the first call if ``y`` does not contain them all; later
            calls may repeat it but not change it.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights for the loss.
        **fit_params : dict
            Not accepted, as in :meth:`fit`.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._refuse_fit_params("partial_fit", fit_params)
        first_call = not self.__sklearn_is_fitted__()
        if not first_call:
            # _fit_context skips validation for partial_fit on a fitted estimator, but
            # set_params may have changed a parameter since the first call.
            self._validate_params()
        X, y = self._validate_input(X, y, reset=first_call)
        if first_call:
            self.initialize_network(X, y, classes)
        else:
            self._check_continuation(classes)
        # A schedule spans the epochs of one fit; partial_fit's caller decides how many calls
        # there will be, so each runs at the base rate (as MLPClassifier's does).
        self.fit_loop(X, self.encode_targets(y), self._sample_weight(X, y, sample_weight),
                      epochs=1, schedule="constant")
        return self

    def initialize(self, X, y):
        """Build the network for ``(X, y)`` without training it (scikeras's ``initialize``).

        Returns
        -------
        self : object
        """
        self._validate_params()
        X, y = self._validate_input(X, y, reset=True)
        self.initialize_network(X, y)
        return self

    def initialize_network(self, X, y, classes=None):
        """Everything a fit from scratch starts from: the classes (``classes``, else those in
        ``y``), the seed drawn from ``random_state``, and the network, built (for validated
        training rows ``X``, which the CNN's patch whitening is fitted to) and compiled."""
        self.classes_ = np.unique(y if classes is None else column_or_1d(classes))
        if self.classes_.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes to train a classifier, got 1 "
                f"class: {self.classes_.tolist()}. Pass labels of several classes (or all of "
                "them as partial_fit's classes=)."
            )
        self.n_classes_ = self.classes_.size
        self._seed = int(check_random_state(self.random_state).randint(_MAX_SEED))
        network = self._build_network(X, seed=self._seed)
        self.model_ = builders.compile_classifier(
            network, self.optimizer, self.learning_rate, self.label_smoothing,
            self.ema_momentum, soft_targets=self._cutmix() is not None)
        self._network_params = self._current_network_params()
        self.history_ = {}

    def _check_continuation(self, classes=None):
        """Refuse what a further fit of the network already built cannot honour: changed
        network parameters, or different classes."""
        changed = sorted(name for name, value in self._current_network_params().items()
                         if value != self._network_params.get(name))
        if changed:
            was = {name: self._network_params.get(name) for name in changed}
            raise ValueError(
                f"{type(self).__name__} cannot continue training after {changed} changed "
                f"(the network was built with {was}): a warm start keeps the network. Set the "
                "parameters back, or train a new network (warm_start=False, or a fresh "
                "estimator)."
            )
        if classes is not None and not np.array_equal(np.unique(column_or_1d(classes)),
                                                      self.classes_):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()} is not the same as on the first call "
                f"to partial_fit, {self.classes_.tolist()}: the network has one output per "
                "class. Pass the first call's classes, or fit a new estimator."
            )

    def _current_network_params(self):
        """The parameters the built network depends on, as comparable plain values."""
        return {name: tuple(value) if isinstance(value, list) else value
                for name, value in self.get_params(deep=False).items()
                if name not in _RETRAINING_PARAMS}

    def encode_targets(self, y):
        """Labels ``y`` as indices into ``classes_``; labels the network has no output for
        are refused."""
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels the network has no output for: {unknown[:10].tolist()}; it "
                f"was built for classes {self.classes_.tolist()}. Pass all classes on the "
                "first call (partial_fit's classes=), or fit a new estimator."
            )
        return np.searchsorted(self.classes_, y)

    def _sample_weight(self, X, y, sample_weight):
        """``sample_weight`` times the ``class_weight`` of each row's class, as a new array
        (the caller's is never changed); None when neither is set."""
        if sample_weight is None and self.class_weight is None:
            return None
        weights = _check_sample_weight(sample_weight, X, dtype=np.float32)
        if self.class_weight is not None:
            weights = weights * compute_sample_weight(self.class_weight, y)
        return weights.astype(np.float32)

    def fit_loop(self, X, targets, sample_weight, *, epochs, schedule):
        """Train ``epochs`` epochs on validated rows ``X`` and class indices ``targets``, and
        record them in ``history_``; ``schedule`` is the learning-rate schedule to follow."""
        initial_epoch = self.current_epoch  # a warm start continues the count and the shuffle
        seed = self._seed + initial_epoch
        labels = builders.training_targets(self.model_, targets, self.n_classes_)
        arrays = (X, labels) if sample_weight is None else (X, labels, sample_weight)
        train_index, held_out = self._held_out_rows(targets, seed)
        validation_data = (self.get_iterator(arrays[:2], index=held_out)
                           if self.validation_split else None)
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
            ).history
        except KeyboardInterrupt:
            # Like skorch: Ctrl-C ends training, not the program, and loses no finished epoch.
            restored = tracker.restore(self.model_)
            self._record_history(self.model_.history.history)
            warnings.warn(_interrupt_message(tracker, restored), UserWarning, stacklevel=4)
        else:
            self._record_history(records)
            self._check_finite(records, X)
            if self.ema_momentum is not None:
                self._refresh_batch_norm(batches)
            if self.early_stopping:
                tracker.restore(self.model_)
        if self.calibration:
            self.calibrate(X[held_out], targets[held_out])

    def _held_out_rows(self, targets, seed):
        """Row indices ``(train, held_out)``, stratified and seeded: the validation split,
        whose rows also calibrate; with calibration alone, a small share of the rows; ``(None,
        None)`` (train on all) when neither is asked for."""
        if not (self.validation_split or self.calibration):
            return None, None
        return validation_split(targets, self.validation_split or CALIBRATION_SHARE, seed)

    def calibrate(self, X, targets):
        """Fit ``temperatures_`` on held-out rows ``X`` with class indices ``targets``: for each
        way the estimator can predict (each test-time augmentation), the temperature that
        minimises the log-loss of its probabilities."""
        self.temperatures_ = {}
        for options in self._inference_variants():
            network = builders.inference_model(self.model_, **options)
            # Called eagerly: one pass over a few thousand rows costs less than tracing.
            proba = predict_in_chunks(lambda rows: network(rows, training=False).numpy(), X,
                                      self.n_classes_)
            self.temperatures_[str(options.get("tta"))] = fit_temperature(proba, targets)

    def _check_finite(self, records, X):
        """Raise, as MLPClassifier does, when training diverged: a network whose loss is not
        finite, or whose outputs for training rows are not (weights grown huge), predicts
        garbage, so it is not kept."""
        outputs = self.model_(X[:self.batch_size], training=False)
        if np.isfinite(records.get("loss", [])).all() and np.isfinite(outputs).all():
            return
        for name in ("model_", "classes_", "n_classes_", "history_", "temperatures_",
                     "_network_params"):
            self.__dict__.pop(name, None)
        raise ValueError(
            f"{type(self).__name__}'s training diverged: its loss or its outputs became "
            "non-finite (NaN or inf), so the network was discarded. Lower learning_rate, or "
            "scale the inputs to [0, 1] (ImagePreprocessor) if they are large."
        )

    def _refresh_batch_norm(self, batches):
        """Re-estimate batch-norm statistics for the averaged weights Keras put in place at the
        end of ``fit``: the moving statistics followed the live weights, not their average."""
        batch_norms = [layer for layer in self.model_.layers
                       if isinstance(layer, keras.layers.BatchNormalization)]
        if not batch_norms:
            return
        # The training batches, reused (repeated when one epoch has fewer batches).
        for batch in batches.repeat().take(_BATCH_NORM_REFRESH_STEPS):
            self.model_(batch[0], training=True)  # updates the moving statistics only

    def get_iterator(self, arrays, *, index=None, shuffle_seed=None):
        """The batches of ``arrays`` (rows ``index``), shuffled from ``shuffle_seed`` if set
        (training data, which the data pipeline may also augment)."""
        return make_dataset(arrays, self.batch_size, index=index, shuffle_seed=shuffle_seed,
                            mirror=self._mirror_schedule(), cutmix=self._cutmix())

    def _mirror_schedule(self):
        """Hook: the ``MirrorSchedule`` (``_data.py``) of the training images (the CNN's
        alternating flips); None here."""
        return None

    def _cutmix(self):
        """Hook: the ``CutMix`` (``_data.py``) of the training batches (the CNN's); None
        here."""
        return None

    def get_callbacks(self, initial_epoch, epochs, schedule, tracker):
        """Keras callbacks of one ``fit_loop``: the learning rate of every step (set even when
        constant, so nothing is inherited from an earlier fit's schedule), Lookahead if set
        (before the others, which then see its slow weights at the end of each epoch), the
        user's ``callbacks`` as they are now, then ``tracker``."""

        def rate(epoch):
            return builders.learning_rate_at(schedule, self.learning_rate, epoch, epochs,
                                             self.lr_decay)

        lookahead = [Lookahead(self.lookahead)] if self.lookahead else []
        return [StepSchedule(rate, first_epoch=initial_epoch), *lookahead,
                *(self.callbacks or []), tracker]

    @property
    def current_epoch(self):
        """Epochs trained so far (``history_`` is a plain dict here, which skops can save;
        scikeras's property expects its defaultdict)."""
        return len(getattr(self, "history_", {}).get("loss", ()))

    def _record_history(self, records):
        for key, values in records.items():
            self.history_.setdefault(key, []).extend(float(value) for value in values)

    def inference_model(self):
        """The network as prediction (and :func:`skfmnist.export`) runs it: without
        training-only layers, with test-time augmentation where set, calibrated."""
        check_is_fitted(self)
        return builders.inference_model(self.model_, **self._inference_options_dict(),
                                        temperature=self._temperature())

    def _inference_options_dict(self):
        """Hook: what prediction adds to the trained network (the CNN's test-time
        augmentation); nothing here."""
        return {}

    def _inference_variants(self):
        """Hook: the options of every way the estimator can predict, which ``calibrate``
        fits a temperature for (the CNN's test-time augmentations)."""
        return [{}]

    def _temperature(self):
        """The calibration temperature for the current way of predicting; None uncalibrated."""
        if self.calibration is None:
            return None
        if not hasattr(self, "temperatures_"):
            raise ValueError(
                f"calibration={self.calibration!r} was set after this {type(self).__name__} "
                "was fitted without calibration: fit it again, or set calibration=None."
            )
        return self.temperatures_[str(self._inference_options_dict().get("tta"))]

    def _inference_options(self):
        return (*sorted(self._inference_options_dict().items()),
                ("temperature", self._temperature()))

    @Substitution(prediction_data=PREDICTION_DATA)
    def predict_proba(self, X):
        """Class probabilities of the images ``X`` (calibrated, unless ``calibration=None``).

        Parameters
        ----------
%(prediction_data)s

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        check_is_fitted(self)
        X, _ = self._validate_input(X, reset=False)
        return self.predict_loop(X)

    @Substitution(prediction_data=PREDICTION_DATA)
    def predict(self, X):
        """The most probable class of each image in ``X``.

        Parameters
        ----------
%(prediction_data)s

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]

    def predict_loop(self, X):
        """The network's outputs for validated rows ``X``, in bounded chunks."""
        return predict_in_chunks(self.forward, X, self.model_.output_shape[-1])

    def forward(self, X):
        """The network's output for one chunk of rows, through one traced TensorFlow function.

        ``keras.Model.predict`` builds a tf.data pipeline per call; this function is traced
        once, for any number of rows, so small predictions cost little and varying batch sizes
        cause no retracing.
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

    def _validate_input(self, X, y=None, *, reset):
        """``X`` as float32 rows and ``y`` as a 1-d label array (None at prediction).

        ``reset=True`` (a new network is due) records ``n_features_in_``, ``feature_names_in_``
        and the images' shape; otherwise ``X`` must match what was recorded.
        """
        X, stacked_shape = flatten_images(X, type(self).__name__)
        if y is None and not reset:
            X = validate_data(self, X, reset=False, dtype=np.float32, ensure_all_finite=True)
        else:
            X, y = validate_data(self, X, y, reset=reset, dtype=np.float32,
                                 ensure_all_finite=True)
            y = column_or_1d(y, warn=True)
            check_classification_targets(y)
        self._check_image_shape(stacked_shape, reset=reset)
        return X, y

    def _check_image_shape(self, stacked_shape, *, reset):
        """Hook: record (``reset``) or check the shape of stacked images; the MLP takes rows."""

    def __sklearn_is_fitted__(self):
        """Fitted means "has a network": a fit that failed on bad input leaves none."""
        return hasattr(self, "model_")

    def _refuse_fit_params(self, method, fit_params):
        if not fit_params:
            return
        name = sorted(fit_params)[0]
        instead = _FIT_ARGUMENT_PARAMS.get(name)
        advice = (f"set it as the estimator parameter {instead!r} instead, e.g. "
                  f"{type(self).__name__}({instead}=...) or .set_params({instead}=...), so that "
                  "clone, searches and saving keep it" if instead else
                  "the estimator's parameters (get_params()) say what fit can do")
        raise TypeError(f"{type(self).__name__}.{method}() takes no argument {name!r}: "
                        f"{advice}.")

    def _validate_params(self):
        super()._validate_params()
        if self.ema_momentum is not None and self.early_stopping:
            raise ValueError(
                "ema_momentum and early_stopping=True cannot be combined: early stopping "
                "restores the best epoch's trained weights, which would replace the averaged "
                "weights ema_momentum puts in place. Use one: ema_momentum=None, or "
                "early_stopping=False."
            )
        if self.ema_momentum is not None and self.lookahead:
            raise ValueError(
                "ema_momentum and lookahead cannot be combined: the average of the optimiser's "
                "weights that ema_momentum puts in place when fit ends would replace the slow "
                "weights lookahead trains. Use one: ema_momentum=None, or lookahead=None."
            )

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


def _interrupt_message(tracker, restored):
    if not restored:
        return ("Training was interrupted before the first epoch ended: the network keeps its "
                "partly trained weights.")
    return (f"Training was interrupted: the estimator keeps the weights of epoch "
            f"{tracker.best_epoch + 1} (best {tracker.monitor} {tracker.best:.4f}); history_ "
            "holds the finished epochs.")
