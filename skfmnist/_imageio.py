"""Reading user images (PNG, JPEG, ... or .npy arrays) as Fashion-MNIST-like rows."""

import warnings
from pathlib import Path

import numpy as np

from ._images import flatten_images
from ._photo import SIDE, dataset_form

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
    return _unscaled(array, path) if array.dtype.kind == "f" else (array, [])


def _unscaled(levels, path):
    """Float levels with values in [0, 1] taken as pixels scaled by 1/255, multiplied back."""
    if levels.size and 0 <= levels.min() and levels.max() <= 1:
        return levels * 255, [f"{path}: values in [0, 1] taken as scaled pixels and multiplied "
                              "by 255"]
    return levels, []


def _read_picture(path):
    from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

    with warnings.catch_warnings(record=True) as caught:
        # A header claiming more pixels than PIL decodes without a warning is refused, not
        # shown as PIL's warning and its source line; any other warning becomes a note.
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as picture:
                picture.load()
                notes = []
                if picture.getexif().get(ExifTags.Base.Orientation, 1) != 1:  # phone photos
                    ImageOps.exif_transpose(picture, in_place=True)
                    notes.append(f"{path}: turned upright as its EXIF orientation says")
                grey, level_notes = _grey_levels(picture, path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValueError(
                f"{path} is refused as too large to decode safely: its header claims more than "
                f"{Image.MAX_IMAGE_PIXELS:,} pixels. Shrink the picture (a garment needs a few "
                "hundred pixels a side) or check that the file is not damaged") from None
        except (UnidentifiedImageError, OSError, SyntaxError, EOFError) as exc:
            raise ValueError(f"cannot read {path} as an image ({exc})") from None
    notes += [f"{path}: {warning.message}" for warning in caught]
    pixels, form_notes = dataset_form(grey, str(path))
    return pixels.reshape(1, -1), notes + level_notes + form_notes


def _grey_levels(picture, path):
    """The picture's grey levels as floats in [0, 255], and notes on how they were obtained."""
    if picture.mode.startswith("I"):  # 16-bit PNGs and TIFFs, integer TIFFs
        levels = np.asarray(picture, dtype=np.float64)
        if levels.size and (levels.min() < 0 or levels.max() > 65535):
            raise ValueError(f"{path} holds integer levels from {levels.min():.0f} to "
                             f"{levels.max():.0f}; expected 16-bit levels (0 to 65535): save it "
                             "as an 8- or 16-bit image")
        return levels / 257, [f"{path}: 16-bit levels scaled to 0-255"]
    if picture.mode == "F":  # float TIFFs
        levels = np.asarray(picture, dtype=np.float64)
        if not np.isfinite(levels).all() or levels.min() < 0 or levels.max() > 255:
            raise ValueError(f"{path} holds float levels outside [0, 255] (from "
                             f"{np.nanmin(levels):g} to {np.nanmax(levels):g}); expected grey "
                             "levels in [0, 1] or [0, 255]: rescale it to one of those")
        return _unscaled(levels, path)
    notes = [] if picture.mode == "L" else [
        f"{path}: converted from {picture.mode} colour to greyscale"]
    return np.asarray(picture.convert("L"), dtype=np.float64), notes


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
    """Read photos, pictures and ``.npy`` arrays as Fashion-MNIST-like ``(n, 784)`` raw pixels.

    What ``skfmnist predict`` reads. A picture of one garment (PNG, JPEG, TIFF, ...; colour,
    8- or 16-bit, or float) is turned into a 28x28 image the way the dataset was made: the
    garment is found against its plain background, light or dark (measured on the picture's
    edges, so noise and JPEG artefacts do not count as garment), cropped to, resized so that
    its longest edge is 28 pixels (keeping the aspect ratio) and centred on a black canvas,
    with the background made black and light backgrounds inverted, since the dataset shows
    light clothes on black. 28x28 pictures are taken as already in dataset form, and
    ``.npy`` arrays of 28x28 images as they are. A picture without one findable garment
    (uniform, or several objects) is used whole, with a note that says so.

    Parameters
    ----------
    paths : list of str or path-like
        Files and folders; a folder stands for its pictures and ``.npy`` files, sorted by
        name. Suffixes are matched in any case (``.PNG``, ``.NPY``).

    Returns
    -------
    images : ndarray of shape (n, 784)
        Raw grey levels 0-255, one row per picture and per image of each array, ready for a
        fitted pipeline's ``predict``.
    names : list of str
        One name per row: the file, or ``file.npy[i]`` for the rows of an array.
    notes : list of str
        Every conversion made, one sentence each, starting with the file's name.

    Raises
    ------
    ValueError
        Naming the file, for a file that cannot be read as a picture or an array, a picture
        too large to decode safely, or levels outside what its format allows.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skfmnist import read_images
    >>> photo = np.full((300, 400), 240, dtype=np.uint8)  # a light background
    >>> photo[100:220, 150:210] = 40  # a dark, trouser-shaped garment, off-centre
    >>> path = os.path.join(tempfile.mkdtemp(), "photo.png")
    >>> Image.fromarray(photo).save(path)
    >>> images, names, notes = read_images([path])
    >>> images.shape
    (1, 784)
    >>> for note in notes:  # doctest: +NORMALIZE_WHITESPACE
    ...     print(note.replace(path, "photo.png"))
    photo.png: garment found at x 150-210, y 100-220 of the 400x300 picture,
        against a light background (grey level 240)
    photo.png: cropped to 60x120, resized to 14x28 (longest edge 28, aspect ratio kept)
        and centred on a black 28x28 canvas
    photo.png: inverted (Fashion-MNIST shows light clothes on black)
    photo.png: the background level 240 made black
    """
    rows, names, notes = [], [], []
    for path in _files(paths):
        is_array = path.suffix.lower() == ".npy"
        array, file_notes = _read_array(path) if is_array else _read_picture(path)
        rows.append(array)
        names.extend([f"{path}[{index}]" for index in range(len(array))] if is_array else
                     [str(path)])
        notes.extend(file_notes)
    return np.concatenate(rows), names, notes
