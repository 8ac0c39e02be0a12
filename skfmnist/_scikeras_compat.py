"""Every workaround for scikeras 0.13.0 (unmaintained since 2024) lives here.

:class:`KerasClassifierCompat` is ``scikeras.wrappers.KerasClassifier`` with the defects that
still reach skfmnist repaired: the class hierarchy, the tags, the parameter machinery and
persistence. Each override names the defect it covers;
``tests/test_scikeras_compat.py`` shows every defect on a plain ``KerasClassifier`` next to its
absence here, so that a scikeras release that fixes one makes its test fail and the workaround
can go.

skfmnist keeps scikeras as its base class (its estimators are ``KerasClassifier`` instances with
scikeras's attribute names: ``model_``, ``history_``, ``classes_``) but trains and predicts with
its own loop (``_base.py``): scikeras's ``fit`` seeds process-global random state, mutates the
caller's sample weights, forgets the classes on a warm start and routes arguments through
``**kwargs``, and the tests show each of those on plain scikeras too.
"""

from scikeras.wrappers import BaseWrapper, KerasClassifier
from sklearn.base import BaseEstimator, ClassifierMixin

from . import _keras_archive
from ._sklearn_compat import ClassifierTags


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
    """``KerasClassifier`` that behaves like a scikit-learn classifier."""

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
    get_params = BaseEstimator.get_params
    set_params = BaseEstimator.set_params
    __repr__ = BaseEstimator.__repr__

    # Defect 7 (persistence): scikeras pickles a Keras model through Keras's loader with
    # safe_mode=False (scikeras/_saving_utils.py), and skops cannot walk a fitted
    # KerasClassifier's state (RecursionError, skops issue #388). The state here is plain data
    # plus the network as ``.keras`` archive bytes, loaded with safe_mode=True. Pickle, joblib
    # and skops (skfmnist.save) all use it.
    def __getstate__(self):
        state = dict(super().__getstate__())
        if "model_" in state:
            state["model_"] = _keras_archive.to_bytes(state.pop("model_"))
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "model_" in state:
            state["model_"] = _keras_archive.from_bytes(state["model_"])
        super().__setstate__(state)
