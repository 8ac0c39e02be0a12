import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skfmnist import CLASS_NAMES, FashionCNN, FashionMLP, ImagePreprocessor

from ._subprocess import run_python


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_learns_far_above_chance(kind, small_split, tiny_mlp, tiny_cnn):
    X_train, y_train, X_test, y_test = small_split
    estimator = tiny_mlp(epochs=4) if kind == "mlp" else tiny_cnn()
    clf = make_pipeline(ImagePreprocessor(), estimator).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.70  # chance is 0.10
    proba = clf.predict_proba(X_test)
    assert proba.shape == (1000, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_string_labels(toy_scaled, tiny_mlp):
    X_train, y_train, X_test, _ = toy_scaled
    names = np.asarray(CLASS_NAMES)[y_train]
    clf = tiny_mlp(epochs=1).fit(X_train, names)
    assert set(clf.classes_) == set(CLASS_NAMES)
    assert set(clf.predict(X_test[:50])) <= set(CLASS_NAMES)


def test_label_smoothing_makes_predictions_less_confident(toy_scaled, tiny_mlp):
    X_train, y_train, X_test, _ = toy_scaled

    def mean_top_probability(label_smoothing):
        mlp = tiny_mlp(epochs=5, label_smoothing=label_smoothing, calibration=None)
        mlp.fit(X_train, y_train)
        return mlp.predict_proba(X_test).max(axis=1).mean()

    # The smoothed targets put 0.3 * 9/10 of their mass on the wrong classes.
    assert mean_top_probability(0.3) < mean_top_probability(0.0) - 0.1


@pytest.mark.parametrize("network", ["tiny_mlp", "tiny_cnn"])
def test_predictions_do_not_depend_on_sample_order(toy_scaled, network, request):
    X_train, y_train, X_test, _ = toy_scaled
    clf = request.getfixturevalue(network)(epochs=1).fit(X_train[:300], y_train[:300])
    order = np.random.default_rng(0).permutation(len(X_test))
    np.testing.assert_allclose(clf.predict_proba(X_test[order]), clf.predict_proba(X_test)[order],
                               rtol=1e-5, atol=1e-7)


def test_warm_start_refuses_changed_network_parameters(toy_scaled, tiny_mlp):
    X_train, y_train, _, _ = toy_scaled
    mlp = tiny_mlp(epochs=1, warm_start=True).fit(X_train, y_train)
    for changed in ({"hidden_layer_sizes": (32,)}, {"label_smoothing": 0.2}):
        mlp.set_params(**changed)
        with pytest.raises(ValueError, match=f"after \\['{next(iter(changed))}'\\] changed"):
            mlp.fit(X_train, y_train)
        mlp.set_params(hidden_layer_sizes=(64,), label_smoothing=0.0)
    mlp.set_params(hidden_layer_sizes=[64], epochs=2, learning_rate=0.01).fit(X_train, y_train)
    assert len(mlp.history_["loss"]) == 3  # training parameters may change; a list is a tuple


def test_warm_started_fits_shuffle_differently(toy_scaled):
    X_train, y_train, _, _ = toy_scaled
    orders = []

    class RecordingMLP(FashionMLP):
        def get_iterator(self, arrays, *, index=None, shuffle_seed=None):
            batches = super().get_iterator(arrays, index=index, shuffle_seed=shuffle_seed)
            if shuffle_seed is not None:
                orders.append(np.concatenate([batch[1] for batch in batches.as_numpy_iterator()]))
            return batches

    mlp = RecordingMLP(hidden_layer_sizes=(8,), epochs=1, warm_start=True, random_state=0)
    mlp.fit(X_train, y_train).fit(X_train, y_train)
    mlp.partial_fit(X_train, y_train)
    assert len(orders) == 3
    assert not np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[1], orders[2])


def test_flat_and_stacked_images_give_the_same_network(toy_scaled, tiny_cnn):
    X_train, y_train, X_test, _ = toy_scaled
    flat = tiny_cnn(epochs=1).fit(X_train[:500], y_train[:500])
    stacked = tiny_cnn(epochs=1).fit(X_train[:500].reshape(-1, 28, 28), y_train[:500])
    assert flat.image_shape_ == stacked.image_shape_ == (28, 28)
    expected = flat.predict_proba(X_test[:20])
    np.testing.assert_array_equal(stacked.predict_proba(X_test[:20].reshape(-1, 28, 28, 1)),
                                  expected)


