"""Every workaround for scikeras 0.13.0 (unmaintained since 2024) lives here.

:class:`KerasClassifierCompat` is ``scikeras.wrappers.KerasClassifier`` with its defects against
current scikit-learn (>= 1.6) and Keras 3 repaired. Each override below names the defect it covers;
``tests/test_scikeras_compat.py`` shows every defect on a plain ``KerasClassifier`` next to its
absence here, so that a future scikeras release that fixes one makes its test fail and the
workaround can be dropped.

What skfmnist keeps from scikeras: the ``fit``/``partial_fit``/``predict``/``predict_proba``
orchestration, label encoding (string labels), ``class_weight`` and ``warm_start``. The training
and prediction loop itself is skfmnist's own (``_base.py``).
"""

import numpy as np
from scikeras.wrappers import BaseWrapper, KerasClassifier
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils._tags import ClassifierTags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from . import _keras_archive
from ._images import reject_sparse

_MAX_SEED = np.iinfo(np.int32).max // 2  # room for the offsets derived from one seed


class _ClassifierMixinFirst(type):
    """Defect 0 (mixin order): ``KerasClassifier(BaseWrapper, ClassifierMixin)`` puts
    ClassifierMixin after BaseEstimator, so ClassifierMixin's tags and ``score`` are shadowed.
    A subclass cannot list ClassifierMixin first (Python reports an inconsistent MRO), so this
    metaclass moves ClassifierMixin in front of BaseWrapper in the subclasses' MRO. Nothing
    else moves: scikeras's methods and ``super()`` calls resolve as before.
    """

    def mro(cls):
        order = super().mro()
        if ClassifierMixin in order and BaseWrapper in order:
            order.remove(ClassifierMixin)
            order.insert(order.index(BaseWrapper), ClassifierMixin)
        return order


