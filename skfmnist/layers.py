"""Keras layers skfmnist's networks use beyond Keras's own.

Registered with Keras under the package name ``skfmnist``, so that saved networks load (with
``safe_mode=True``) in any process that has imported this module.
"""

import math

from ._tf import import_tensorflow

tf = import_tensorflow()
import keras  # noqa: E402  (after the thread limit is applied)

__all__ = ["FusedBatchNormalization", "RandomErasing"]


@keras.saving.register_keras_serializable(package="skfmnist")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """Batch normalisation of image feature maps as one fused TensorFlow kernel.

    Keras 3 normalises with separate moment, subtract, scale and shift operations, each a pass
    over the feature map, and back-propagates through all of them; TensorFlow's fused kernel
    (oneDNN on CPUs) does it in one pass each way, which makes a training epoch of the default
    CNN markedly faster on CPUs (the epoch profile in the documentation's results). The layer
    computes the same function with the same weights as ``keras.layers.BatchNormalization``;
    inputs other than 4-D channels-last feature maps, and non-default settings the fused kernel
    does not cover, go through Keras's implementation. Without a learned scale (``scale=False``)
    the fused kernel scales by ones.

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
                and inputs.dtype == tf.float32)

    def _gamma(self):
        return self.gamma.value if self.scale else tf.ones_like(self.moving_mean.value)

    def call(self, inputs, training=None, mask=None):
        if mask is not None or not self._fusable(inputs):
            return super().call(inputs, training=training, mask=mask)
        if training and self.trainable:
            outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                inputs, self._gamma(), self.beta.value, epsilon=self.epsilon,
                is_training=True)
            self._update_moving_statistics(mean, variance)
            return outputs
        outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
            inputs, self._gamma(), self.beta.value, mean=self.moving_mean.value,
            variance=self.moving_variance.value, epsilon=self.epsilon, is_training=False)
        return outputs

    def _update_moving_statistics(self, mean, variance):
        # The same exponential average as Keras; the fused kernel's batch variance carries
        # Bessel's correction, as Keras 2's fused path used it.
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(
            self.moving_variance * momentum + variance * (1.0 - momentum))


@keras.saving.register_keras_serializable(package="skfmnist")
class RandomErasing(keras.layers.Layer):
    """Random erasing (Zhong et al., 2017, arXiv:1708.04896) of channels-last images in training.

    With probability ``rate``, each image gets one rectangle set to 0, the background of
    min-max scaled images and the mean of standardised ones. The rectangle covers a random
    share of the image drawn from ``area`` with a height/width ratio drawn log-uniformly from
    ``aspect``, and lies wholly inside it. The paper's setting for Fashion-MNIST is the default.
    At prediction time the layer passes its input through.

    Parameters
    ----------
    rate : float, default=0.5
        Probability that an image gets a rectangle erased.
    area : tuple of float, default=(0.02, 0.4)
        Range of the rectangle's share of the image.
    aspect : tuple of float, default=(0.3, 1 / 0.3)
        Range of the rectangle's height/width ratio.
    seed : int or None, default=None
        Seeds the layer's random stream.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmnist.layers import RandomErasing
    >>> images = np.ones((64, 28, 28, 1), dtype="float32")
    >>> erased = np.asarray(RandomErasing(rate=1.0, seed=0)(images, training=True))
    >>> bool((erased == 0).any(axis=(1, 2, 3)).all()), bool((erased == 1).any(axis=(1, 2, 3)).all())
    (True, True)
    """

    def __init__(self, rate=0.5, area=(0.02, 0.4), aspect=(0.3, 1 / 0.3), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.area, self.aspect, self.seed = float(rate), tuple(area), tuple(aspect), seed
        self._seeds = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training or not self.rate:
            return inputs
        ops = keras.ops
        batch, height, width = ops.shape(inputs)[0], inputs.shape[1], inputs.shape[2]

        def uniform(low, high):
            return keras.random.uniform((batch, 1, 1, 1), low, high, seed=self._seeds)

        area = uniform(*self.area) * (height * width)
        ratio = ops.exp(uniform(*(math.log(bound) for bound in self.aspect)))
        box_height = ops.minimum(ops.sqrt(area * ratio), height)
        box_width = ops.minimum(ops.sqrt(area / ratio), width)
        top = uniform(0.0, 1.0) * (height - box_height)
        left = uniform(0.0, 1.0) * (width - box_width)
        rows = ops.reshape(ops.arange(height, dtype="float32"), (1, height, 1, 1))
        cols = ops.reshape(ops.arange(width, dtype="float32"), (1, 1, width, 1))
        erased = ((rows >= top) & (rows < top + box_height)
                  & (cols >= left) & (cols < left + box_width)
                  & (uniform(0.0, 1.0) < self.rate))
        return ops.where(erased, ops.zeros_like(inputs), inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "area": self.area,
                "aspect": self.aspect, "seed": self.seed}
