import numpy as np
import pytest

from skfmnist import _builders as builders


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def test_same_seed_same_initial_weights_different_seed_different():
    a = _weights(builders.build_cnn((28, 28), 10, seed=3))
    b = _weights(builders.build_cnn((28, 28), 10, seed=3))
    c = _weights(builders.build_cnn((28, 28), 10, seed=4))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_each_layer_gets_its_own_seed():
    model = builders.build_mlp(16, 2, hidden_layer_sizes=(16, 16), seed=0)
    first, second = (layer.get_weights()[0] for layer in model.layers if "dense" in layer.name
                     and layer.get_weights()[0].shape == (16, 16))
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("augment, layers", [
    (None, set()), ("flip", {"augment_flip"}), ("flip_shift", {"augment_flip", "augment_shift"}),
    ("alternating_flip", set()),  # the data pipeline mirrors the images
])
def test_cnn_output_and_augmentation_layers(augment, layers):
    model = builders.build_cnn((28, 28), 10, augment=augment, seed=0)
    assert model.output_shape == (None, 10) and model.input_shape == (None, 784)
    assert {layer.name for layer in model.layers if layer.name.startswith("augment")} == layers


def test_random_erasing_adds_a_training_only_layer_after_the_flips():
    model = builders.build_cnn((28, 28), 10, augment="flip", random_erasing=0.5, seed=0)
    names = [layer.name for layer in model.layers]
    assert names.index("augment_erase") == names.index("augment_flip") + 1
    plain = builders.inference_model(model, (28, 28))
    assert "augment_erase" not in {layer.name for layer in plain.layers}


def test_unknown_augmentation_is_refused():
    with pytest.raises(ValueError, match="augment must be None or one of"):
        builders.build_cnn((28, 28), 10, augment="rotate", seed=0)


def test_smoothed_loss_takes_one_hot_targets():
    model = builders.compile_classifier(builders.build_mlp(4, 3, seed=0), "adam", 1e-3, 0.3)
    targets = builders.training_targets(model, np.array([[2.0], [0.0]]), 3)  # scikeras's ordinal
    np.testing.assert_array_equal(targets, [[0, 0, 1], [1, 0, 0]])
    uniform = np.full((2, 3), 1 / 3, dtype=np.float32)
    confident = np.array([[0, 0, 1], [1, 0, 0]], dtype=np.float32) * 0.98 + 0.01
    # Smoothing spreads 0.3 of each target over the classes: a confident right answer is no
    # longer the minimum of the loss, so it scores worse than without smoothing.
    assert float(model.loss(targets, confident)) > 0.3
    assert float(model.loss(targets, uniform)) == pytest.approx(np.log(3), rel=1e-5)


def test_unsmoothed_loss_takes_the_labels_as_they_are():
    model = builders.compile_classifier(builders.build_mlp(4, 3, seed=0), "adam", 1e-3, 0.0)
    labels = np.array([[2.0], [0.0]])
    assert builders.training_targets(model, labels, 3) is labels
    confident = np.array([[0, 0, 1], [1, 0, 0]], dtype=np.float32) * 0.98 + 0.01
    assert float(model.loss(labels, confident)) == pytest.approx(-np.log(0.99 / 1.01), rel=1e-4)  # rows sum to 1.01


def test_regularisation_is_attached():
    model = builders.build_mlp(16, 3, hidden_layer_sizes=(8,), l1=1e-3, l2=1e-2, seed=0)
    regularizer = model.layers[1].kernel_regularizer
    assert regularizer.l1 == pytest.approx(1e-3) and regularizer.l2 == pytest.approx(1e-2)


@pytest.mark.parametrize("name, class_name", [("adam", "Adam"), ("sgd", "SGD"),
                                              ("rmsprop", "RMSprop")])
def test_optimizers(name, class_name):
    optimizer = builders.make_optimizer(name, 0.01)
    assert type(optimizer).__name__ == class_name
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    if name == "sgd":
        assert optimizer.momentum == 0.9 and optimizer.nesterov


