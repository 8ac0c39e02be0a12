"""Hostile inputs: types that a hostile model file would smuggle in (test_persistence.py), and
image files whose header lies (test_imageio.py, test_cli.py)."""

import os
import struct
import zlib

from sklearn.base import BaseEstimator, TransformerMixin


class RunsACommand:
    """Would run a shell command the moment it is rebuilt from a file."""

    def __init__(self, marker):
        self.marker = marker

    def __setstate__(self, state):
        os.system(f"touch {state['marker']}")
        self.__dict__.update(state)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class CustomStep(TransformerMixin, BaseEstimator):
    """A harmless but unknown pipeline step."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def png_header_only(width, height):
    """A PNG file whose header claims ``width`` x ``height`` grey pixels and holds none: what a
    decoder sees first, without the cost of writing that many."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                               0, 0, 0))
            + chunk(b"IEND", b""))
