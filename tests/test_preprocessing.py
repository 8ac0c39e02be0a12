import numpy as np
import pandas as pd
import pytest

from skfmnist import ImagePreprocessor


@pytest.mark.parametrize("shape", [(5, 784), (5, 28, 28), (5, 28, 28, 1)])
def test_accepts_flat_and_stacked_images(shape):
    X = np.random.RandomState(0).randint(0, 256, size=shape).astype(np.uint8)
    Xt = ImagePreprocessor().fit_transform(X)
    assert Xt.shape == (5, 784) and Xt.dtype == np.float32
    np.testing.assert_allclose(Xt, X.reshape(5, -1) / 255.0, rtol=1e-6)


def test_minmax_scaling_maps_raw_pixels_to_unit_interval(toy_split):
    X_train, _, X_test, _ = toy_split
    pre = ImagePreprocessor().fit(X_train)
    Xt = pre.transform(X_test)
    np.testing.assert_allclose(Xt, X_test / 255.0, rtol=1e-6)
    assert Xt.dtype == np.float32
    assert pre.image_shape_ == (28, 28) and pre.n_features_in_ == 784


def test_standard_scaling_uses_training_statistics(toy_split):
    X_train, _, X_test, _ = toy_split
    pre = ImagePreprocessor(scaling="standard").fit(X_train)
    train = pre.transform(X_train)
    assert abs(train.mean()) < 1e-4 and abs(train.std() - 1) < 1e-4
    assert pre.mean_ == pytest.approx(X_train.mean() / 255)
    test = pre.transform(X_test)  # the test set is scaled with the training mean/std
    np.testing.assert_allclose(test, (X_test / 255 - pre.mean_) / pre.scale_, atol=1e-5)


def test_feature_names_out_default_and_from_dataframe():
    X = np.zeros((2, 16), dtype=np.uint8)
    assert ImagePreprocessor().fit(X).get_feature_names_out()[:2].tolist() == ["x0", "x1"]
    frame = pd.DataFrame(X, columns=[f"pixel_{i}" for i in range(16)])
    pre = ImagePreprocessor().fit(frame)
    assert pre.get_feature_names_out()[-1] == "pixel_15"
    assert pre.feature_names_in_[0] == "pixel_0"


def test_non_square_rows_warn_and_become_strips():
    with pytest.warns(UserWarning, match=r"pass image_shape=\(height, width\)"):
        pre = ImagePreprocessor().fit(np.full((3, 5), 7))
    assert pre.image_shape_ == (1, 5)


def test_image_shape_states_non_square_images():
    X = np.random.RandomState(0).randint(0, 256, size=(4, 20, 30))
    assert ImagePreprocessor(image_shape=(20, 30)).fit(X.reshape(4, -1)).image_shape_ == (20, 30)
    with pytest.raises(ValueError, match=r"image_shape=\(30, 20\)\) expects 30x20 images, but X "
                                         r"has 20x30 images"):
        ImagePreprocessor(image_shape=(30, 20)).fit(X)


def test_transform_keeps_one_float32_copy():
    X = np.full((3, 784), 255, dtype=np.uint8)
    Xt = ImagePreprocessor().fit(X).transform(X)
    assert Xt.dtype == np.float32 and Xt.base is None and float(Xt.max()) == 1.0
