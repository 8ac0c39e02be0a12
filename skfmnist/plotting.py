"""Pictures of the data and of what a model learned, with matplotlib.

Every function draws into the ``ax`` it is given (or a new figure), returns the Figure or a
Display object like scikit-learn's, and never calls ``plt.show()``: it works headless (Agg).
"""

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.pipeline import Pipeline

from ._calibration import calibration_bins, expected_calibration_error
from ._datasets import label_names
from ._images import images_from_rows

__all__ = [
    "plot_confusion_matrix",
    "plot_feature_maps",
    "plot_history",
    "plot_learning_rate_finder",
    "plot_predictions",
    "plot_probabilities",
    "plot_reliability_diagram",
    "plot_samples",
]

_CORRECT, _WRONG = "tab:green", "tab:red"


def _new_axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _last_step(estimator):
    """The estimator itself, or the last step of a pipeline."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def _batch_of_one(image):
    """One image, given as (pixels,), (h, w), (h, w, 1) or a batch of one, as a batch of one."""
    image = np.asarray(image)
    single = (image.ndim == 1 or (image.ndim == 2 and image.shape[0] != 1)
              or (image.ndim == 3 and image.shape[-1] == 1 and image.shape[0] != 1))
    batch = image[np.newaxis] if single else image
    if len(batch) != 1 or batch.ndim not in (2, 3, 4):
        raise ValueError(f"plot_probabilities takes one image (or a batch of one), got an array "
                         f"of shape {image.shape}.")
    return batch


def _montage(ax, images, n_cols, titles=None, colors=None, cmap="gray_r"):
    """Draw ``images`` as tiles of one Axes, each with an optional coloured caption."""
    n_rows = int(np.ceil(len(images) / n_cols))
    for index, image in enumerate(images):
        row, col = divmod(index, n_cols)
        left, top = col * 1.1, -row * 1.35
        ax.imshow(image, cmap=cmap, extent=(left, left + 1, top - 1, top),
                  interpolation="nearest")
        if titles is not None:
            ax.text(left + 0.5, top + 0.04, titles[index], ha="center", va="bottom",
                    fontsize=7, color=None if colors is None else colors[index])
    ax.set_xlim(-0.05, n_cols * 1.1)
    ax.set_ylim(-n_rows * 1.35 + 0.3, 0.35)
    ax.set_aspect("equal")
    ax.axis("off")


def plot_samples(X, y=None, *, n_images=25, n_cols=5, class_names=None, ax=None):
    """A grid of images with their class names.

    Parameters
    ----------
    X : array-like of shape (n, pixels), (n, h, w) or (n, h, w, 1)
        Images (raw or scaled).
    y : array-like of shape (n,), default=None
        Labels: integers (named with ``class_names``) or strings.
    n_images : int, default=25
        How many images, from the start of ``X``.
    n_cols : int, default=5
        Images per row.
    class_names : sequence of str, default=None
        Names of integer labels; defaults to :data:`~skfmnist.CLASS_NAMES`.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.

    Returns
    -------
    fig : matplotlib Figure
    """
    images = images_from_rows(X)[:n_images]
    titles = None if y is None else label_names(np.asarray(y)[:n_images], class_names)
    fig, ax = _new_axes(ax, (1.5 * n_cols, 1.8 * np.ceil(len(images) / n_cols)))
    _montage(ax, images, n_cols, titles)
    return fig


def plot_predictions(estimator, X, y, *, n_images=25, n_cols=5, class_names=None, ax=None):
    """Test images captioned with the prediction: green when right, red (with the truth) when wrong.

    Parameters
    ----------
    estimator : fitted classifier or pipeline
        Takes ``X`` as given.
    X : array-like of shape (n, pixels), (n, h, w) or (n, h, w, 1)
        Images in the form the estimator takes.
    y : array-like of shape (n,)
        True labels.
    n_images, n_cols, class_names, ax
        As in :func:`plot_samples`.

    Returns
    -------
    fig : matplotlib Figure
    """
    X, y = X[:n_images], np.asarray(y)[:n_images]
    predicted = estimator.predict(X)
    predicted_names = label_names(predicted, class_names)
    true_names = label_names(y, class_names)
    correct = predicted == y
    titles = [p if ok else f"{p}\n(true: {t})"
              for p, t, ok in zip(predicted_names, true_names, correct)]
    colors = [_CORRECT if ok else _WRONG for ok in correct]
    fig, ax = _new_axes(ax, (1.6 * n_cols, 2.0 * np.ceil(len(y) / n_cols)))
    _montage(ax, images_from_rows(X), n_cols, titles, colors)
    ax.set_title(f"{int(correct.sum())} of {len(y)} correct", fontsize=9)
    return fig


def _history_of(estimator_or_history):
    history = getattr(estimator_or_history, "history_", estimator_or_history)
    if not isinstance(history, dict) or "loss" not in history:
        raise ValueError("Pass a fitted FashionMLP/FashionCNN (or pipeline) or its history_ dict.")
    return history


def plot_history(estimator_or_history, *, metrics=("loss", "accuracy"), ax=None):
    """Training (and validation) curves per epoch.

    Parameters
    ----------
    estimator_or_history : fitted estimator, pipeline, or dict
        A fitted :class:`~skfmnist.FashionMLP`/:class:`~skfmnist.FashionCNN`, a pipeline
        ending in one, or its ``history_``.
    metrics : sequence of str, default=("loss", "accuracy")
        One panel each; ``val_<metric>`` is drawn too when present.
    ax : Axes or sequence of Axes, default=None
        One Axes per metric; a new figure if None.

    Returns
    -------
    fig : matplotlib Figure
    """
    import matplotlib.pyplot as plt

    history = _history_of(_last_step(estimator_or_history))
    if ax is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5),
                                 layout="constrained", squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(ax)
        fig = axes[0].figure
    for axis, metric in zip(axes, metrics):
        epochs = np.arange(1, len(history[metric]) + 1)
        axis.plot(epochs, history[metric], marker="o", label="training")
        if f"val_{metric}" in history:
            axis.plot(epochs, history[f"val_{metric}"], marker="o", label="validation")
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.legend()
        axis.grid(alpha=0.3)
    return fig


def plot_confusion_matrix(estimator, X, y, *, normalize=None, class_names=None, y_pred=None,
                          ax=None):
    """Confusion matrix with class names, as counts or normalised.

    Parameters
    ----------
    estimator : fitted classifier or pipeline, or None
        Predicts ``X``; may be None when ``y_pred`` is given.
    X : array-like or None
        Images in the form the estimator takes; unused when ``y_pred`` is given.
    y : array-like of shape (n,)
        True labels.
    normalize : {"true", "pred", "all"} or None, default=None
        As in :func:`sklearn.metrics.confusion_matrix`; None shows counts.
    class_names : sequence of str, default=None
        Display names for the classes; defaults to :data:`~skfmnist.CLASS_NAMES` for the 10
        integer Fashion-MNIST labels, else the labels themselves.
    y_pred : array-like of shape (n,), default=None
        Predictions already made, so that the test set is not predicted again.
    ax : Axes, default=None

    Returns
    -------
    display : sklearn.metrics.ConfusionMatrixDisplay
    """
    y = np.asarray(y)
    y_pred = estimator.predict(X) if y_pred is None else np.asarray(y_pred)
    labels = np.unique(np.concatenate([y, y_pred]))
    fig, ax = _new_axes(ax, (8, 7))
    return ConfusionMatrixDisplay.from_predictions(
        y, y_pred, labels=labels, display_labels=label_names(labels, class_names),
        normalize=normalize, ax=ax, xticks_rotation=45, cmap="Blues", colorbar=False,
        values_format=".2f" if normalize else "d",
    )


def plot_probabilities(estimator, image, *, class_names=None, ax=None):
    """One image beside a bar chart of its class probabilities.

    Parameters
    ----------
    estimator : fitted classifier or pipeline with ``predict_proba``
    image : array-like of shape (pixels,), (h, w), (h, w, 1) or a batch of one of those
        One image in the form the estimator takes (``X_test[0]`` or ``X_test[:1]``).
    class_names : sequence of str, default=None
    ax : pair of Axes, default=None
        (image Axes, bar-chart Axes); a new figure if None.

    Returns
    -------
    fig : matplotlib Figure
    """
    import matplotlib.pyplot as plt

    batch = _batch_of_one(image)
    probabilities = estimator.predict_proba(batch)[0]
    names = label_names(_last_step(estimator).classes_, class_names)
    if ax is None:
        fig, (ax_image, ax_bars) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained",
                                                width_ratios=(1, 1.6))
    else:
        ax_image, ax_bars = ax
        fig = ax_image.figure
    ax_image.imshow(images_from_rows(batch)[0], cmap="gray_r")
    ax_image.axis("off")
    best = int(np.argmax(probabilities))
    ax_image.set_title(f"{names[best]} ({probabilities[best]:.0%})")
    colors = ["tab:blue"] * len(probabilities)
    colors[best] = _CORRECT
    ax_bars.barh(np.arange(len(probabilities)), probabilities, color=colors)
    ax_bars.set_yticks(np.arange(len(probabilities)), names)
    ax_bars.invert_yaxis()
    ax_bars.set_xlim(0, 1)
    ax_bars.set_xlabel("probability")
    return fig


def _fitted_cnn(estimator):
    from ._estimators import FashionCNN

    cnn = _last_step(estimator)
    if not isinstance(cnn, FashionCNN) or not hasattr(cnn, "model_"):
        raise ValueError("plot_feature_maps needs a fitted FashionCNN (or a pipeline ending in one).")
    return cnn, estimator[:-1] if isinstance(estimator, Pipeline) else None


def plot_feature_maps(estimator, X, *, layers=None, n_maps=8, ax=None):
    """Activations of convolution layers for a few images.

    Parameters
    ----------
    estimator : fitted FashionCNN, or a pipeline ending in one
    X : array-like
        A few images in the form the estimator takes (the pipeline's earlier steps are
        applied).
    layers : list of str, default=None
        Names of layers to show (see ``estimator.summary()``); defaults to the activation after
        each convolution (``block<i>_act<j>``).
    n_maps : int, default=8
        Channels shown per layer.
    ax : Axes, default=None

    Returns
    -------
    fig : matplotlib Figure
        Rows: for each image, its layers in order; columns: the first ``n_maps`` channels.
    """
    import keras

    cnn, preprocess = _fitted_cnn(estimator)
    if preprocess is not None:
        X = preprocess.transform(X)
    X = cnn._validate_input(X, reset=False)[0]
    model = cnn.model_
    names = layers or [layer.name for layer in model.layers if "_act" in layer.name]
    unknown = sorted(set(names) - {layer.name for layer in model.layers})
    if unknown:
        raise ValueError(f"Unknown layers {unknown}; see estimator.summary() for the names.")
    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in names])
    outputs = probe.predict(X, verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    tiles, titles = [], []
    for index in range(len(X)):
        for name, output in zip(names, outputs):
            maps = output[index]
            for channel in range(n_maps):
                tiles.append(maps[..., channel] if channel < maps.shape[-1]
                             else np.zeros(maps.shape[:2]))
                titles.append(f"img {index} {name}\nch {channel}" if channel == 0 else f"ch {channel}")
    fig, ax = _new_axes(ax, (1.3 * n_maps, 1.5 * len(X) * len(names)))
    _montage(ax, tiles, n_maps, titles, cmap="viridis")
    return fig


def plot_learning_rate_finder(finder, *, ax=None):
    """Loss against learning rate (log scale) of a :func:`~skfmnist.find_learning_rate` run,
    with the suggested rate marked.

    Parameters
    ----------
    finder : LearningRateFinder
        What :func:`~skfmnist.find_learning_rate` returned.
    ax : Axes, default=None

    Returns
    -------
    fig : matplotlib Figure
    """
    fig, ax = _new_axes(ax, (6, 4))
    ax.plot(finder.learning_rates, finder.losses)
    ax.set_xscale("log")
    ax.axvline(finder.suggested_learning_rate, color=_WRONG, linestyle="--",
               label=f"suggested {finder.suggested_learning_rate:.1e}")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss (smoothed)")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def plot_reliability_diagram(y_true, proba, *, n_bins=15, classes=None, ax=None):
    """Reliability diagram: accuracy against top-1 confidence in equal-width bins, with the
    expected calibration error (ECE) in the title.

    A calibrated model's bars follow the diagonal; bars below it mean over-confidence. The ECE
    is the gap between each bin's accuracy and mean confidence, weighted by the samples in it.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities from ``predict_proba``.
    n_bins : int, default=15
        Bins of equal width on [0, 1].
    classes : array-like of shape (n_classes,), default=None
        The label of each column of ``proba`` (the estimator's ``classes_``); None means the
        integer labels 0 to n_classes - 1.
    ax : Axes, default=None

    Returns
    -------
    fig : matplotlib Figure
    """
    bins = calibration_bins(y_true, proba, n_bins=n_bins, classes=classes)
    ece = expected_calibration_error(y_true, proba, n_bins=n_bins, classes=classes)
    fig, ax = _new_axes(ax, (5, 5))
    filled = bins.count > 0
    width = 1.0 / n_bins
    ax.bar(bins.edges[:-1][filled], bins.accuracy[filled], width=width, align="edge",
           color="tab:blue", edgecolor="white", label="accuracy")
    ax.plot(bins.confidence[filled], bins.confidence[filled], "o", color=_WRONG, markersize=4,
            label="mean confidence")
    ax.plot([0, 1], [0, 1], "--", color="gray", label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("top-1 confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"ECE = {ece:.4f} ({n_bins} bins, {int(bins.count.sum()):,} samples)")
    ax.legend(loc="upper left")
    return fig
