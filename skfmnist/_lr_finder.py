"""The learning-rate range test: train a clone while the rate grows step by step."""

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

import keras

__all__ = ["LearningRateFinder", "find_learning_rate"]


class LearningRateFinder:
    """Result of :func:`find_learning_rate`: losses against exponentially growing rates.

    Attributes
    ----------
    learning_rates : ndarray
        The learning rate of each training step.
    losses : ndarray
        The training loss after each step (exponentially smoothed).
    suggested_learning_rate : float
        A tenth of the rate at the lowest loss: fast, but safely below where training
        diverges.
    """

    def __init__(self, learning_rates, losses):
        self.learning_rates = np.asarray(learning_rates)
        self.losses = np.asarray(losses)
        self.suggested_learning_rate = float(self.learning_rates[np.argmin(self.losses)] / 10)

    def plot(self, ax=None):
        """:func:`skfmnist.plotting.plot_learning_rate_finder` of this result."""
        from .plotting import plot_learning_rate_finder

        return plot_learning_rate_finder(self, ax=ax)


class _RangeTest(keras.callbacks.Callback):
    """Sets the rate of each step along the exponential ramp; records the smoothed loss and
    stops once it explodes."""

    def __init__(self, min_lr, max_lr, n_steps, smoothing):
        super().__init__()
        self.min_lr, self.max_lr, self.n_steps, self.smoothing = min_lr, max_lr, n_steps, smoothing
        self.rates, self.losses = [], []

    def on_train_batch_begin(self, batch, logs=None):
        step = len(self.rates)
        rate = self.min_lr * (self.max_lr / self.min_lr) ** (step / max(self.n_steps - 1, 1))
        self.model.optimizer.learning_rate.assign(rate)
        self.rates.append(rate)

    def on_train_batch_end(self, batch, logs=None):
        loss = float(logs["loss"])
        losses = self.losses
        losses.append(loss if not losses else
                      self.smoothing * losses[-1] + (1 - self.smoothing) * loss)
        if not np.isfinite(losses[-1]) or losses[-1] > 4 * min(losses):
            self.model.stop_training = True


def find_learning_rate(estimator, X, y, *, min_lr=1e-6, max_lr=1.0, epochs=1, smoothing=0.9):
    """Learning-rate range test: grow the rate exponentially per step, record the loss.

    Trains a clone of ``estimator`` (nothing of the original changes) from ``min_lr`` to
    ``max_lr`` over ``epochs`` epochs of ``X``, and stops early once the loss explodes.

    Parameters
    ----------
    estimator : FashionMLP, FashionCNN, or a pipeline ending in one
    X, y : array-like
        Training data, in the form the estimator takes.
    min_lr, max_lr : float, default=1e-6, 1.0
        The range of learning rates.
    epochs : int, default=1
        Epochs over which the rate grows from ``min_lr`` to ``max_lr``.
    smoothing : float, default=0.9
        Exponential smoothing of the per-step loss.

    Returns
    -------
    finder : LearningRateFinder
        ``learning_rates``, ``losses``, ``suggested_learning_rate`` and ``.plot()``.
    """
    probe = clone(estimator)
    network = probe[-1] if isinstance(probe, Pipeline) else probe
    n_steps = epochs * int(np.ceil(len(X) / network.batch_size))
    ramp = _RangeTest(min_lr, max_lr, n_steps, smoothing)
    network.set_params(epochs=epochs, learning_rate=min_lr, lr_schedule="constant",
                       early_stopping=False, validation_split=0.0, callbacks=[ramp], verbose=0)
    probe.fit(X, y)
    return LearningRateFinder(ramp.rates[:len(ramp.losses)], ramp.losses)