def test_history_with_validation_schedule_and_early_stopping(toy_scaled, tiny_mlp):
    X_train, y_train, _, _ = toy_scaled
    clf = tiny_mlp(epochs=30, validation_split=0.2, early_stopping=True, patience=1,
                   lr_schedule="exponential", lr_decay=0.5, learning_rate=0.01)
    clf.fit(X_train, y_train)
    history = clf.history_
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(history)
    n_epochs = len(history["loss"])
    assert 2 <= n_epochs < 30  # stopped early
    assert history["learning_rate"][:3] == pytest.approx([0.01, 0.005, 0.0025])
    # patience=1: training stops one epoch after the best validation loss
    assert int(np.argmin(history["val_loss"])) == n_epochs - 2


def test_verbose_controls_the_progress_bar(toy_scaled, tiny_mlp, capfd):
    X_train, y_train, _, _ = toy_scaled
    tiny_mlp(epochs=1, verbose=0).fit(X_train[:300], y_train[:300])
    assert "Epoch" not in capfd.readouterr().out
    tiny_mlp(epochs=2, verbose=1).fit(X_train[:300], y_train[:300])
    output = capfd.readouterr().out
    assert "Epoch 2/2" in output and "accuracy" in output


@pytest.mark.parametrize(
    "preset, n_params",
    [
        # conv 5x5x1x20+20, conv 5x5x20x50+50, dense 7*7*50*500+500, softmax 500*10+10
        (FashionCNN.lenet, 520 + 25050 + 1225500 + 5010),
        # conv 3x3x1x64+64 (valid: 26), pool 13, conv 3x3x64x64+64 (11), pool 6, 6*6*64*128+128
        (FashionCNN.small, 640 + 36928 + 295040 + 1290),
        (FashionMLP.simple, 784 * 128 + 128 + 1290),
    ],
)
def test_presets_reproduce_the_notebook_networks(preset, n_params, toy_scaled):
    X_train, y_train, _, _ = toy_scaled
    estimator = preset(random_state=0).initialize(X_train[:50], y_train[:50])
    assert estimator.model_.count_params() == n_params


def test_deep_bn_preset_layers(toy_scaled):
    X_train, y_train, _, _ = toy_scaled
    cnn = FashionCNN.deep_bn().initialize(X_train[:50], y_train[:50])
    convs = [layer for layer in cnn.model_.layers if layer.name.endswith("_conv1")]
    assert [conv.filters for conv in convs] == [32, 64, 128]
    assert all(conv.kernel_size == (3, 3) and conv.padding == "same" for conv in convs)
    assert sum("bn" in layer.name or "batch_norm" in layer.name for layer in cnn.model_.layers) == 4
    assert "Total params" in cnn.summary()


def test_best_preset_trains_the_default_network_with_shifts_and_erasing(toy_scaled):
    X_train, y_train, _, _ = toy_scaled
    default = FashionCNN().initialize(X_train[:50], y_train[:50])
    cnn = FashionCNN.best().initialize(X_train[:50], y_train[:50])
    augmentation = [layer.name for layer in cnn.model_.layers if layer.name.startswith("augment")]
    assert augmentation == ["augment_flip", "augment_shift", "augment_erase"]
    assert cnn.model_.count_params() == default.model_.count_params()
    assert cnn.epochs == 4 * default.epochs and cnn.tta == "flip_shift"


def test_alternating_flips_train_on_mirrored_images_from_the_pipeline(toy_scaled):
    X_train, y_train, X_test, y_test = toy_scaled
    cnn = FashionCNN(conv_filters=(8,), dense_units=16, epochs=2, augment="alternating_flip",
                     calibration=None, random_state=0).fit(X_train, y_train)
    assert not [layer for layer in cnn.model_.layers if layer.name.startswith("augment")]
    first_epoch = [images.numpy() for images, _ in cnn.get_iterator((X_train, y_train),
                                                                    shuffle_seed=0)]
    images = np.concatenate(first_epoch).reshape(-1, 28, 28)
    originals = {row.tobytes() for row in X_train}
    mirrored = [image.reshape(-1).tobytes() not in originals for image in images]
    assert 0.3 < np.mean(mirrored) < 0.7  # the band images differ from their mirrors by noise
    assert cnn.score(X_test, y_test) > 0.5


