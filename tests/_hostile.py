"""Types that a hostile model file would smuggle in (used by test_persistence.py)."""

import os

from sklearn.base import BaseEstimator, TransformerMixin


class RunsACommand:
    """Would run a shell command the moment it is rebuilt from a file."""

    def __init__(self, marker):
        self.marker = marker

    def __setstate__(self, state):
        os.system(f"touch {state['marker']}")
        self.__dict__.update(state)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class CustomStep(TransformerMixin, BaseEstimator):
    """A harmless but unknown pipeline step."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X
