"""Image-shape handling shared by the preprocessor, the estimators, the plots and image reading.

Between pipeline steps data is 2-D ``(n_samples, n_pixels)``; users may also pass image stacks
``(n, h, w)`` or ``(n, h, w, 1)``. These helpers turn stacks into rows, decide which image shape
flat rows have, and name the problem when the input cannot be greyscale images.
"""

import math
import warnings

import numpy as np
import scipy.sparse as sp


def reject_sparse(X, estimator_name):
    if sp.issparse(X):
        raise TypeError(
            f"{estimator_name} does not support sparse input (got {type(X).__name__}). "
            "Images are dense: convert with X.toarray()."
        )


def flatten_images(X, estimator_name):
    """Return ``(X_2d, image_shape)``; ``image_shape`` is ``(h, w)`` for stacks, else None.

    2-D input (arrays, lists, DataFrames) is returned unchanged, so that scikit-learn's
    validation still sees DataFrame column names and produces its usual messages.
    """
    reject_sparse(X, estimator_name)
    if hasattr(X, "columns"):  # DataFrame: keep it for feature_names_in_
        return X, None
    # Only arrays and nested lists can be stacks; anything else is left to check_array.
    ndim = X.ndim if hasattr(X, "ndim") else np.ndim(X) if isinstance(X, (list, tuple)) else 2
    if ndim not in (3, 4):
        return X, None
    X = np.asarray(X)
    if ndim == 4:
        if X.shape[-1] != 1:
            raise ValueError(
                f"{estimator_name} expects greyscale images, got {X.shape[-1]} channels in X of "
                f"shape {X.shape}. Convert colour images to grey first, e.g. X.mean(axis=-1)."
            )
        X = X[..., 0]
    n_samples, height, width = X.shape
    return X.reshape(n_samples, height * width), (height, width)


def square_side(n_features):
    """The side of a square image with ``n_features`` pixels, or None if there is none."""
    side = math.isqrt(n_features)
    return side if side * side == n_features else None


def resolve_image_shape(n_features, image_shape, stacked_shape, estimator_name):
    """``(height, width)`` of images given as rows of ``n_features`` pixels.

    ``image_shape`` is the estimator's parameter (None: infer), ``stacked_shape`` the shape of
    3-d/4-d input (None for flat rows). Flat rows without a stated shape are square images when
    their length is a square number; otherwise they are one-pixel-high strips, with a warning
    that names the parameter, since nothing in flat rows says how high an image is.
    """
    if image_shape is not None:
        if len(image_shape) != 2 or not all(
                isinstance(side, (int, np.integer)) and side > 0 for side in image_shape):
            raise ValueError(f"image_shape must be (height, width) with positive integers, "
                             f"got {image_shape!r}.")
        height, width = image_shape
        if (stacked_shape is not None and tuple(stacked_shape) != (height, width)) or \
                height * width != n_features:
            got = (f"{describe_shape(stacked_shape)} images" if stacked_shape is not None
                   else f"rows of {n_features} pixels")
            raise ValueError(
                f"{estimator_name}(image_shape={tuple(image_shape)}) expects "
                f"{describe_shape(image_shape)} images, but X has {got}. Set image_shape to "
                "the images' (height, width), or None to infer it."
            )
        return (int(height), int(width))
    if stacked_shape is not None:
        return tuple(stacked_shape)
    side = square_side(n_features)
    if side is not None:
        return (side, side)
    warnings.warn(
        f"{estimator_name}: rows of {n_features} pixels are not square images, so they are "
        f"treated as 1x{n_features} strips. If they are images, pass "
        f"image_shape=(height, width) to {estimator_name} (or pass X as (n, height, width)).",
        UserWarning,
        stacklevel=4,
    )
    return (1, n_features)


def images_from_rows(X):
    """``(n, h, w)`` images from flat rows of square images or from stacks, for display."""
    X = np.asarray(X)
    if X.ndim == 4 and X.shape[-1] == 1:
        X = X[..., 0]
    if X.ndim == 2:
        side = square_side(X.shape[1])
        if side is None:
            raise ValueError(f"Cannot show rows of {X.shape[1]} pixels as square images.")
        X = X.reshape(len(X), side, side)
    if X.ndim != 3:
        raise ValueError(
            f"Expected images as (n, pixels), (n, h, w) or (n, h, w, 1); got shape {X.shape}.")
    return X


def describe_shape(image_shape):
    height, width = image_shape
    return f"{height}x{width}"