def test_cutmix_trains_on_mixed_targets_with_or_without_label_smoothing(toy_scaled):
    import keras

    X_train, y_train, X_test, y_test = toy_scaled
    cnn = FashionCNN(conv_filters=(8,), dense_units=16, epochs=3, cutmix=0.5,
                     label_smoothing=0.0, calibration=None, random_state=0).fit(X_train, y_train)
    assert isinstance(cnn.model_.loss, keras.losses.CategoricalCrossentropy)
    assert cnn.score(X_test, y_test) > 0.5
    plain = FashionCNN(conv_filters=(8,), label_smoothing=0.0).initialize(X_train, y_train)
    assert isinstance(plain.model_.loss, keras.losses.SparseCategoricalCrossentropy)


def test_patch_whitening_fits_a_frozen_first_convolution_to_the_training_images(toy_scaled):
    from skfmnist import _builders as builders

    X_train, y_train, X_test, y_test = toy_scaled
    cnn = FashionCNN(conv_filters=(8,), dense_units=16, epochs=2, patch_whitening=True,
                     calibration=None, random_state=0).fit(X_train, y_train)
    # From the rows as the estimator validated them, float32.
    expected = builders.patch_whitening_filters(X_train.astype(np.float32), (28, 28), 3)
    np.testing.assert_array_equal(cnn.model_.get_layer("block1_conv1").get_weights()[0],
                                  expected)  # unchanged by training
    assert cnn.score(X_test, y_test) > 0.5


def test_batch_norm_without_scale_learns_shifts_only(toy_scaled):
    import keras

    X_train, y_train, _, _ = toy_scaled
    cnn = FashionCNN(conv_filters=(8,), dense_units=16, batch_norm_scale=False)
    batch_norms = [layer for layer in cnn.initialize(X_train, y_train).model_.layers
                   if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(batch_norms) == 3  # two convolutions and the Dense layer
    assert all(layer.gamma is None and layer.beta is not None for layer in batch_norms)


def test_lookahead_changes_training_and_may_change_on_a_warm_start(toy_scaled):
    X_train, y_train, X_test, y_test = toy_scaled

    def fit(lookahead):
        return FashionCNN(conv_filters=(8,), dense_units=16, epochs=3, lookahead=lookahead,
                          warm_start=True, calibration=None, random_state=0).fit(X_train,
                                                                                  y_train)

    # 5 steps an epoch: synchronised after the 2nd, the 4th and the 5th.

    plain, cnn = fit(None), fit(2)
    assert plain.history_["loss"] != cnn.history_["loss"]
    assert cnn.score(X_test, y_test) > 0.5
    cnn.set_params(lookahead=None, epochs=1).fit(X_train, y_train)  # a training setting
    assert len(cnn.history_["loss"]) == 4


def test_presets_are_plain_estimators(toy_scaled):
    X_train, y_train, _, _ = toy_scaled
    lenet = FashionCNN.lenet(epochs=3)
    assert type(lenet) is FashionCNN and lenet.get_params()["epochs"] == 3
    assert clone(lenet).get_params() == lenet.get_params()
    # A parameter set on a preset is the network built.
    network = lenet.set_params(kernel_size=3).initialize(X_train[:50], y_train[:50]).model_
    assert {layer.kernel_size for layer in network.layers if hasattr(layer, "kernel_size")} \
        == {(3, 3)}


def test_warm_start_continues_training(toy_scaled, tiny_mlp):
    X_train, y_train, _, _ = toy_scaled
    clf = tiny_mlp(epochs=1, warm_start=True).fit(X_train, y_train)
    clf.fit(X_train, y_train)
    assert len(clf.history_["loss"]) == 2  # history_ holds every epoch, as the count goes on
    assert clf.history_["loss"][1] < clf.history_["loss"][0]


def test_partial_fit_trains_one_epoch_per_call(toy_scaled, tiny_mlp):
    X_train, y_train, _, _ = toy_scaled
    clf = tiny_mlp()
    clf.partial_fit(X_train, y_train, classes=np.arange(10))
    clf.partial_fit(X_train, y_train)
    assert len(clf.history_["loss"]) == 2
    assert clf.history_["loss"][1] < clf.history_["loss"][0]


@pytest.mark.slow  # nine fits
def test_grid_search_and_kfold_cross_validation_on_the_pipeline(toy_split, tiny_cnn):
    X_train, y_train, _, _ = toy_split
    X, y = X_train[:900], y_train[:900]
    pipe = make_pipeline(ImagePreprocessor(), tiny_cnn(epochs=1))
    search = GridSearchCV(pipe, {"fashioncnn__dense_units": [1, 32]}, cv=KFold(3)).fit(X, y)
    # One hidden unit is a bottleneck no 10-class problem passes through well.
    assert search.best_params_["fashioncnn__dense_units"] == 32
    assert search.cv_results_["mean_test_score"].max() > 0.5
    scores = cross_val_score(pipe, X, y, cv=KFold(3))
    assert scores.shape == (3,) and scores.min() > 0.4


@pytest.mark.slow  # a fresh interpreter
def test_joblib_round_trip_is_exact_in_a_new_process(toy_split, tiny_cnn, tmp_path):
    X_train, y_train, X_test, _ = toy_split
    clf = make_pipeline(ImagePreprocessor(), tiny_cnn(epochs=1)).fit(X_train[:500], y_train[:500])
    expected = clf.predict_proba(X_test[:50])
    path = tmp_path / "cnn.joblib"
    joblib.dump(clf, path)
    np.testing.assert_array_equal(joblib.load(path).predict_proba(X_test[:50]), expected)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X_test[:50]),
                                  expected)
    np.save(tmp_path / "X.npy", X_test[:50])
    run_python(f"""
        import joblib, numpy as np
        clf = joblib.load({str(path)!r})
        np.save({str(tmp_path / "proba.npy")!r}, clf.predict_proba(np.load({str(tmp_path / "X.npy")!r})))
    """)
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), expected)


