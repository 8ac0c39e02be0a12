"""A photo of one garment turned into a Fashion-MNIST image, the way Zalando made the dataset.

Zalando's steps (Xiao, Rasul and Vollgraf 2017, section 2): trim the background around the
product, resize the longest edge to 28 pixels, sharpen, extend the shorter edge to 28 with the
product in the centre, negate. Their photos had a pure white background; a user's photo has some
level of grey, light or dark, with noise and JPEG artefacts. So the background is measured on the
picture's edges, the garment is what differs from it by more than the noise there, and the grey
levels are mapped so that the background becomes black and the garment's extreme white.
Sharpening is left out: the network sees the dataset's images, and a photo resized from
hundreds of pixels is already as sharp as they are.
"""

import math
from typing import NamedTuple

import numpy as np
from scipy import ndimage

SIDE = 28
# The edge band whose median is the background level, as a fraction of the shorter side.
_EDGE_BAND = 0.02
# Detection runs on a copy at most this many pixels a side: enough to place a crop to a
# fraction of one output pixel, and it keeps phone photos fast.
_DETECTION_SIDE = 800
# Smoothing before thresholding, in detection pixels: averages out sensor noise and the
# 8x8 blocks of JPEG compression, which are the size of a few pixels.
_SMOOTHING_SIGMA = 1.5
# A pixel belongs to the garment when it differs from the background, towards the garment's
# side, by more than this many times the edge's noise, and by at least _MIN_CONTRAST levels.
_NOISE_MARGIN = 6.0
_MIN_CONTRAST = 16.0
# Garment parts closer than this fraction of the shorter side are one object (a sandal's
# straps, a pair of trousers' legs).
_MERGE_DISTANCE = 0.04
# A second object at least this large (in pixels, relative to the largest) makes the picture
# ambiguous; smaller ones (a label, dust) are ignored.
_SECOND_OBJECT = 0.25
# Fewer garment pixels than this fraction of the picture: no garment against the background.
_MIN_AREA = 0.001
# Edges noisier than this (the spread of grey levels after smoothing): not a plain background.
_MAX_EDGE_NOISE = 10.0
# More of the edges than this fraction differing from the background: the edges are not a
# background but objects filling the frame.
_MAX_BUSY_EDGE = 0.5
_INVERTED = "inverted (Fashion-MNIST shows light clothes on black)"


def dataset_form(grey, name):
    """``(image, notes)``: a 28x28 uint8 Fashion-MNIST-like image of the garment in ``grey``.

    ``grey`` is a 2-D array of grey levels in [0, 255] of a picture of one garment against a
    plain background, light or dark. The garment is found, cropped to, resized so that its
    longest edge is 28 pixels (keeping the aspect ratio) and centred on a black 28x28 canvas,
    with the background level mapped to black (inverting light backgrounds). 28x28 pictures
    are taken as already cropped and are only inverted when their background is light.
    ``notes`` name each step, prefixed with ``name``.
    """
    grey = np.asarray(grey, dtype=np.float64)
    if grey.shape == (SIDE, SIDE):
        return _dataset_sized(grey, name)
    found = find_garment(grey)
    top, bottom, left, right = found.box
    # Without a background to measure, the whole picture is the garment: only inverted.
    black = found.level if found.problem is None else 255.0 if found.light else 0.0
    crop = _to_black(grey[top:bottom, left:right], black, found.light)
    image, size = _centred(crop)
    return image, [
        _found_note(name, grey.shape, found),
        f"{name}: cropped to {right - left}x{bottom - top}, resized to {size[1]}x{size[0]} "
        "(longest edge 28, aspect ratio kept) and centred on a black 28x28 canvas",
        *([f"{name}: {_INVERTED}"] if found.light else []),
        *([f"{name}: the background level {black:.0f} made black"] if black not in (0, 255)
          else []),
    ]


def _dataset_sized(grey, name):
    pixels = np.clip(np.round(grey), 0, 255).astype(np.uint8)
    if _edges(pixels).mean() > 127:  # dark clothes on a light background: the opposite
        return 255 - pixels, [f"{name}: {_INVERTED}"]
    return pixels, []


class Garment(NamedTuple):
    """Where the garment is and what it stands against.

    ``box`` is ``(top, bottom, left, right)``; ``level`` the background's grey level and
    ``light`` whether it is above mid-grey. ``problem`` is None when one garment stands out
    from a plain background; otherwise it says why none was found, and ``box`` is the whole
    picture.
    """

    box: tuple
    level: float
    light: bool
    problem: str | None


