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
    estimator = tiny_mlp() if kind == "mlp" else tiny_cnn()
    clf = make_pipeline(ImagePreprocessor(), estimator).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.70  # chance is 0.10
    proba = clf.predict_proba(X_test)
    assert proba.shape == (1000, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_string_labels(scaled_split, tiny_mlp):
    X_train, y_train, X_test, _ = scaled_split
    names = np.asarray(CLASS_NAMES)[y_train]
    clf = tiny_mlp(epochs=1).fit(X_train, names)
    assert set(clf.classes_) == set(CLASS_NAMES)
    assert set(clf.predict(X_test[:50])) <= set(CLASS_NAMES)


def test_label_smoothing_makes_predictions_less_confident(scaled_split, tiny_mlp):
    X_train, y_train, X_test, _ = scaled_split

    def mean_top_probability(label_smoothing):
        mlp = tiny_mlp(epochs=5, label_smoothing=label_smoothing).fit(X_train, y_train)
        return mlp.predict_proba(X_test).max(axis=1).mean()

    # The smoothed targets put 0.3 * 9/10 of their mass on the wrong classes.
    assert mean_top_probability(0.3) < mean_top_probability(0.0) - 0.1


@pytest.mark.parametrize("network", ["tiny_mlp", "tiny_cnn"])
def test_predictions_do_not_depend_on_sample_order(scaled_split, network, request):
    X_train, y_train, X_test, _ = scaled_split
    clf = request.getfixturevalue(network)(epochs=1).fit(X_train[:300], y_train[:300])
    order = np.random.default_rng(0).permutation(len(X_test))
    np.testing.assert_allclose(clf.predict_proba(X_test[order]), clf.predict_proba(X_test)[order],
                               rtol=1e-5, atol=1e-7)


def test_warm_start_keeps_the_loss_of_the_first_fit(scaled_split, tiny_mlp):
    X_train, y_train, _, _ = scaled_split
    mlp = tiny_mlp(epochs=1, warm_start=True).fit(X_train, y_train)
    mlp.set_params(label_smoothing=0.2).fit(X_train, y_train)  # targets follow the model's loss
    assert mlp.model_.loss.name == "sparse_categorical_crossentropy"
    assert mlp.score(X_train, y_train) > 0.5


def test_flat_and_stacked_images_give_the_same_network(scaled_split, tiny_cnn):
    X_train, y_train, X_test, _ = scaled_split
    flat = tiny_cnn(epochs=1).fit(X_train[:500], y_train[:500])
    stacked = tiny_cnn(epochs=1).fit(X_train[:500].reshape(-1, 28, 28), y_train[:500])
    assert flat.image_shape_ == stacked.image_shape_ == (28, 28)
    expected = flat.predict_proba(X_test[:20])
    np.testing.assert_array_equal(stacked.predict_proba(X_test[:20].reshape(-1, 28, 28, 1)),
                                  expected)


def test_history_with_validation_schedule_and_early_stopping(scaled_split, tiny_mlp):
    X_train, y_train, _, _ = scaled_split
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


def test_verbose_controls_the_progress_bar(scaled_split, tiny_mlp, capfd):
    X_train, y_train, _, _ = scaled_split
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
def test_presets_reproduce_the_notebook_networks(preset, n_params, scaled_split):
    X_train, y_train, _, _ = scaled_split
    estimator = preset(random_state=0).initialize(X_train[:50], y_train[:50])
    assert estimator.model_.count_params() == n_params


def test_deep_bn_preset_layers(scaled_split):
    X_train, y_train, _, _ = scaled_split
    cnn = FashionCNN.deep_bn().initialize(X_train[:50], y_train[:50])
    convs = [layer for layer in cnn.model_.layers if layer.name.endswith("_conv1")]
    assert [conv.filters for conv in convs] == [32, 64, 128]
    assert all(conv.kernel_size == (3, 3) and conv.padding == "same" for conv in convs)
    assert sum("bn" in layer.name or "batch_norm" in layer.name for layer in cnn.model_.layers) == 4
    assert "Total params" in cnn.summary()


def test_best_preset_stacks_two_fused_batch_norm_convolutions_per_block(scaled_split):
    from skfmnist.layers import FusedBatchNormalization

    X_train, y_train, _, _ = scaled_split
    cnn = FashionCNN.best().initialize(X_train[:50], y_train[:50])
    layers = cnn.model_.layers
    convs = [layer for layer in layers if type(layer).__name__ == "Conv2D"]
    assert [conv.filters for conv in convs] == [32, 32, 64, 64, 128, 128]
    assert sum(isinstance(layer, FusedBatchNormalization) for layer in layers) == 6
    assert any(layer.name == "augment_flip" for layer in layers)


def test_presets_are_plain_estimators():
    lenet = FashionCNN.lenet(epochs=3)
    assert type(lenet) is FashionCNN and lenet.get_params()["epochs"] == 3
    assert clone(lenet).get_params() == lenet.get_params()
    assert lenet.set_params(kernel_size=3).kernel_size == 3


def test_warm_start_continues_training(scaled_split, tiny_mlp):
    X_train, y_train, _, _ = scaled_split
    clf = tiny_mlp(epochs=1, warm_start=True).fit(X_train, y_train)
    first_loss = clf.history_["loss"][0]
    clf.fit(X_train, y_train)
    assert clf.history_["loss"][0] < first_loss


def test_partial_fit_trains_one_epoch_per_call(scaled_split, tiny_mlp):
    X_train, y_train, _, _ = scaled_split
    clf = tiny_mlp()
    clf.partial_fit(X_train, y_train, classes=np.arange(10))
    clf.partial_fit(X_train, y_train)
    assert len(clf.history_["loss"]) == 2
    assert clf.history_["loss"][1] < clf.history_["loss"][0]


def test_grid_search_and_kfold_cross_validation_on_the_pipeline(small_split, tiny_cnn):
    X_train, y_train, _, _ = small_split
    X, y = X_train[:900], y_train[:900]
    pipe = make_pipeline(ImagePreprocessor(), tiny_cnn(epochs=1))
    search = GridSearchCV(pipe, {"fashioncnn__epochs": [1, 2]}, cv=KFold(3)).fit(X, y)
    assert search.best_params_["fashioncnn__epochs"] in (1, 2)
    assert search.cv_results_["mean_test_score"].min() > 0.4
    scores = cross_val_score(pipe, X, y, cv=KFold(3))
    assert scores.shape == (3,) and scores.min() > 0.4


def test_joblib_round_trip_is_exact_in_a_new_process(small_split, tiny_cnn, tmp_path):
    X_train, y_train, X_test, _ = small_split
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


def test_interrupted_fit_keeps_the_best_weights(scaled_split, tiny_mlp):
    import keras

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    X_train, y_train, X_test, y_test = scaled_split
    clf = tiny_mlp(epochs=10, callbacks=[Interrupt()])
    with pytest.warns(UserWarning, match="interrupted: the estimator keeps the weights of epoch"):
        clf.fit(X_train, y_train)
    assert 2 <= len(clf.history_["loss"]) <= 3
    assert clf.score(X_test, y_test) > 0.6


def test_checkpoint_dir_keeps_the_best_weights_on_disk(scaled_split, tiny_mlp, tmp_path):
    X_train, y_train, X_test, _ = scaled_split
    clf = tiny_mlp(epochs=2, validation_split=0.2, checkpoint_dir=tmp_path / "ckpt")
    clf.fit(X_train, y_train)
    weights = tmp_path / "ckpt" / "best.weights.h5"
    assert weights.is_file()
    best_epoch = int(np.argmin(clf.history_["val_loss"]))
    assert best_epoch in (0, 1)