@pytest.mark.parametrize(
    "schedule, rates",
    [("constant", [0.1, 0.1, 0.1, 0.1]), ("exponential", [0.1, 0.05, 0.025, 0.0125]),
     ("cosine", [0.1, 0.05, 0.0, 0.0]),
     # one-cycle over 2 epochs: 0.02 at the start, the peak at 23 %, linear down to 0
     ("onecycle", [0.02, 0.1 * 0.5 / 0.77, 0.0, 0.0])],
)
def test_learning_rate_schedules(schedule, rates):
    got = [builders.learning_rate_at(schedule, 0.1, epoch, 2, 0.5) for epoch in (0, 1, 2, 3)]
    assert got == pytest.approx(rates, abs=1e-12)


def test_onecycle_peaks_at_23_percent():
    got = [builders.learning_rate_at("onecycle", 1.0, t, 100, 0.9) for t in (0, 11.5, 23, 50)]
    assert got == pytest.approx([0.2, 0.6, 1.0, 0.5 / 0.77])


def test_inference_model_drops_augmentation_and_averages_mirrors():
    model = builders.build_cnn((4, 6), 3, conv_filters=(2,), dense_units=(4,), augment="flip",
                               seed=0)
    plain = builders.inference_model(model)
    assert not [layer for layer in plain.layers if layer.name.startswith("augment")]
    x = np.random.default_rng(0).random((5, 24)).astype("float32")
    mirrored = x.reshape(5, 4, 6)[:, :, ::-1].reshape(5, 24)
    expected = (plain(x, training=False) + plain(mirrored, training=False)) / 2
    averaged = builders.inference_model(model, (4, 6), "flip")
    np.testing.assert_allclose(averaged(x, training=False), expected, rtol=1e-6)


def _shifted(images, down, right):
    """``images`` moved ``down`` rows and ``right`` columns, zeros coming in (the reference)."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    height, width = images.shape[1:]
    return padded[:, 1 - down:1 - down + height, 1 - right:1 - right + width]


def test_shift_tta_weighs_the_unshifted_pair_three_times_each_one_pixel_shift():
    model = builders.build_cnn((4, 6), 3, conv_filters=(2,), dense_units=(4,), augment="flip",
                               seed=0)
    plain = builders.inference_model(model)
    images = np.random.default_rng(1).random((5, 4, 6)).astype("float32")
    assert _shifted(images, 1, 0)[:, 1:, :].tolist() == images[:, :-1, :].tolist()

    def proba(views):
        return np.asarray(plain(views.reshape(5, 24), training=False))

    total = np.zeros((5, 3), dtype="float32")
    for view in (images, images[:, :, ::-1]):
        total += 3 * proba(view) + sum(proba(_shifted(view, down, right))
                                       for down, right in ((1, 0), (-1, 0), (0, 1), (0, -1)))
    shifted_tta = builders.inference_model(model, (4, 6), "flip_shift")
    np.testing.assert_allclose(shifted_tta(images.reshape(5, 24), training=False), total / 14,
                               rtol=1e-5)


def test_patch_whitening_filters_give_patches_unit_covariance_and_both_signs():
    rng = np.random.default_rng(0)
    # Correlated pixels, as in images: smoothed noise.
    noise = rng.normal(size=(300, 12, 12))
    images = (noise + np.roll(noise, 1, axis=1) + np.roll(noise, 1, axis=2)).reshape(300, -1)
    filters = builders.patch_whitening_filters(images, (12, 12), 3)
    assert filters.shape == (3, 3, 1, 18)
    patches = np.lib.stride_tricks.sliding_window_view(images.reshape(300, 12, 12), (3, 3),
                                                       axis=(1, 2)).reshape(-1, 9)
    responses = patches @ filters.reshape(9, 18)
    covariance = responses[:, :9].T @ responses[:, :9] / len(responses)
    np.testing.assert_allclose(covariance, np.eye(9), atol=0.01)
    np.testing.assert_array_equal(filters[..., 9:], -filters[..., :9])


def test_whitening_makes_the_first_convolution_frozen_with_those_filters():
    filters = np.random.default_rng(1).normal(size=(3, 3, 1, 18)).astype("float32")
    model = builders.build_cnn((8, 8), 3, conv_filters=(4,), convs_per_block=2,
                               whitening=filters)
    first, second = model.get_layer("block1_conv1"), model.get_layer("block1_conv2")
    assert not first.trainable and second.trainable
    np.testing.assert_array_equal(first.get_weights()[0], filters)
    assert second.kernel.shape == (3, 3, 18, 4)
