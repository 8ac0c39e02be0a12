"""Image-shape handling shared by the preprocessor and the estimators.

Between pipeline steps data is 2-D ``(n_samples, n_pixels)``; users may also pass image stacks
``(n, h, w)`` or ``(n, h, w, 1)``. These helpers turn stacks into rows and name the problem when the
input cannot be greyscale images.
"""

import math

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


def infer_image_shape(n_features, estimator_name, require_square=True):
    """``(side, side)`` for a square pixel count; a one-row strip, or an error, otherwise."""
    side = square_side(n_features)
    if side is not None:
        return (side, side)
    if require_square:
        raise ValueError(
            f"{estimator_name} expects square images, but X has {n_features} features per row, "
            f"which is not a square number (28x28 Fashion-MNIST images have 784). Pass images "
            "as (n, height, width) or flatten square images."
        )
    return (1, n_features)


def describe_shape(image_shape):
    height, width = image_shape
    return f"{height}x{width}"
