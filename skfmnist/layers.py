"""Keras layers skfmnist's networks use beyond Keras's own.

Registered with Keras under the package name ``skfmnist``, so that saved networks load (with
``safe_mode=True``) in any process that has imported this module.
"""

from ._tf import import_tensorflow

tf = import_tensorflow()
import keras  # noqa: E402  (after the thread limit is applied)

__all__ = ["FusedBatchNormalization"]


@keras.saving.register_keras_serializable(package="skfmnist")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """Batch normalisation of image feature maps as one fused TensorFlow kernel.

    Keras 3 normalises with separate moment, subtract, scale and shift operations, each a pass
    over the feature map, and back-propagates through all of them; TensorFlow's fused kernel
    (oneDNN on CPUs) does it in one pass each way. On 2 CPU cores a training epoch of the
    default CNN took 24.2 s instead of 38.8 s (``python -m benchmarks.profile_epoch``). The layer
    computes the same function with the same weights as ``keras.layers.BatchNormalization``;
    inputs other than 4-D channels-last feature maps, and non-default settings the fused kernel
    does not cover, go through Keras's implementation.

    Parameters
    ----------
    **kwargs
        The parameters of ``keras.layers.BatchNormalization`` (``momentum``, ``epsilon``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from skfmnist.layers import FusedBatchNormalization
    >>> maps = np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype("float32")
    >>> tuple(FusedBatchNormalization(momentum=0.9)(maps, training=True).shape)
    (2, 4, 4, 3)
    """

    def _fusable(self, inputs):
        return (len(inputs.shape) == 4 and self.axis in (-1, 3) and self.center
                and self.scale and inputs.dtype == tf.float32)

    def call(self, inputs, training=None, mask=None):
        if mask is not None or not self._fusable(inputs):
            return super().call(inputs, training=training, mask=mask)
        if training and self.trainable:
            outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                inputs, self.gamma.value, self.beta.value, epsilon=self.epsilon,
                is_training=True)
            self._update_moving_statistics(mean, variance)
            return outputs
        outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
            inputs, self.gamma.value, self.beta.value, mean=self.moving_mean.value,
            variance=self.moving_variance.value, epsilon=self.epsilon, is_training=False)
        return outputs

    def _update_moving_statistics(self, mean, variance):
        # The same exponential average as Keras; the fused kernel's batch variance carries
        # Bessel's correction, as Keras 2's fused path used it.
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(
            self.moving_variance * momentum + variance * (1.0 - momentum))
