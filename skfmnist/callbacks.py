"""Keras callbacks used by the estimators' training loop."""

import numpy as np
from keras.callbacks import Callback

__all__ = ["BestWeights"]


class BestWeights(Callback):
    """Keep the weights of the best epoch so far in memory, for an interrupted fit.

    Parameters
    ----------
    monitor : str
        The logged quantity to minimise, e.g. ``"val_loss"`` or ``"loss"``.
    """

    def __init__(self, monitor):
        super().__init__()
        self.monitor = monitor
        self.best = np.inf
        self.best_epoch = None
        self.weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and value < self.best:
            self.best, self.best_epoch = value, epoch
            self.weights = self.model.get_weights()

    def restore_after_interrupt(self, model):
        """Put the best weights back into ``model``; return the message for the user."""
        if self.weights is None:
            return ("Training was interrupted before the first epoch ended: the network keeps "
                    "its partly trained weights.")
        model.set_weights(self.weights)
        return (f"Training was interrupted: the estimator keeps the weights of epoch "
                f"{self.best_epoch + 1} (best {self.monitor} {self.best:.4f}); history_ holds "
                "the finished epochs.")