def test_interrupted_fit_keeps_the_best_weights(toy_scaled, tiny_mlp):
    import keras

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    X_train, y_train, X_test, y_test = toy_scaled
    clf = tiny_mlp(epochs=10, callbacks=[Interrupt()])
    with pytest.warns(UserWarning, match="interrupted: the estimator keeps the weights of epoch"):
        clf.fit(X_train, y_train)
    assert 2 <= len(clf.history_["loss"]) <= 3
    assert clf.score(X_test, y_test) > 0.6


def test_early_stopping_restores_the_best_epoch_which_the_checkpoint_holds(scaled_split,
                                                                           tiny_mlp, tmp_path):
    import keras

    # Real images: the toy ones never stop improving, so no epoch would be worse than the last.
    X_train, y_train, X_test, _ = scaled_split
    # Uncalibrated, so that the restored network's outputs are predict_proba's.
    clf = tiny_mlp(epochs=12, validation_split=0.2, early_stopping=True, patience=2,
                   learning_rate=0.05, lr_schedule="constant", checkpoint_dir=tmp_path / "ckpt",
                   calibration=None)
    clf.fit(X_train, y_train)
    val_loss = clf.history_["val_loss"]
    best = int(np.argmin(val_loss))
    assert best < len(val_loss) - 1  # a later epoch was worse, so restoring changes the weights
    saved = keras.models.clone_model(clf.model_)
    saved.load_weights(tmp_path / "ckpt" / "best.weights.h5")
    np.testing.assert_array_equal(saved.predict_on_batch(X_test[:50].astype("float32")),
                                  clf.predict_proba(X_test[:50]))
    # The restored network is the best epoch's: its validation loss is the best one logged.
    # Keras's own evaluation computes it as fit logged it (from the softmax's logits, where a
    # loss recomputed from the probabilities clips the confident mistakes).
    rows = _validation_rows(clf, y_train)
    loss = clf.model_.evaluate(X_train[rows].astype("float32"),
                               clf.encode_targets(y_train[rows]), verbose=0,
                               return_dict=True)["loss"]
    assert loss == pytest.approx(val_loss[best], rel=1e-5)
    assert loss != pytest.approx(val_loss[-1], rel=1e-3)


def _validation_rows(clf, y):
    from skfmnist._data import validation_split

    return validation_split(y, clf.validation_split, clf._seed)[1]


