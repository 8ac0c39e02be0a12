"""Reshape and scale raw greyscale images for the estimators."""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._docstrings import API_PAGE_TEMPLATE
from ._images import describe_shape, flatten_images, resolve_image_shape
from ._sklearn_compat import StrOptions, _fit_context

__all__ = ["ImagePreprocessor"]

_MAX_PIXEL = 255.0


class ImagePreprocessor(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Flatten greyscale images and scale raw 0-255 pixels for a network.

    Accepts ``(n, n_pixels)``, ``(n, h, w)`` and ``(n, h, w, 1)`` arrays of images and
    returns float32 ``(n, n_pixels)``. Pixels must be raw grey levels in ``[0, 255]``; this is
    the step that keeps the training and the test images on the same scale.

    Parameters
    ----------
    scaling : {"minmax", "standard"}, default="minmax"
        ``"minmax"`` divides by 255, giving values in ``[0, 1]``. ``"standard"`` then subtracts
        the training images' mean pixel value and divides by their standard deviation (one
        scalar each, as is usual for images).
    image_shape : tuple of (int, int) or None, default=None
        ``(height, width)`` of images passed as flat rows. None: taken from 3-d/4-d input, else
        the square side of the row length; rows that are not square warn and are treated as
        one-pixel-high strips. The output rows carry no shape: give a
        :class:`~skfmnist.FashionCNN` after this step the same ``image_shape``.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(height, width)`` of the images seen in ``fit``.
    mean_ : float
        Mean of the scaled training pixels (0.0 with ``scaling="minmax"``).
    scale_ : float
        Standard deviation of the scaled training pixels (1.0 with ``scaling="minmax"``).
    n_features_in_ : int
        Number of pixels per image seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` was given a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmnist import ImagePreprocessor
    >>> images = np.full((2, 28, 28), 255, dtype=np.uint8)
    >>> Xt = ImagePreprocessor().fit_transform(images)
    >>> Xt.shape, Xt.dtype, float(Xt.max())
    ((2, 784), dtype('float32'), 1.0)
    """

    # scikit-learn's HTML diagram links each estimator to its documentation page.
    _doc_link_module = "skfmnist"
    _doc_link_template = API_PAGE_TEMPLATE

    _parameter_constraints = {
        "scaling": [StrOptions({"minmax", "standard"})],
        "image_shape": [tuple, list, None],
    }

    def __init__(self, *, scaling="minmax", image_shape=None):
        self.scaling = scaling
        self.image_shape = image_shape

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the image shape (and, for ``scaling="standard"``, the pixel statistics).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, h, w, 1)
            Raw greyscale images, pixel values in ``[0, 255]``.
        y : None
            Ignored.

        Returns
        -------
        self : ImagePreprocessor
        """
        X_flat, image_shape = flatten_images(X, type(self).__name__)
        X_flat = self._validate_pixels(X_flat, reset=True)
        self.image_shape_ = resolve_image_shape(self.n_features_in_, self.image_shape,
                                                image_shape, type(self).__name__)
        if self.scaling == "standard":
            scaled = X_flat / _MAX_PIXEL
            self.mean_ = float(scaled.mean())
            self.scale_ = float(scaled.std()) or 1.0  # a constant image set is left centred
        else:
            self.mean_, self.scale_ = 0.0, 1.0
        return self

    def transform(self, X):
        """Flatten and scale images.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, h, w, 1)
            Raw greyscale images of the size seen in ``fit``.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_pixels), dtype float32
        """
        check_is_fitted(self)
        X_flat, image_shape = flatten_images(X, type(self).__name__)
        if image_shape is not None and tuple(image_shape) != tuple(self.image_shape_):
            raise ValueError(
                f"X has {image_shape[0] * image_shape[1]} features, but ImagePreprocessor is "
                f"expecting {self.n_features_in_} features as input: got "
                f"{describe_shape(image_shape)} images, fitted on "
                f"{describe_shape(self.image_shape_)}. Resize the images to "
                f"{describe_shape(self.image_shape_)} first."
            )
        X_flat = self._validate_pixels(X_flat, reset=False)
        # In place on one float32 copy: the output is the only array as large as the input.
        scaled = np.array(X_flat, dtype=np.float32)
        scaled /= np.float32(_MAX_PIXEL)
        if self.scaling == "standard":
            scaled -= np.float32(self.mean_)
            scaled /= np.float32(self.scale_)
        return scaled

    def _validate_pixels(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype="numeric", ensure_all_finite=True)
        if X.size == 0:
            return X
        low, high = X.min(), X.max()
        if low < 0 or high > _MAX_PIXEL:
            problem = "Negative values in data" if low < 0 else "Values above 255 in data"
            raise ValueError(
                f"{problem} passed to ImagePreprocessor (range {low:g} to {high:g}): it expects "
                "raw pixel values in [0, 255]. Pass the original 8-bit grey levels (e.g. the "
                "arrays from fetch_fashion_mnist), not standardised or otherwise transformed data."
            )
        if not np.issubdtype(X.dtype, np.integer) and 0 < high <= 1.0:
            warnings.warn(
                "All pixel values are in [0, 1]: the images look already scaled, but "
                "ImagePreprocessor divides by 255 again. Pass raw 0-255 grey levels, or drop "
                "the ImagePreprocessor step for pre-scaled data.",
                UserWarning,
                stacklevel=3,
            )
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
