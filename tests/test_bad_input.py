"""Every kind of bad input gets a clear exception naming the problem and the fix."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from skfmnist import FashionCNN, FashionMLP, ImagePreprocessor

RAW = np.random.RandomState(0).randint(0, 256, size=(40, 784)).astype(np.uint8)
LABELS = np.arange(40) % 4


@pytest.fixture(scope="module")
def fitted_mlp():
    return FashionMLP(hidden_layer_sizes=(8,), epochs=1, random_state=0).fit(RAW / 255, LABELS)


def test_wrong_image_size_at_transform():
    pre = ImagePreprocessor().fit(RAW)
    with pytest.raises(ValueError, match=r"got 10x10 images, fitted on 28x28\. Resize"):
        pre.transform(np.zeros((2, 10, 10)))


def test_wrong_image_size_at_predict(fitted_mlp):
    with pytest.raises(ValueError, match="X has 100 features, but FashionMLP is expecting 784"):
        fitted_mlp.predict(np.zeros((2, 10, 10)))


@pytest.mark.parametrize("estimator", [ImagePreprocessor(), FashionMLP(epochs=1)],
                         ids=["preprocessor", "mlp"])
def test_colour_images(estimator):
    with pytest.raises(ValueError, match=r"greyscale.*3 channels.*X\.mean\(axis=-1\)"):
        estimator.fit(np.zeros((4, 28, 28, 3)), [0, 1, 0, 1])


def test_non_square_flat_length_warns_naming_the_parameter():
    with pytest.warns(UserWarning, match="rows of 780 pixels are not square images.*image_shape"):
        ImagePreprocessor().fit(np.zeros((2, 780)))


@pytest.mark.parametrize("value, word", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_nan_and_inf(value, word):
    X = RAW.astype(float)
    X[3, 5] = value
    with pytest.raises(ValueError, match=f"Input X contains {word}"):
        ImagePreprocessor().fit(X)
    with pytest.raises(ValueError, match=f"Input X contains {word}"):
        FashionMLP(epochs=1).fit(X, LABELS)


def test_negative_pixels():
    with pytest.raises(ValueError, match=r"Negative values in data.*raw pixel values in \[0, 255\]"):
        ImagePreprocessor().fit(RAW - 128.0)


def test_pixels_above_255():
    with pytest.raises(ValueError, match=r"Values above 255 in data passed to ImagePreprocessor \(range 0 to 300\)"):
        ImagePreprocessor().fit(np.full((2, 784), 300.0) * (np.arange(784) > 0))


def test_already_scaled_images_warn():
    with pytest.warns(UserWarning, match="look already scaled"):
        ImagePreprocessor().fit(RAW / 255.0)


def test_unknown_labels_at_score_count_as_errors_with_a_warning(fitted_mlp):
    from sklearn.metrics import accuracy_score

    X, y = RAW[:20] / 255, np.r_[LABELS[:19], 7]
    with pytest.warns(UserWarning, match=r"labels not seen during fit: \[7\]; they count as"):
        score = fitted_mlp.score(X, y)
    assert score == accuracy_score(y, fitted_mlp.predict(X))


def test_single_class():
    with pytest.raises(ValueError, match=r"needs at least 2 classes to train a classifier, got 1 class: \[3\]"):
        FashionMLP(epochs=1).fit(RAW / 255, np.full(40, 3))


def test_empty_X():
    with pytest.raises(ValueError, match="Found array with 0 sample"):
        FashionCNN(epochs=1).fit(np.zeros((0, 784)), [])


def test_X_y_length_mismatch():
    with pytest.raises(ValueError, match="inconsistent numbers of samples: \\[40, 39\\]"):
        FashionMLP(epochs=1).fit(RAW / 255, LABELS[:-1])


@pytest.mark.parametrize("estimator", [ImagePreprocessor(), FashionCNN(epochs=1)],
                         ids=["preprocessor", "cnn"])
def test_sparse_input(estimator):
    with pytest.raises(TypeError, match=r"does not support sparse input.*X\.toarray\(\)"):
        estimator.fit(sp.csr_matrix(RAW), LABELS)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
def test_predict_before_fit(method):
    args = (RAW, LABELS) if method == "score" else (RAW,)
    with pytest.raises(NotFittedError, match="not fitted yet. Call 'fit'"):
        getattr(FashionCNN(), method)(*args)


def test_transform_before_fit():
    with pytest.raises(NotFittedError):
        ImagePreprocessor().transform(RAW)


def test_set_params_unknown_name():
    with pytest.raises(ValueError, match=r"Invalid parameter 'n_layers' for estimator FashionCNN"):
        FashionCNN().set_params(n_layers=3)


def test_invalid_parameter_value():
    with pytest.raises(ValueError, match="'optimizer' parameter of FashionMLP must be a str among"):
        FashionMLP(optimizer="adagrad").fit(RAW / 255, LABELS)


def test_architecture_too_deep_for_the_images():
    cnn = FashionCNN(conv_filters=(4, 4, 4, 4), convs_per_block=1, kernel_size=5, padding="valid",
                     epochs=1)
    with pytest.raises(ValueError,
                       match="does not fit 28x28 images: convolution 3 .*padding='same'"):
        cnn.fit(RAW / 255, LABELS)


@pytest.mark.parametrize("params, message", [
    ({"strides": (0, 0)}, r"strides must be a positive integer or a pair"),
    ({"strides": (2, 0)}, r"strides must be a positive integer or a pair"),
    ({"strides": (1,)}, r"strides must be a positive integer or a pair.*got \(1,\)"),
    ({"strides": [1.5, 1.5]}, r"strides must be a positive integer or a pair.*\[1.5, 1.5\]"),
    ({"kernel_size": (3,), "padding": "valid"}, r"kernel_size must be a positive integer or"),
    ({"kernel_size": (3, True)}, r"kernel_size must be a positive integer or"),
    ({"conv_filters": ("a",)}, r"conv_filters must hold positive integers.*'a' is not one"),
    ({"conv_filters": (0,)}, r"conv_filters must hold positive integers.*0 is not one"),
    ({"conv_filters": ()}, "conv_filters needs at least one layer size"),
    ({"dense_units": (64, -1)}, r"dense_units must hold positive integers.*-1 is not one"),
])
def test_layer_sizes_are_checked_element_by_element(params, message):
    with pytest.raises(ValueError, match=message):
        FashionCNN(epochs=1, **params).fit(RAW / 255, LABELS)


def test_hidden_layer_sizes_are_checked_element_by_element():
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must hold positive integers.*2.5"):
        FashionMLP(hidden_layer_sizes=(16, 2.5), epochs=1).fit(RAW / 255, LABELS)


def test_validation_split_leaving_nothing_names_the_parameter():
    with pytest.raises(ValueError, match=r"validation_split=0.999 holds out 40 of 40 rows"):
        FashionMLP(validation_split=0.999, epochs=1).fit(RAW / 255, LABELS)


def test_constructor_parameters_are_keyword_only():
    with pytest.raises(TypeError):
        FashionCNN((8, 16))


@pytest.mark.parametrize("name, instead", [
    ("callbacks", "callbacks"), ("validation_data", "validation_split"), ("shuffle", "random_state"),
    ("verbose", "verbose"), ("epochs", "epochs"), ("initial_epoch", "warm_start"),
])
def test_keras_fit_arguments_are_refused_naming_the_parameter(name, instead):
    estimator = FashionMLP(hidden_layer_sizes=(4,), epochs=1)
    for method in (estimator.fit, estimator.partial_fit):
        with pytest.raises(TypeError, match=f"takes no argument '{name}': set it as the estimator "
                                            f"parameter '{instead}'"):
            method(RAW / 255, LABELS, **{name: None})
    assert not hasattr(estimator, "model_")


def test_weight_averaging_with_early_stopping_is_refused():
    estimator = FashionMLP(ema_momentum=0.99, early_stopping=True, epochs=1)
    with pytest.raises(ValueError, match="ema_momentum and early_stopping=True cannot be combined"):
        estimator.fit(RAW / 255, LABELS)


def test_partial_fit_refuses_other_classes_later(fitted_mlp):
    from sklearn.base import clone

    estimator = clone(fitted_mlp).partial_fit(RAW / 255, LABELS, classes=range(4))
    with pytest.raises(ValueError, match=r"classes=\[0, 1, .*10\] is not the same as on the first"):
        estimator.partial_fit(RAW / 255, LABELS, classes=range(11))
    with pytest.raises(ValueError, match=r"labels the network has no output for: \[9\]"):
        estimator.partial_fit(RAW / 255, np.r_[LABELS[:-1], 9])
    estimator.partial_fit(RAW / 255, LABELS, classes=[3, 2, 1, 0])  # the same classes
    assert estimator.classes_.tolist() == [0, 1, 2, 3]
    assert estimator.model_.output_shape[-1] == 4


def test_partial_fit_validates_parameters_changed_after_the_first_call(fitted_mlp):
    from sklearn.base import clone

    estimator = clone(fitted_mlp).partial_fit(RAW / 255, LABELS)
    estimator.set_params(batch_size=0)
    with pytest.raises(ValueError, match="'batch_size' parameter of FashionMLP must be an int"):
        estimator.partial_fit(RAW / 255, LABELS)


@pytest.mark.parametrize("scale", [1.0, 1e30])
def test_diverging_training_raises_and_keeps_no_network(scale):
    estimator = FashionMLP(optimizer="sgd", learning_rate=1e8, epochs=2, random_state=0)
    with pytest.raises(ValueError, match="training diverged.*Lower learning_rate"):
        estimator.fit(RAW / 255 * scale, LABELS)
    with pytest.raises(NotFittedError):
        estimator.predict(RAW)


def test_cnn_refuses_stacks_of_another_shape_with_the_same_pixel_count():
    cnn = FashionCNN(conv_filters=(4,), dense_units=8, epochs=1, random_state=0)
    cnn.fit((RAW / 255).reshape(-1, 28, 28), LABELS)
    with pytest.raises(ValueError, match="trained on 28x28 images, but X holds 14x56 images"):
        cnn.predict(np.zeros((2, 14, 56)))
    assert cnn.predict(np.zeros((2, 784))).shape == (2,)  # flat rows carry no shape to check


def test_batch_norm_scale_without_batch_norm_is_refused():
    estimator = FashionCNN(batch_norm=False, batch_norm_scale=False, epochs=1)
    with pytest.raises(ValueError, match="batch_norm_scale=False .* batch_norm=False builds none"):
        estimator.fit(RAW / 255, LABELS)


def test_patch_whitening_with_patches_larger_than_the_images_is_refused():
    estimator = FashionCNN(patch_whitening=True, kernel_size=5, conv_filters=(4,),
                           image_shape=(4, 196), epochs=1)
    with pytest.raises(ValueError, match=r"patch_whitening needs patches of kernel_size=5 inside"):
        estimator.fit(RAW / 255, LABELS)


def test_weight_averaging_with_lookahead_is_refused():
    estimator = FashionMLP(ema_momentum=0.99, lookahead=5, epochs=1)
    with pytest.raises(ValueError, match="ema_momentum and lookahead cannot be combined"):
        estimator.fit(RAW / 255, LABELS)
