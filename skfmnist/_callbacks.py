"""The callbacks the estimators' training loop adds: the best-epoch tracker, the per-step
learning rate, Lookahead."""

import warnings
from pathlib import Path

import numpy as np
from keras.callbacks import Callback

from ._fileutils import atomic_write
from ._keras_archive import weights_file
from ._tf import import_tensorflow

CHECKPOINT_NAME = "best.weights.h5"


class BestEpoch(Callback):
    """Track the best epoch by ``monitor``: its weights in memory, optionally on disk.

    One callback serves early stopping (stop after ``patience`` epochs without improvement),
    the on-disk checkpoint (``checkpoint_dir/best.weights.h5``, replaced atomically) and the
    restore after an interrupt or at the end of an early-stopped fit.

    Parameters
    ----------
    monitor : str
        The logged quantity to minimise, e.g. ``"val_loss"`` or ``"loss"``.
    patience : int or None
        Epochs without improvement before training stops; None never stops.
    checkpoint_dir : path-like or None
        Folder for the best weights on disk; None keeps them in memory only.
    """

    def __init__(self, monitor, *, patience=None, checkpoint_dir=None):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.checkpoint_path = (None if checkpoint_dir is None
                                else Path(checkpoint_dir) / CHECKPOINT_NAME)
        self.best = np.inf
        self.best_epoch = None
        self.weights = None
        self._wait = 0

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and value < self.best:
            self.best, self.best_epoch, self._wait = value, epoch, 0
            self.weights = self.model.get_weights()
            if self.checkpoint_path is not None:
                self._write_checkpoint()
            return
        self._wait += 1
        if self.patience is not None and self._wait >= self.patience:
            self.model.stop_training = True

    def restore(self, model):
        """Put the best epoch's weights back into ``model``; False if no epoch ended."""
        if self.weights is None:
            return False
        model.set_weights(self.weights)
        return True

    def _write_checkpoint(self):
        """Replace the checkpoint atomically; a failed write (a full disk) warns, and the last
        good checkpoint stays as it was.

        The HDF5 file is built in memory and written as plain bytes: a full disk then fails in
        an ordinary write, with no HDF5 file left half-open to report its failure when freed
        (or to crash the process at exit). A writer killed part-way leaves a temporary file
        named with its process id, which the next write removes.
        """
        data = weights_file(self.model)
        try:
            atomic_write(self.checkpoint_path, lambda stream: stream.write(data))
        except OSError as exc:
            self._warn_unwritable(_first_line(exc))

    def _warn_unwritable(self, reason):
        warnings.warn(
            f"Could not write the checkpoint {self.checkpoint_path} ({reason}). Training goes "
            "on with the best weights kept in memory; the checkpoint on disk, if any, is the "
            "last one written completely.",
            RuntimeWarning,
            stacklevel=2,
        )


def _first_line(exc):
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


class StepSchedule(Callback):
    """Set the optimiser's learning rate before every step from ``rate(epoch)``, where
    ``epoch`` counts from the start of this fit and is fractional within an epoch; log the rate
    each epoch started with as ``learning_rate``.

    Parameters
    ----------
    rate : callable
        Fractional epoch -> learning rate.
    first_epoch : int, default=0
        Keras's epoch index at which this fit starts (warm starts continue the count).
    """

    def __init__(self, rate, first_epoch=0):
        super().__init__()
        self.rate = rate
        self.first_epoch = first_epoch
        self._epoch = 0
        self._epoch_rate = None
        self._assigned = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch - self.first_epoch
        self._epoch_rate = self.rate(self._epoch)

    def on_train_batch_begin(self, batch, logs=None):
        steps = self.params.get("steps") or 1
        rate = self.rate(self._epoch + batch / steps)
        if rate != self._assigned:  # an assignment per step would cost plain Keras's speed
            self.model.optimizer.learning_rate.assign(rate)
            self._assigned = rate

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self._epoch_rate)


class Lookahead(Callback):
    """Lookahead (Zhang et al., 2019, arXiv:1907.08610) around the compiled optimiser.

    The optimiser's weights are the fast ones; a copy trails them. Every ``sync_period`` steps,
    after the last step of every epoch, and when training stops early, the copy moves
    ``slow_step`` of the way to the fast weights, and training goes on from the copy. An epoch
    therefore ends on the slow weights: they are what validation, the best-epoch tracker and
    the fitted estimator see. Each fit starts the copy from the weights it starts from.

    Parameters
    ----------
    sync_period : int
        Optimiser steps between synchronisations (the paper's k).
    slow_step : float, default=0.5
        Share of the way the slow weights move (the paper's alpha).
    """

    def __init__(self, sync_period, slow_step=0.5):
        super().__init__()
        self.sync_period = sync_period
        self.slow_step = slow_step
        self._synchronise = None
        self._in_sync = True

    def on_train_begin(self, logs=None):
        tf = import_tensorflow()
        # One traced call per synchronisation, not two eager operations per weight.
        self._synchronise = tf.function(_Synchronise(self.model.trainable_weights,
                                                     self.slow_step))

    def on_train_batch_end(self, batch, logs=None):
        self._in_sync = (batch + 1) % self.sync_period == 0 or batch + 1 == self.params["steps"]
        if self._in_sync:
            self._synchronise()

    def on_train_end(self, logs=None):
        if not self._in_sync:  # stopped within an epoch (a callback's stop_training)
            self._synchronise()


class _Synchronise:
    """Moves slow copies of ``weights`` ``slow_step`` of the way to them, then the weights to
    the copies. A callable object, not a closure: TensorFlow's "retracing" warning counts
    traces per code object, and each fit traces its own."""

    def __init__(self, weights, slow_step):
        tf = import_tensorflow()
        self._fast = [weight.value for weight in weights]
        self._slow = [tf.Variable(weight, trainable=False) for weight in self._fast]
        self._slow_step = slow_step

    def __call__(self):
        for slow, fast in zip(self._slow, self._fast):
            slow.assign_add(self._slow_step * (fast - slow))
            fast.assign(slow)