class KerasClassifierCompat(KerasClassifier, metaclass=_ClassifierMixinFirst):
    """``KerasClassifier`` that behaves like a scikit-learn classifier.

    Subclasses implement ``_keras_build_fn(meta)`` (building with the seed ``self._seed``) and
    ``fit_loop(X, y, sample_weight, *, epochs, initial_epoch, **kwargs)``, which trains the
    network with every random part seeded explicitly (see defect 3).
    """

    # Defect 1 (tags): KerasClassifier declares its tags through the pre-1.6 ``_more_tags``, which
    # scikit-learn >= 1.6 ignores: no estimator type, so ``is_classifier`` is False and
    # ``cross_val_score(clf, X, y, cv=5)`` silently uses plain KFold, not StratifiedKFold.
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # ClassifierMixin's, thanks to the MRO above
        tags.classifier_tags = ClassifierTags(multi_class=True, multi_label=False)
        tags.target_tags.required = True
        tags.target_tags.multi_output = False
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        # Training is stochastic, but a given random_state reproduces results exactly.
        tags.non_deterministic = False
        return tags

    # Defect 2 (parameters): BaseWrapper treats every instance attribute not ending in "_" as a
    # parameter, accepts any ``set_params(prefix__x=...)`` silently, answers an unknown name with
    # advice to pass it to the constructor (which subclasses may not accept), and prints a
    # tab-indented repr. The estimators here declare all parameters in ``__init__``, so
    # scikit-learn's standard signature-based machinery applies.
    _get_param_names = classmethod(BaseEstimator._get_param_names.__func__)
    # BaseWrapper's code reads these as attributes; the subclasses build and compile their own
    # network, so they are fixed here rather than offered as parameters that would do nothing.
    model = build_fn = loss = metrics = validation_batch_size = None
    run_eagerly = False
    get_params = BaseEstimator.get_params
    set_params = BaseEstimator.set_params
    __repr__ = BaseEstimator.__repr__

    # Defect 3 (global random state): with ``random_state`` set, scikeras builds and fits inside
    # ``tensorflow_random_state``, which seeds Python's, NumPy's and TensorFlow's global RNGs and
    # calls ``tf.config.experimental.enable_op_determinism()`` for the whole process; afterwards
    # unseeded TensorFlow random ops elsewhere raise "Random ops require a seed to be set when
    # determinism is enabled". Here one integer seed is drawn from ``random_state`` (scikit-learn
    # style) and passed explicitly to every initialiser, dropout and augmentation layer and to the
    # data shuffling, so results are reproducible and no global state is touched.
    def _build_keras_model(self):
        self._seed = int(check_random_state(self.random_state).randint(_MAX_SEED))
        return self._keras_build_fn(meta=self._get_metadata())

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        self.fit_loop(X, y, sample_weight, epochs=epochs, initial_epoch=initial_epoch, **kwargs)

    # Defect 4 (input validation): scikeras's own ``_validate_data`` accepts sparse matrices,
    # object arrays and n-d input, never records ``feature_names_in_`` and checks the feature
    # count at predict time with its own wording. scikit-learn's ``validate_data`` is used
    # instead, with a message that says sparse input is not supported.
    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        name = type(self).__name__
        if X is None:
            return None, self._validate_target(y)
        reject_sparse(X, name)
        if y is None and not reset:  # predict: X only (fit passes y, even None, to be refused)
            X = validate_data(self, X, reset=False, dtype=np.float32, ensure_all_finite=True)
            return X, None
        X, y = validate_data(self, X, y, reset=reset, dtype=np.float32, ensure_all_finite=True)
        return X, self._validate_target(y)

    def _validate_target(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    # Defect 5 (fitted state): KerasClassifier.fit sets ``classes_ = None`` before validating,
    # so a fit that fails on bad input leaves an estimator that ``check_is_fitted`` accepts, and
    # predicting before fit raises a message without the fix. Fitted means "has a model".
    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    # Defect 8 (one-row probabilities): for a single sample, KerasClassifier.predict_proba
    # returns shape (n_classes,) instead of (1, n_classes), which breaks callers that index
    # rows (plots, CalibratedClassifierCV, VotingClassifier).
    def predict_proba(self, X, **kwargs):
        probabilities = super().predict_proba(X, **kwargs)
        return probabilities.reshape(-1, probabilities.shape[-1])

    # Defect 7 (persistence): a fitted KerasClassifier's state holds the Keras model, encoders and
    # live callbacks; skops cannot walk it (RecursionError, skops issue #388), and unpickling the
    # model goes through Keras with safe_mode=False. The state here is plain data plus the network
    # as ``.keras`` archive bytes, loaded with safe_mode=True; the rest is rebuilt on load. Pickle,
    # joblib and skops (skfmnist.save) all use it.
    _REBUILT_ON_LOAD = ("model_", "target_encoder_", "feature_encoder_", "_fit_callbacks",
                        "_predict_callbacks")

    def __getstate__(self):
        state = super().__getstate__()
        state = {key: value for key, value in state.items() if key not in self._REBUILT_ON_LOAD}
        if "model_" in self.__dict__:
            state["_keras_archive"] = _keras_archive.to_bytes(self.model_)
        return state

    def __setstate__(self, state):
        state = dict(state)
        archive = state.pop("_keras_archive", None)
        super().__setstate__(state)
        if archive is not None:
            self.model_ = _keras_archive.from_bytes(archive)
            self.target_encoder_ = self.target_encoder.fit(self.classes_)
            self.feature_encoder_ = self.feature_encoder.fit(np.zeros((1, self.n_features_in_)))
            self._initialize_callbacks()

    # Defect 6 (class_weight mutates the caller's array): KerasClassifier.fit multiplies the
    # given ``sample_weight`` in place by the class weights.
    # Defect 9 (warm start forgets the classes): KerasClassifier.fit sets ``classes_ = None``,
    # and a warm-started refit skips the initialisation that sets it again, so ``classes_`` stays
    # None (``score`` and scikit-learn's metrics fail). The classes of the first fit are kept.
    def fit(self, X, y, sample_weight=None, **kwargs):
        if sample_weight is not None and self.class_weight is not None:
            sample_weight = np.array(sample_weight, dtype=np.float64)
        classes = getattr(self, "classes_", None)
        super().fit(X, y, sample_weight=sample_weight, **kwargs)
        if self.classes_ is None:
            self.classes_ = classes
        return self

