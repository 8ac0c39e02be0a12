import keras
import numpy as np

from skfmnist import _keras_archive
from skfmnist.layers import FusedBatchNormalization, RandomErasing


def _pair(shape, momentum=0.9):
    """Keras's batch-norm and the fused one, built with the same random weights."""
    rng = np.random.default_rng(0)
    layers = []
    for cls in (keras.layers.BatchNormalization, FusedBatchNormalization):
        layer = cls(momentum=momentum)
        layer.build(shape)
        layers.append(layer)
    channels = shape[-1]
    weights = [rng.normal(1, 0.2, channels), rng.normal(0, 0.2, channels),
               rng.normal(0, 0.5, channels), rng.uniform(0.5, 2, channels)]
    for layer in layers:
        layer.set_weights([w.astype("float32") for w in weights])
    return layers


def test_same_function_as_keras_batch_norm_in_training_and_inference():
    x = np.random.default_rng(1).normal(2, 3, (8, 5, 5, 4)).astype("float32")
    for training in (True, False):
        reference, fused = _pair(x.shape)  # fresh: training moves the statistics apart
        np.testing.assert_allclose(fused(x, training=training), reference(x, training=training),
                                   rtol=1e-4, atol=1e-4)


def test_moving_statistics_follow_the_same_average():
    x = np.random.default_rng(2).normal(2, 3, (8, 5, 5, 4)).astype("float32")
    reference, fused = _pair(x.shape, momentum=0.5)
    reference(x, training=True)
    fused(x, training=True)
    np.testing.assert_allclose(fused.moving_mean.numpy(), reference.moving_mean.numpy(),
                               rtol=1e-5)
    # The fused kernel's batch variance is unbiased (n / (n - 1)); Keras 3's is not.
    n = x.shape[0] * x.shape[1] * x.shape[2]
    batch_biased = x.var(axis=(0, 1, 2))
    expected = 0.5 * fused_initial_variance(x.shape) + 0.5 * batch_biased * n / (n - 1)
    np.testing.assert_allclose(fused.moving_variance.numpy(), expected, rtol=1e-4)


def fused_initial_variance(shape):
    return _pair(shape)[1].moving_variance.numpy()


def test_frozen_layer_normalises_with_moving_statistics():
    x = np.random.default_rng(3).normal(size=(4, 3, 3, 2)).astype("float32")
    reference, fused = _pair(x.shape)
    fused.trainable = False
    before = fused.moving_mean.numpy().copy()
    np.testing.assert_allclose(fused(x, training=True), reference(x, training=False),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(fused.moving_mean.numpy(), before)


def test_dense_features_fall_back_to_keras():
    x = np.random.default_rng(4).normal(size=(6, 3)).astype("float32")
    reference, fused = _pair(x.shape)
    np.testing.assert_allclose(fused(x, training=True), reference(x, training=True), rtol=1e-5)


def test_network_with_the_layer_survives_a_safe_mode_round_trip():
    inputs = keras.Input((4, 4, 2))
    model = keras.Model(inputs, FusedBatchNormalization(name="bn")(inputs))
    x = np.random.default_rng(5).normal(size=(3, 4, 4, 2)).astype("float32")
    model(x, training=True)  # move the statistics away from their initial values
    restored = _keras_archive.from_bytes(_keras_archive.to_bytes(model))
    assert isinstance(restored.get_layer("bn"), FusedBatchNormalization)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def _erased_shares(rate, seed=0, n_images=400):
    images = np.ones((n_images, 28, 28, 1), dtype="float32")
    erase = keras.Sequential([RandomErasing(rate=rate, seed=seed)])
    erased = np.asarray(erase(images, training=True))
    return (erased == 0).mean(axis=(1, 2, 3))


def test_erasing_blanks_one_rectangle_of_the_stated_area_in_the_stated_share_of_images():
    shares = _erased_shares(rate=0.5)
    touched = shares[shares > 0]
    assert 0.4 < touched.size / shares.size < 0.6
    # Rectangles snap to whole pixels, so their share overshoots the drawn area by up to 2 rows.
    assert touched.min() >= 0.02 * 0.7 and touched.max() <= 0.4 + 2 * 28 / 784
    image = np.asarray(RandomErasing(rate=1.0, seed=1)(np.ones((1, 28, 28, 1)), training=True))
    rows, cols = np.nonzero(image[0, :, :, 0] == 0)
    assert (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1) == rows.size


def test_erasing_is_seeded_and_inactive_at_prediction():
    np.testing.assert_array_equal(_erased_shares(0.5, seed=3), _erased_shares(0.5, seed=3))
    assert not np.array_equal(_erased_shares(0.5, seed=3), _erased_shares(0.5, seed=4))
    images = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    np.testing.assert_array_equal(RandomErasing(rate=1.0)(images, training=False), images)


def test_network_with_erasing_survives_a_safe_mode_round_trip():
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, RandomErasing(rate=0.3, area=(0.1, 0.2), seed=2,
                                              name="erase")(inputs))
    restored = _keras_archive.from_bytes(_keras_archive.to_bytes(model)).get_layer("erase")
    assert isinstance(restored, RandomErasing)
    assert (restored.rate, restored.area, restored.seed) == (0.3, (0.1, 0.2), 2)


def test_without_a_learned_scale_the_same_function_as_keras_batch_norm():
    x = np.random.default_rng(6).normal(2, 3, (8, 5, 5, 4)).astype("float32")
    rng = np.random.default_rng(7)
    weights = [rng.normal(0, 0.2, 4), rng.normal(0, 0.5, 4), rng.uniform(0.5, 2, 4)]
    for training in (True, False):
        layers = []
        for cls in (keras.layers.BatchNormalization, FusedBatchNormalization):
            layer = cls(momentum=0.9, scale=False)
            layer.build(x.shape)
            layer.set_weights([w.astype("float32") for w in weights])  # beta, mean, variance
            layers.append(layer)
        reference, fused = layers
        np.testing.assert_allclose(fused(x, training=training), reference(x, training=training),
                                   rtol=1e-4, atol=1e-4)