def test_partial_fit_keeps_learning_with_the_default_schedule(toy_scaled, tiny_mlp):
    X_train, y_train, X_test, y_test = toy_scaled
    # Uncalibrated: the network's own probabilities show what the further epochs changed.
    clf = tiny_mlp(calibration=None).fit(X_train, y_train)  # cosine over 2 epochs: 1e-3, 5e-4
    before = clf.predict_proba(X_test)
    for _ in range(3):  # past the end of the cosine schedule
        clf.partial_fit(X_train, y_train)
    assert clf.history_["learning_rate"] == pytest.approx([1e-3, 5e-4, 1e-3, 1e-3, 1e-3])
    assert clf.history_["loss"][-1] < clf.history_["loss"][1]
    assert np.abs(clf.predict_proba(X_test) - before).max() > 0.05


def test_partial_fit_from_zero_epochs(toy_scaled, tiny_mlp):
    X_train, y_train, _, _ = toy_scaled
    clf = tiny_mlp(epochs=0).fit(X_train, y_train)
    assert clf.history_ == {}
    clf.partial_fit(X_train, y_train)
    assert clf.history_["learning_rate"] == pytest.approx([1e-3])


def test_warm_started_fit_runs_the_whole_schedule_again(toy_scaled, tiny_mlp):
    X_train, y_train, _, _ = toy_scaled
    clf = tiny_mlp(warm_start=True).fit(X_train, y_train)
    clf.fit(X_train, y_train)
    assert clf.history_["learning_rate"] == pytest.approx([1e-3, 5e-4, 1e-3, 5e-4])
    loss = clf.history_["loss"]
    assert loss[2] < loss[0]  # it went on from the trained network


def test_callbacks_removed_with_set_params_are_no_longer_called(toy_scaled, tiny_mlp):
    import keras

    X_train, y_train, _, _ = toy_scaled
    calls = []
    counter = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: calls.append(epoch))
    clf = tiny_mlp(epochs=1, warm_start=True, callbacks=[counter]).fit(X_train, y_train)
    clf.set_params(callbacks=None)
    clf.partial_fit(X_train, y_train)
    clf.fit(X_train, y_train)
    assert calls == [0]


def test_cnn_carries_a_stated_non_square_image_shape(tiny_cnn):
    rng = np.random.RandomState(0)
    X, y = rng.randint(0, 256, size=(60, 20 * 30)), np.arange(60) % 3
    pipe = make_pipeline(ImagePreprocessor(image_shape=(20, 30)),
                         tiny_cnn(epochs=1, image_shape=(20, 30))).fit(X, y)
    assert pipe[-1].image_shape_ == (20, 30)
    assert pipe[-1].model_.get_layer("to_image").output.shape[1:] == (20, 30, 1)


def test_cnn_warns_when_flat_rows_are_not_square(tiny_cnn):
    X, y = np.random.RandomState(0).rand(30, 600), np.arange(30) % 2
    with pytest.warns(UserWarning, match=r"pass image_shape=\(height, width\) to FashionCNN"):
        cnn = tiny_cnn(epochs=1).fit(X, y)
    assert cnn.image_shape_ == (1, 600)


def test_cnn_hidden_layers_and_activations(toy_scaled):
    X_train, y_train, _, _ = toy_scaled
    cnn = FashionCNN(conv_filters=(8,), dense_units=(32, 16), conv_activation="elu",
                     activation="tanh").initialize(X_train[:50], y_train[:50])
    dense = [layer for layer in cnn.model_.layers if type(layer).__name__ == "Dense"]
    assert [layer.units for layer in dense] == [32, 16, 10]
    activations = {layer.name: layer.activation.__name__ for layer in cnn.model_.layers
                   if type(layer).__name__ == "Activation"}
    assert activations["block1_act1"] == "elu"
    assert sorted(set(activations.values())) == ["elu", "tanh"]


def test_default_scoring_handles_labels_missing_from_a_training_fold(toy_scaled, tiny_mlp):
    from sklearn.model_selection import learning_curve

    X_train, y_train, _, _ = toy_scaled
    with pytest.warns(UserWarning, match="not seen during fit"):
        _, _, test_scores = learning_curve(tiny_mlp(epochs=1), X_train[:200], y_train[:200],
                                           train_sizes=[4], cv=KFold(2))
    assert np.isfinite(test_scores).all()


