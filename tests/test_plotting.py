import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_hex
from sklearn.pipeline import make_pipeline

from skfmnist import CLASS_NAMES, ImagePreprocessor, find_learning_rate, plotting

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def fitted_pipeline(toy_split):
    from skfmnist import FashionCNN

    X_train, y_train, _, _ = toy_split
    cnn = FashionCNN(conv_filters=(4, 8), convs_per_block=1, dense_units=16, batch_size=32,
                     epochs=2, validation_split=0.2, random_state=0)
    return make_pipeline(ImagePreprocessor(), cnn).fit(X_train[:800], y_train[:800])


def _texts(ax):
    return [text.get_text() for text in ax.texts]


def test_plot_samples(toy_split):
    X, y, _, _ = toy_split
    fig = plotting.plot_samples(X, y, n_images=10, n_cols=5)
    ax = fig.axes[0]
    assert len(ax.images) == 10
    assert _texts(ax) == [CLASS_NAMES[label] for label in y[:10]]


def test_plot_samples_into_a_given_axes(toy_split):
    import matplotlib.pyplot as plt

    X, _, _, _ = toy_split
    fig, ax = plt.subplots()
    assert plotting.plot_samples(X.reshape(-1, 28, 28), n_images=4, ax=ax) is fig
    assert len(ax.images) == 4 and len(ax.texts) == 0


def test_plot_predictions_colours_right_and_wrong(fitted_pipeline, toy_split):
    _, _, X_test, y_test = toy_split
    fig = plotting.plot_predictions(fitted_pipeline, X_test, y_test, n_images=12)
    ax = fig.axes[0]
    correct = fitted_pipeline.predict(X_test[:12]) == y_test[:12]
    colours = [to_hex(text.get_color()) for text in ax.texts]
    assert len(ax.images) == 12
    assert colours.count(to_hex("tab:green")) == correct.sum()
    assert colours.count(to_hex("tab:red")) == (~correct).sum()
    assert ax.get_title() == f"{correct.sum()} of 12 correct"


def test_plot_history(fitted_pipeline):
    fig = plotting.plot_history(fitted_pipeline)
    loss_ax, accuracy_ax = fig.axes
    assert loss_ax.get_ylabel() == "loss" and accuracy_ax.get_ylabel() == "accuracy"
    assert [line.get_label() for line in loss_ax.lines] == ["training", "validation"]
    assert len(loss_ax.lines[0].get_xdata()) == 2  # two epochs
    single = plotting.plot_history(fitted_pipeline[-1].history_, metrics=("loss",))
    assert len(single.axes) == 1
    with pytest.raises(ValueError, match="history_"):
        plotting.plot_history({"nothing": []})


@pytest.mark.parametrize("normalize", [None, "true"])
def test_plot_confusion_matrix(fitted_pipeline, toy_split, normalize):
    _, _, X_test, y_test = toy_split
    display = plotting.plot_confusion_matrix(fitted_pipeline, X_test, y_test,
                                             normalize=normalize)
    matrix = display.confusion_matrix
    if normalize is None:
        assert matrix.sum() == len(y_test)
    else:
        np.testing.assert_allclose(matrix.sum(axis=1), 1.0)
    labels = [tick.get_text() for tick in display.ax_.get_xticklabels()]
    assert labels == list(CLASS_NAMES)


@pytest.mark.parametrize("index", [0, slice(0, 1)], ids=["image", "batch-of-one"])
def test_plot_probabilities(fitted_pipeline, toy_split, index):
    _, _, X_test, _ = toy_split
    fig = plotting.plot_probabilities(fitted_pipeline, X_test[index])
    ax_image, ax_bars = fig.axes
    heights = [bar.get_width() for bar in ax_bars.patches]
    assert len(heights) == 10 and sum(heights) == pytest.approx(1.0, abs=1e-5)
    best = CLASS_NAMES[int(fitted_pipeline.predict(X_test[:1])[0])]
    assert ax_image.get_title().startswith(best)
    assert [t.get_text() for t in ax_bars.get_yticklabels()] == list(CLASS_NAMES)


def test_plot_feature_maps(fitted_pipeline, toy_split):
    _, _, X_test, _ = toy_split
    fig = plotting.plot_feature_maps(fitted_pipeline, X_test[:2], n_maps=4)
    ax = fig.axes[0]
    assert len(ax.images) == 2 * 2 * 4  # images x conv layers x channels
    assert "img 1 block2_act1\nch 0" in _texts(ax)
    with pytest.raises(ValueError, match="Unknown layers"):
        plotting.plot_feature_maps(fitted_pipeline, X_test[:1], layers=["nope"])


