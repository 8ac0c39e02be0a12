"""Calibrated probabilities (Guo et al., "On Calibration of Modern Neural Networks", 2017).

Temperature scaling, which the estimators apply after training: one temperature ``T`` per way
of predicting, fitted on held-out rows to minimise their log-loss, turns probabilities ``p``
into ``softmax(log(p) / T)``; the predicted class never changes. And the measures of
calibration: the bins of a reliability diagram and the expected calibration error (ECE) they
add up to (equal-width bins on the highest class probability).
"""

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.utils import Bunch

# Temperatures searched: far beyond any a trained network needs, finite for a degenerate
# held-out set (all rows right, or a handful of rows).
_LOG_TEMPERATURE_BOUNDS = (-3.0, 3.0)
_SMALLEST_PROBABILITY = 1e-12


def fit_temperature(proba, labels):
    """The temperature that minimises the log-loss of ``proba`` (rows of probabilities) for
    the class indices ``labels``."""
    log_proba = np.log(np.clip(proba, _SMALLEST_PROBABILITY, 1.0)).astype(np.float64)
    rows = np.arange(len(labels))

    def log_loss(log_temperature):
        logits = log_proba / np.exp(log_temperature)
        logits -= logits.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[rows, labels])

    best = minimize_scalar(log_loss, bounds=_LOG_TEMPERATURE_BOUNDS, method="bounded")
    return float(np.exp(best.x))


def apply_temperature(proba, temperature):
    """``softmax(log(proba) / temperature)`` as Keras operations, for the inference network."""
    import keras

    log_proba = keras.ops.log(keras.ops.maximum(proba, _SMALLEST_PROBABILITY))
    return keras.ops.softmax(log_proba / temperature, axis=-1)


def calibration_bins(y_true, proba, *, n_bins=15, classes=None):
    """Top-1 confidence against accuracy in ``n_bins`` equal-width bins of [0, 1].

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities, as ``predict_proba`` returns them.
    n_bins : int, default=15
        Bins of equal width; a sample falls in bin ``b`` when ``b / n_bins < confidence <=
        (b + 1) / n_bins``.
    classes : array-like of shape (n_classes,), default=None
        The label of each column of ``proba`` (an estimator's ``classes_``); None means the
        integer labels 0 to n_classes - 1.

    Returns
    -------
    bins : :class:`~sklearn.utils.Bunch`
        ``edges`` (n_bins + 1,), and per bin ``count``, mean ``confidence`` and ``accuracy``
        (NaN for empty bins).
    """
    y_true, proba, classes = _checked(y_true, proba, n_bins, classes)
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y_true
    index = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty bins: NaN, not a warning
        mean_confidence = np.bincount(index, confidence, n_bins) / count
        accuracy = np.bincount(index, correct, n_bins) / count
    return Bunch(edges=np.linspace(0.0, 1.0, n_bins + 1), count=count,
                 confidence=mean_confidence, accuracy=accuracy)


def expected_calibration_error(y_true, proba, *, n_bins=15, classes=None):
    """The expected calibration error: the gap between top-1 confidence and accuracy, averaged
    over equal-width confidence bins weighted by how many samples they hold (0 is perfect).

    Parameters are those of :func:`calibration_bins`.

    Returns
    -------
    ece : float
        In [0, 1].
    """
    bins = calibration_bins(y_true, proba, n_bins=n_bins, classes=classes)
    filled = bins.count > 0
    gaps = np.abs(bins.accuracy[filled] - bins.confidence[filled])
    return float(np.sum(gaps * bins.count[filled]) / bins.count.sum())


def _checked(y_true, proba, n_bins, classes):
    proba = np.asarray(proba, dtype=float)
    y_true = np.asarray(y_true)
    if proba.ndim != 2 or not np.isfinite(proba).all():
        raise ValueError(f"proba must be a finite 2-D array (n_samples, n_classes) as "
                         f"predict_proba returns; got shape {proba.shape}.")
    if y_true.shape != (len(proba),):
        raise ValueError(f"y_true must hold one label per row of proba: got shape "
                         f"{y_true.shape} for {len(proba)} rows.")
    if len(proba) == 0:
        raise ValueError("y_true and proba are empty: pass at least one sample.")
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")
    if classes is None:
        if not np.issubdtype(y_true.dtype, np.integer):
            raise ValueError("y_true holds labels that are not integers 0 to n_classes - 1: "
                             "pass classes=estimator.classes_ to say which column is which.")
        classes = np.arange(proba.shape[1])
    classes = np.asarray(classes)
    if classes.shape != (proba.shape[1],):
        raise ValueError(f"classes must name the {proba.shape[1]} columns of proba, got "
                         f"{len(classes)} labels.")
    return y_true, proba, classes
