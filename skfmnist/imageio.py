"""Reading user images (PNG, JPEG, ... or .npy arrays) as Fashion-MNIST-like rows."""

from pathlib import Path

import numpy as np

SIDE = 28


def _read_array(path):
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path} as a NumPy array ({exc})") from None
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 2 and array.shape == (SIDE, SIDE):
        array = array[np.newaxis]
    if array.ndim == 3:
        array = array.reshape(len(array), -1)
    if array.ndim != 2 or array.shape[1] != SIDE * SIDE:
        raise ValueError(f"{path} holds an array of shape {array.shape}; expected 28x28 images "
                         "as (n, 784), (n, 28, 28), (n, 28, 28, 1) or (28, 28)")
    notes = []
    if array.dtype.kind == "f" and array.size and 0 <= array.min() and array.max() <= 1:
        array = array * 255
        notes.append(f"{path}: values in [0, 1] taken as scaled pixels and multiplied by 255")
    return array, notes


def _read_picture(path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            picture.load()
            notes = []
            if picture.mode not in ("L", "I;16", "I", "F"):
                notes.append(f"{path}: converted from {picture.mode} colour to greyscale")
            grey = picture.convert("L")
            if grey.size != (SIDE, SIDE):
                notes.append(f"{path}: resized from {grey.size[0]}x{grey.size[1]} to 28x28")
                grey = grey.resize((SIDE, SIDE), Image.LANCZOS)
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"cannot read {path} as an image ({exc})") from None
    pixels = np.asarray(grey, dtype=np.uint8)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    if border.mean() > 127:  # dark clothes on a light background: the opposite of the dataset
        pixels = 255 - pixels
        notes.append(f"{path}: inverted (Fashion-MNIST shows light clothes on black)")
    return pixels.reshape(1, -1), notes


def read_images(paths):
    """Read image files and ``.npy`` arrays into ``(n, 784)`` raw pixels, plus notes on changes.

    Pictures of any size and colour are converted to 28x28 greyscale and, when their background
    is light, inverted to the dataset's light-on-black look; each change is described in a note.
    Unreadable files raise a ValueError naming the file.
    """
    rows, notes = [], []
    for path in map(Path, paths):
        if not path.is_file():
            raise ValueError(f"no such file: {path}")
        array, file_notes = _read_array(path) if path.suffix == ".npy" else _read_picture(path)
        rows.append(array)
        notes.extend(file_notes)
    return np.concatenate(rows), notes