def test_one_image_prediction_matches_the_batched_one(toy_scaled, tiny_cnn):
    X_train, y_train, X_test, _ = toy_scaled
    cnn = tiny_cnn(epochs=1).fit(X_train[:300], y_train[:300])
    X = np.concatenate([X_train, X_test])[:700]
    batched = cnn.predict_proba(X)  # more than one prediction chunk
    singles = np.concatenate([cnn.predict_proba(X[i:i + 1]) for i in (0, 513, 699)])
    np.testing.assert_allclose(singles, batched[[0, 513, 699]], rtol=1e-5, atol=1e-7)


@pytest.fixture(scope="module")
def fitted_cnn(toy_split):
    """One small default-architecture-style CNN, trained once for this module's recipe tests."""
    X_train, y_train, _, _ = toy_split
    cnn = FashionCNN(conv_filters=(8, 16), dense_units=32, epochs=2, tta=None, calibration=None,
                     random_state=0)
    return make_pipeline(ImagePreprocessor(), cnn).fit(X_train, y_train)


def test_flip_tta_averages_each_image_and_its_mirror(fitted_cnn, toy_split):
    _, _, X_test, y_test = toy_split
    X = X_test[:200]
    plain = fitted_cnn.predict_proba(X)
    mirrored = fitted_cnn.predict_proba(X.reshape(-1, 28, 28)[:, :, ::-1].reshape(200, -1))
    fitted_cnn.set_params(fashioncnn__tta="flip")
    try:
        np.testing.assert_allclose(fitted_cnn.predict_proba(X), (plain + mirrored) / 2,
                                   rtol=1e-5, atol=1e-7)
    finally:
        fitted_cnn.set_params(fashioncnn__tta=None)
    np.testing.assert_array_equal(fitted_cnn.predict_proba(X), plain)


def test_onecycle_schedule_rises_then_falls(toy_scaled, tiny_mlp):
    X_train, y_train, _, _ = toy_scaled
    clf = tiny_mlp(epochs=4, lr_schedule="onecycle", learning_rate=0.01).fit(X_train, y_train)
    assert clf.history_["learning_rate"] == pytest.approx(
        [0.002, 0.01 * 0.75 / 0.77, 0.01 * 0.5 / 0.77, 0.01 * 0.25 / 0.77], rel=1e-5)
    assert clf.model_.optimizer.learning_rate.numpy() < 0.01 * 0.02  # the last step: near 0


def test_weight_ema_replaces_the_weights_and_refreshes_batch_norm(toy_split):
    import keras

    X_train, y_train, _, _ = toy_split
    X_train = (X_train / 255).astype("float32")

    def fit(ema_momentum):
        return FashionCNN(conv_filters=(8,), dense_units=16, epochs=2, augment=None, tta=None,
                          ema_momentum=ema_momentum, random_state=0).fit(X_train, y_train)

    plain, averaged = fit(None), fit(0.99)
    assert not np.allclose(plain.model_.get_weights()[0], averaged.model_.get_weights()[0])
    # The moving statistics describe the averaged weights' feature maps (without the refresh
    # the variance is several times off here: they followed the live weights during training).
    conv = keras.Model(averaged.model_.inputs, averaged.model_.get_layer("block1_conv1").output)
    maps = conv.predict(X_train, verbose=0)
    bn = averaged.model_.get_layer("block1_bn1")
    np.testing.assert_allclose(maps.var(axis=(0, 1, 2)), bn.moving_variance.numpy(), rtol=0.1)


def test_predicting_varying_batch_sizes_on_many_networks_never_retraces(toy_scaled, tiny_mlp,
                                                                         caplog):
    import logging

    X_train, y_train, X_test, _ = toy_scaled
    X_test = np.concatenate([X_test, X_train])
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for seed in range(6):  # a grid search's worth of networks
            clf = tiny_mlp(epochs=1, random_state=seed).fit(X_train[:200], y_train[:200])
            for n_rows in (1, 7, 300, 513, 2):
                clf.predict_proba(X_test[:n_rows])
    assert not [record for record in caplog.records if "retracing" in record.getMessage()]


@pytest.mark.parametrize("preset", [FashionCNN.lenet, FashionCNN.small, FashionCNN.deep_bn,
                                    FashionMLP.simple])