def test_plot_feature_maps_needs_a_cnn(toy_split):
    from skfmnist import FashionMLP

    X, y, _, _ = toy_split
    mlp = FashionMLP(hidden_layer_sizes=(8,), epochs=1).fit(X[:100] / 255, y[:100])
    with pytest.raises(ValueError, match="needs a fitted FashionCNN"):
        plotting.plot_feature_maps(mlp, X[:1] / 255)


def test_learning_rate_finder(toy_split):
    from skfmnist import FashionMLP

    X, y, _, _ = toy_split
    pipe = make_pipeline(ImagePreprocessor(), FashionMLP(hidden_layer_sizes=(32,),
                                                         batch_size=16, random_state=0))
    finder = find_learning_rate(pipe, X, y, min_lr=1e-5, max_lr=10.0)
    rates, losses = finder.learning_rates, finder.losses
    assert len(rates) == len(losses) > 5
    assert np.all(np.diff(rates) > 0) and rates[0] == pytest.approx(1e-5)
    assert losses.min() < losses[0]  # the loss fell at useful rates
    lowest = rates[np.argmin(losses)]
    assert finder.suggested_learning_rate == pytest.approx(lowest / 10)
    # Below where training diverged: the first rate whose loss rose above the starting loss.
    diverged = rates[np.argmax((losses > losses[0]) & (np.arange(len(losses)) > np.argmin(losses)))]
    assert finder.suggested_learning_rate < diverged / 10
    assert not hasattr(pipe[-1], "model_")  # the estimator given is left untouched
    ax = finder.plot().axes[0]  # plotting.plot_learning_rate_finder
    assert ax.get_xscale() == "log" and len(ax.lines) == 2


def _two_bin_predictions():
    """40 samples at confidence 0.55 of which 22 right (calibrated), 60 at confidence 1.0 of which
    45 right (25 points over-confident): ECE = 0.6 * 0.25 = 0.15."""
    proba = np.vstack([np.tile([0.55, 0.45, 0.0], (40, 1)), np.tile([0.0, 0.0, 1.0], (60, 1))])
    y = np.concatenate([[0] * 22 + [1] * 18, [2] * 45 + [0] * 15])
    return y, proba


def test_expected_calibration_error_on_known_bins():
    from skfmnist._calibration import calibration_bins, expected_calibration_error

    y, proba = _two_bin_predictions()
    assert expected_calibration_error(y, proba) == pytest.approx(0.15)
    bins = calibration_bins(y, proba, n_bins=10)
    assert bins.count.tolist() == [0] * 5 + [40] + [0] * 3 + [60]
    assert bins.accuracy[5] == pytest.approx(0.55) and bins.accuracy[9] == pytest.approx(0.75)
    assert np.isnan(bins.accuracy[0]) and bins.edges.tolist() == pytest.approx(
        np.linspace(0, 1, 11).tolist())
    # The columns' labels say which prediction is right: here every prediction is.
    labels = np.array(["shirt", "bag", "coat"])
    assert expected_calibration_error(labels[proba.argmax(axis=1)], proba,
                                      classes=labels) == pytest.approx(0.6 * 0.0 + 0.4 * 0.45)


@pytest.mark.parametrize("args, kwargs, message", [
    (([0, 1], [0.5, 0.5]), {}, "proba must be a finite 2-D array"),
    (([0, 1, 1], [[0.5, 0.5]] * 2), {}, "one label per row of proba"),
    (([0, 1], [[0.5, 0.5]] * 2), {"n_bins": 0}, "n_bins must be a positive integer"),
    ((["a", "b"], [[0.5, 0.5]] * 2), {}, "pass classes=estimator.classes_"),
    (([0, 1], [[0.5, 0.5]] * 2), {"classes": [0, 1, 2]}, "must name the 2 columns"),
])
def test_expected_calibration_error_refuses_bad_input(args, kwargs, message):
    from skfmnist._calibration import expected_calibration_error

    with pytest.raises(ValueError, match=message):
        expected_calibration_error(*args, **kwargs)


def test_plot_reliability_diagram():
    y, proba = _two_bin_predictions()
    fig = plotting.plot_reliability_diagram(y, proba, n_bins=10)
    ax = fig.axes[0]
    assert ax.get_title() == "ECE = 0.1500 (10 bins, 100 samples)"
    bars = ax.patches
    assert [round(bar.get_x(), 6) for bar in bars] == [0.5, 0.9]  # the two filled bins
    assert [bar.get_height() for bar in bars] == pytest.approx([0.55, 0.75])
    assert ax.get_xlabel() == "top-1 confidence" and ax.get_ylabel() == "accuracy"
