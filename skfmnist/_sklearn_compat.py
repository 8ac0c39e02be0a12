"""scikit-learn's private names that skfmnist builds on, imported in one place.

scikit-learn may move or change these between releases without deprecation (as
imbalanced-learn's ``_sklearn_compat.py`` notes for its own); when one breaks, this module is
the one place to adapt. Public scikit-learn names are imported where they are used.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._tags import ClassifierTags
from sklearn.utils.validation import _check_sample_weight

__all__ = ["ClassifierTags", "Interval", "StrOptions", "_check_sample_weight", "_fit_context"]