def test_notebook_presets_keep_the_recipe_off(preset):
    params = preset().get_params()
    assert params["lr_schedule"] == "constant" and params["learning_rate"] == 1e-3
    assert params["ema_momentum"] is None and params["label_smoothing"] == 0.0
    assert params["calibration"] is None and params["lookahead"] is None
    assert params.get("tta") is None and params.get("augment") is None
    assert not params.get("patch_whitening") and params.get("batch_norm_scale", True)


def test_tta_mode_can_change_on_a_fitted_estimator(fitted_cnn, toy_split):
    X = toy_split[2][:100]
    probabilities = {}
    try:
        for tta in ("flip_shift", "flip", "flip_shift"):
            probabilities.setdefault(tta, []).append(
                fitted_cnn.set_params(fashioncnn__tta=tta).predict_proba(X))
    finally:
        fitted_cnn.set_params(fashioncnn__tta=None)
    first, again = probabilities["flip_shift"]
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(first.sum(axis=1), 1, rtol=1e-5)
    assert np.abs(first - probabilities["flip"][0]).max() > 1e-4


@pytest.mark.parametrize("tta", ["flip", "flip_shift"])
def test_flip_tta_without_flip_training_warns(toy_scaled, tta):
    X_train, y_train, _, _ = toy_scaled
    cnn = FashionCNN(conv_filters=(4,), dense_units=8, epochs=1, augment=None, tta=tta,
                     random_state=0)
    with pytest.warns(UserWarning, match=f"tta='{tta}' averages each image with its mirror"):
        cnn.fit(X_train[:100], y_train[:100])


def test_calibration_matches_confidence_to_accuracy_without_changing_predictions(toy_scaled,
                                                                                  tiny_mlp):
    X_train, y_train, X_test, y_test = toy_scaled
    # Heavy label smoothing makes the network's own probabilities far too unsure.
    mlp = tiny_mlp(epochs=4, label_smoothing=0.4).fit(X_train, y_train)
    calibrated = mlp.predict_proba(X_test)
    raw = mlp.set_params(calibration=None).predict_proba(X_test)
    accuracy = np.mean(mlp.classes_[raw.argmax(axis=1)] == y_test)
    assert abs(calibrated.max(axis=1).mean() - accuracy) < abs(raw.max(axis=1).mean() - accuracy)
    assert mlp.temperatures_["None"] < 1  # sharpened
    np.testing.assert_array_equal(calibrated.argmax(axis=1), raw.argmax(axis=1))
    np.testing.assert_allclose(calibrated.sum(axis=1), 1, rtol=1e-5)


def test_calibration_holds_out_rows_and_is_reproducible(toy_scaled, tiny_cnn):
    X_train, y_train, _, _ = toy_scaled
    first, second = (tiny_cnn(epochs=1).fit(X_train, y_train) for _ in range(2))
    assert set(first.temperatures_) == {"None", "flip", "flip_shift"}
    assert first.temperatures_ == second.temperatures_
    uncalibrated = tiny_cnn(epochs=1, calibration=None).fit(X_train, y_train)
    assert not hasattr(uncalibrated, "temperatures_")
    # The held-out rows are not trained on: the networks differ.
    assert not np.allclose(first.model_.get_weights()[0], uncalibrated.model_.get_weights()[0])
    with pytest.raises(ValueError, match="calibration='temperature' was set after"):
        uncalibrated.set_params(calibration="temperature").predict_proba(X_train[:2])


def test_each_test_time_augmentation_predicts_with_its_own_temperature(toy_scaled, tiny_cnn):
    X_train, y_train, X_test, _ = toy_scaled
    cnn = tiny_cnn(epochs=1).fit(X_train, y_train)
    for tta in ("flip_shift", None):
        cnn.set_params(tta=tta)
        calibrated = cnn.predict_proba(X_test[:50])
        raw = cnn.set_params(calibration=None).predict_proba(X_test[:50])
        cnn.set_params(calibration="temperature")
        expected = np.exp(np.log(raw) / cnn.temperatures_[str(tta)])
        np.testing.assert_allclose(calibrated, expected / expected.sum(axis=1, keepdims=True),
                                   rtol=1e-4, atol=1e-6)
