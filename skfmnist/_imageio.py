"""Reading user images (PNG, JPEG, ... or .npy arrays) as Fashion-MNIST-like rows."""

from pathlib import Path

import numpy as np

from ._images import flatten_images

SIDE = 28
_PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def _read_array(path):
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"cannot read {path} as a NumPy array ({exc})") from None
    if array.shape == (SIDE, SIDE):
        array = array[np.newaxis]
    if array.ndim in (3, 4):
        array, _ = flatten_images(array, str(path))
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
    except Image.DecompressionBombError as exc:
        raise ValueError(f"{path} is refused as too large to decode safely ({exc})") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"cannot read {path} as an image ({exc})") from None
    pixels = np.asarray(grey, dtype=np.uint8)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    if border.mean() > 127:  # dark clothes on a light background: the opposite of the dataset
        pixels = 255 - pixels
        notes.append(f"{path}: inverted (Fashion-MNIST shows light clothes on black)")
    return pixels.reshape(1, -1), notes


def _files(paths):
    """The files named, with each folder replaced by its pictures and arrays, sorted."""
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.iterdir()
                            if p.is_file() and p.suffix.lower() in _PICTURE_SUFFIXES | {".npy"})
            if not inside:
                raise ValueError(f"{path} is a folder without images (.png, .jpg, ...) or .npy "
                                 "files")
            yield from inside
        elif path.is_file():
            yield path
        else:
            raise ValueError(f"no such file or folder: {path}")


def read_images(paths):
    """Read image files, ``.npy`` arrays and folders of them into ``(n, 784)`` raw pixels.

    Returns ``(images, names, notes)``: one name per image (the file, or ``file.npy[i]`` for
    the rows of an array) and notes on each change made. Pictures of any size and colour are
    converted to 28x28 greyscale and, when their background is light, inverted to the
    dataset's light-on-black look. Unreadable files raise a ValueError naming the file.
    """
    rows, names, notes = [], [], []
    for path in _files(paths):
        array, file_notes = _read_array(path) if path.suffix == ".npy" else _read_picture(path)
        rows.append(array)
        names.extend([str(path)] if path.suffix != ".npy" else
                     [f"{path}[{index}]" for index in range(len(array))])
        notes.extend(file_notes)
    return np.concatenate(rows), names, notes