def find_garment(grey):
    """Where the garment in ``grey`` (a 2-D array of grey levels) is, as a ``Garment``."""
    height, width = grey.shape
    factor = math.ceil(max(height, width) / _DETECTION_SIDE)
    small = _block_mean(grey, factor)
    smooth = ndimage.gaussian_filter(small, _SMOOTHING_SIGMA, mode="nearest")
    edge = _edges(smooth)
    level = float(np.median(edge))
    light = level > 127
    noise = 1.4826 * np.median(np.abs(edge - level))  # the edges' spread, robust to a garment
    threshold = max(_MIN_CONTRAST, _NOISE_MARGIN * noise)
    mask = ndimage.binary_opening(_contrast(smooth, level, light) > threshold)
    problem = _background_problem(smooth, edge, mask, level, noise, threshold)
    garment, problem = (None, problem) if problem else _one_object(mask)
    if problem:
        return Garment((0, height, 0, width), level, light, problem)
    # Smoothing spreads a sharp edge by a pixel or two; the box is drawn around the pixels
    # that stand out before smoothing too, in 2x2 groups (single ones are noise).
    sharp = garment & ndimage.binary_opening(_contrast(small, level, light) > threshold,
                                             np.ones((2, 2)))
    rows, columns = np.nonzero(sharp if sharp.any() else garment)
    return Garment((rows.min() * factor, min(height, (rows.max() + 1) * factor),
                    columns.min() * factor, min(width, (columns.max() + 1) * factor)),
                   level, light, None)


def _contrast(grey, level, light):
    """How far each pixel stands out from the background towards the garment's side."""
    return (level - grey) if light else (grey - level)


def _background_problem(smooth, edge, mask, level, noise, threshold):
    """Why the picture shows no garment against a plain background, or None."""
    busy = ("its edges are not a plain background (the garment fills the picture, or "
            "several objects do)")
    if noise > _MAX_EDGE_NOISE:
        return busy
    if np.mean(np.abs(smooth - level) > threshold) < _MIN_AREA:  # nothing stands out either way
        return f"the picture is uniform (grey level {level:.0f}, noise {noise:.1f})"
    if np.mean(np.abs(edge - level) > threshold) > _MAX_BUSY_EDGE or \
            mask.mean() < _MIN_AREA:
        return busy
    return None


def _one_object(mask):
    """``(garment, problem)``: the mask of the largest object, or why there is not one."""
    objects, count = _objects(mask)
    sizes = ndimage.sum_labels(mask, objects, index=np.arange(1, count + 1))
    largest = int(np.argmax(sizes))
    similar = int(np.sum(sizes >= _SECOND_OBJECT * sizes[largest]))
    if similar > 1:
        return None, f"it holds {similar} separate objects of similar size"
    return mask & (objects == largest + 1), None


def _objects(mask):
    """Labels of the mask's objects, parts closer than the merge distance joined."""
    reach = max(1, round(_MERGE_DISTANCE * min(mask.shape)))
    return ndimage.label(ndimage.maximum_filter(mask, size=2 * reach + 1))


def _block_mean(grey, factor):
    if factor == 1:
        return grey
    height, width = (side // factor * factor for side in grey.shape)
    blocks = grey[:height, :width].reshape(height // factor, factor, width // factor, factor)
    return blocks.mean(axis=(1, 3))


def _edges(pixels):
    band = max(1, round(_EDGE_BAND * min(pixels.shape)))
    return np.concatenate([pixels[:band].ravel(), pixels[-band:].ravel(),
                           pixels[band:-band, :band].ravel(), pixels[band:-band, -band:].ravel()])


def _to_black(grey, level, light):
    """Grey levels mapped linearly so that ``level`` is 0 and the garment's extreme 255."""
    if light:
        return np.clip((level - grey) * 255 / max(level, 1), 0, 255)
    return np.clip((grey - level) * 255 / max(255 - level, 1), 0, 255)


def _centred(crop):
    """The crop resized to a longest edge of 28, centred on a black 28x28 canvas; and its size."""
    from PIL import Image

    height, width = crop.shape
    scale = SIDE / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    resized = Image.fromarray(crop.astype(np.float32)).resize(
        (size[1], size[0]), Image.LANCZOS)
    canvas = np.zeros((SIDE, SIDE))
    # An odd margin puts the extra pixel before the garment, as in the dataset (a 7-pixel-high
    # sandal starts at row 11 of 28).
    top, left = (SIDE - size[0] + 1) // 2, (SIDE - size[1] + 1) // 2
    canvas[top:top + size[0], left:left + size[1]] = np.asarray(resized)
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8), size


def _found_note(name, shape, found):
    height, width = shape
    if found.problem is not None:
        return (f"{name}: no garment found against a plain background: {found.problem}; the "
                f"whole {width}x{height} picture is used, so its prediction is a guess unless "
                "one garment fills the picture. Crop the picture to one garment on a plain "
                "background")
    top, bottom, left, right = found.box
    return (f"{name}: garment found at x {left}-{right}, y {top}-{bottom} of the "
            f"{width}x{height} picture, against a {'light' if found.light else 'dark'} "
            f"background (grey level {found.level:.0f})")
