"""Fashion-MNIST loader, shaped like scikit-learn's ``fetch_*`` functions.

The four canonical IDX files are looked for in ``<data_home>/fashion-mnist/``, Keras's cache and
Debian's ``dataset-fashion-mnist`` package, in that order; if none has them they are downloaded.
Every file is checked by the SHA-256 of its *decompressed* content (so the official files and
Debian's re-compressed copies both pass) and its IDX header is parsed strictly. The verified arrays
are cached as ``.npy`` files in ``data_home`` so that later calls take milliseconds.
"""

import hashlib
import http.client
import os
import sys
import urllib.request
import warnings
import zlib
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._fileutils import atomic_write

__all__ = ["CLASS_NAMES", "DatasetError", "fetch_fashion_mnist", "find_fashion_mnist"]

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: SHA-256 of the decompressed content, the same for the official and Debian's files.
CHECKSUMS = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
#: Bytes of the decompressed content (the IDX header, then one byte per pixel or label). A gzip
#: stream is refused the moment it inflates past this, so a gzip bomb costs no memory.
CONTENT_SIZES = {
    "train-images-idx3-ubyte.gz": 47_040_016,
    "train-labels-idx1-ubyte.gz": 60_008,
    "t10k-images-idx3-ubyte.gz": 7_840_016,
    "t10k-labels-idx1-ubyte.gz": 10_008,
}
_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}
SUBSET_SPLITS = {"train": ("train",), "test": ("test",), "all": ("train", "test")}

#: Official download locations, tried in order.
MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
)
KERAS_CACHE_DIR = Path("~/.keras/datasets/fashion-mnist")
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
_FOLDER = "fashion-mnist"
_IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}

DESCR = """\
Fashion-MNIST (Zalando Research, MIT licence)
=============================================

70,000 greyscale 28x28 images of clothing in 10 classes (60,000 train, 10,000 test,
7,000 per class). Pixels are 0 (background) to 255. Labels, in order: T-shirt/top,
Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.

Han Xiao, Kashif Rasul, Roland Vollgraf. "Fashion-MNIST: a Novel Image Dataset for
Benchmarking Machine Learning Algorithms". arXiv:1708.07747, 2017.
"""


def label_names(labels, class_names=None):
    """Display names: integer labels 0-9 become class names, anything else its own string."""
    names = CLASS_NAMES if class_names is None else class_names
    return [names[int(label)] if isinstance(label, (int, np.integer)) and 0 <= label < len(names)
            else str(label) for label in labels]


class DatasetError(OSError):
    """The Fashion-MNIST files are missing, corrupt or not Fashion-MNIST."""


def _default_data_home(data_home):
    """scikit-learn's data_home rule, without its ``makedirs``: a data_home that is a file or on
    a read-only disk must not stop the search of the other places (creating it is left to the
    writes that need it)."""
    if data_home is None:
        data_home = os.environ.get("SCIKIT_LEARN_DATA", os.path.join("~", "scikit_learn_data"))
    return Path(data_home).expanduser()


def candidate_dirs(data_home=None):
    """Folders searched for the IDX files, in order."""
    return [
        _default_data_home(data_home) / _FOLDER,
        KERAS_CACHE_DIR.expanduser(),
        DEBIAN_DIR,
    ]


def _files_for(subset):
    return [name for split in SUBSET_SPLITS[subset] for name in _SPLIT_FILES[split][:2]]


def find_fashion_mnist(data_home=None, subset="all"):
    """Return the first folder that holds all IDX files of ``subset``, or None."""
    for folder in candidate_dirs(data_home):
        if all((folder / name).is_file() for name in _files_for(subset)):
            return folder
    return None


_CHUNK = 1 << 16
_GZIP = 16 + zlib.MAX_WBITS  # zlib's code for gzip framing
_LOCAL_REMEDY = "delete it and call fetch_fashion_mnist() again to fetch a fresh copy"
_MIRROR_REMEDY = "nothing was kept from this mirror"


class _VerifiedInflater:
    """Inflates the gzip stream of one release file as its pieces arrive, hashing the content,
    and refuses it as soon as it grows past the file's known size: memory and time stay bounded
    whatever the stream holds. ``keep`` keeps the content (to parse it) instead of only checking.
    """

    def __init__(self, name, source, remedy, keep):
        self.name, self.source, self.remedy = name, source, remedy
        self._inflater = zlib.decompressobj(_GZIP)
        self._digest = hashlib.sha256()
        self._size = 0
        self._content = bytearray() if keep else None

    def feed(self, data):
        while True:
            try:
                piece = self._inflater.decompress(data, _CHUNK)
            except zlib.error as exc:
                raise self.unreadable(exc) from None
            self._take(piece)
            data = self._inflater.unconsumed_tail
            if self._inflater.eof and self._inflater.unused_data:  # gzip allows several members
                data = self._inflater.unused_data
                self._inflater = zlib.decompressobj(_GZIP)
            elif not data and len(piece) < _CHUNK:  # a full piece may leave output pending
                return

    def _take(self, piece):
        self._size += len(piece)
        if self._size > CONTENT_SIZES[self.name]:
            raise DatasetError(
                f"{self.source} inflates to more than the {CONTENT_SIZES[self.name]:,} bytes of "
                f"Fashion-MNIST's {self.name} (a gzip bomb, or another dataset); reading stopped "
                f"there: {self.remedy}."
            )
        self._digest.update(piece)
        if self._content is not None:
            self._content += piece

    def unreadable(self, exc):
        return DatasetError(f"{self.source} is not a readable gzip file ({exc}). It is truncated "
                            f"or corrupt: {self.remedy}.")

    def finish(self):
        """The content (None unless kept), once the stream has ended and its SHA-256 is the
        release's."""
        if not self._inflater.eof:
            raise self.unreadable("the stream ends early")
        digest = self._digest.hexdigest()
        if digest != CHECKSUMS[self.name]:
            raise DatasetError(
                f"{self.source} does not have the content of the Fashion-MNIST release (SHA-256 "
                f"of the decompressed data is {digest[:16]}..., expected "
                f"{CHECKSUMS[self.name][:16]}...). It is corrupt or another dataset (e.g. MNIST "
                f"digits): {self.remedy}."
            )
        return self._content


def _parse_idx(raw, path, kind, n_expected):
    """Parse one IDX file strictly; ``kind`` is 'images' or 'labels'."""
    ndim = 3 if kind == "images" else 1
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DatasetError(f"{path} is too short to be an IDX file ({len(raw)} bytes).")
    magic = int.from_bytes(raw[:4], "big")
    if magic != _IDX_MAGIC[kind]:
        raise DatasetError(
            f"{path} has IDX magic {magic:#010x}, expected {_IDX_MAGIC[kind]:#010x} "
            f"for unsigned-byte {kind}: it is not a Fashion-MNIST {kind} file."
        )
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected_dims = (n_expected, 28, 28)[:ndim]
    if dims != expected_dims:
        raise DatasetError(f"{path} has dimensions {dims}, expected {expected_dims}.")
    payload = np.frombuffer(raw, dtype=np.uint8, offset=header_size)
    if payload.size != int(np.prod(dims)):
        raise DatasetError(
            f"{path} holds {payload.size} data bytes, its header promises {int(np.prod(dims))}."
        )
    return payload.reshape(dims)


def _load_verified(path, kind, n_expected):
    inflater = _VerifiedInflater(path.name, path, _LOCAL_REMEDY, keep=True)
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                inflater.feed(chunk)
    except DatasetError:
        raise
    except OSError as exc:
        raise inflater.unreadable(exc.strerror or exc) from None
    return _parse_idx(inflater.finish(), path, kind, n_expected)


def _cache_path(data_home, name):
    return _default_data_home(data_home) / _FOLDER / f"{name[:-3]}.{CHECKSUMS[name][:12]}.npy"


def _read_cached(cache, name, n_expected, kind):
    """The cached array if it is exactly the verified release content, else None.

    The cache is checked like the IDX files: the SHA-256 of its IDX header and bytes must be
    the release's, so a damaged or edited cache is never returned as data; it is rebuilt
    from the verified files, with a warning.
    """
    shape = (n_expected, 28, 28) if kind == "images" else (n_expected,)
    array = _load_npy(cache, shape)
    if array is not None and _idx_digest(array, kind) == CHECKSUMS[name]:
        return array
    warnings.warn(
        f"The cached array {cache} does not match the verified Fashion-MNIST content (damaged "
        "or edited); it is rebuilt from the checked IDX files.",
        RuntimeWarning,
        stacklevel=4,
    )
    return None


def _load_npy(cache, shape):
    """The uint8 array of ``shape`` in ``cache``, or None if the file holds anything else.

    The file is memory-mapped first, so that only its header is read until the shape is known
    to be the expected one: a header that claims a terabyte costs nothing.
    """
    try:
        mapped = np.load(cache, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if mapped.dtype != np.uint8 or mapped.shape != shape:
        return None
    return np.array(mapped)


def _idx_digest(array, kind):
    """SHA-256 of ``array`` written as an IDX file: the digest the release's content has."""
    header = _IDX_MAGIC[kind].to_bytes(4, "big") + b"".join(
        int(size).to_bytes(4, "big") for size in array.shape)
    digest = hashlib.sha256(header)
    digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def _read_split_cache(data_home, split):
    """The verified arrays of ``split`` from the ``.npy`` cache, or None."""
    image_name, label_name, n_samples = _SPLIT_FILES[split]
    arrays = []
    for name, kind in ((image_name, "images"), (label_name, "labels")):
        cache = _cache_path(data_home, name)
        array = _read_cached(cache, name, n_samples, kind) if cache.is_file() else None
        if array is None:
            return None
        arrays.append(array)
    return arrays


def _load_split(data_home, folder, split):
    """Verify and parse the IDX files of ``split`` in ``folder``, then cache the arrays."""
    image_name, label_name, n_samples = _SPLIT_FILES[split]
    arrays = []
    for name, kind in ((image_name, "images"), (label_name, "labels")):
        array = _load_verified(folder / name, kind, n_samples)
        try:
            atomic_write(_cache_path(data_home, name),
                          lambda stream, a=array: np.save(stream, a, allow_pickle=False))
        except OSError:
            pass  # a read-only data_home only costs speed
        arrays.append(array)
    return arrays


def _progress(done, total, name, stream):
    width = 30
    filled = int(width * done / total) if total else 0
    percent = 100 * done / total if total else 0
    stream.write(f"\r{name}: [{'#' * filled}{'.' * (width - filled)}] {percent:5.1f}% "
                 f"{done / 1e6:.1f}/{total / 1e6:.1f} MB")
    stream.flush()


def _max_download_size(name):
    """The most bytes a gzip of ``name`` can take: its content stored uncompressed, plus
    deflate's 5 bytes per 64 KiB block and the gzip header and trailer."""
    return CONTENT_SIZES[name] + CONTENT_SIZES[name] // 1000 + 4096


def _download_file(url, target, stream=None, timeout=30):
    """Download ``url`` to ``target`` atomically, printing progress to ``stream`` (stderr).

    The mirrors are not trusted (the first is plain HTTP): the gzip is inflated and hashed while
    it streams, so that a bomb, an endless or an altered response is refused part-way, with
    bounded memory and disk, and never lands under the final name.
    """
    stream = stream or sys.stderr
    limit = _max_download_size(target.name)
    inflater = _VerifiedInflater(target.name, url, _MIRROR_REMEDY, keep=False)

    def write(out):
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            try:
                while chunk := response.read(_CHUNK):
                    done += len(chunk)
                    if max(done, total) > limit:
                        raise DatasetError(
                            f"{url} sends more than {limit:,} bytes, more than any gzip of "
                            f"{target.name} takes: {_MIRROR_REMEDY}.")
                    inflater.feed(chunk)
                    out.write(chunk)
                    _progress(done, total, target.name, stream)
            finally:
                stream.write("\n")
        inflater.finish()

    atomic_write(target, write)


def _download_split(folder, split):
    """Download and verify each missing file of ``split``, trying each mirror in turn."""
    for name in _SPLIT_FILES[split][:2]:
        target = folder / name
        if target.is_file():
            continue
        errors = []
        for mirror in MIRRORS:
            try:
                _download_file(mirror + name, target)
                break
            except (OSError, http.client.HTTPException) as exc:  # URLError is an OSError
                errors.append(f"{mirror}: {exc}")
        else:
            raise DatasetError(f"Could not download {name}:\n  " + "\n  ".join(errors))


def _not_found_message(data_home, subset):
    searched = "\n".join(f"  - {folder}" for folder in candidate_dirs(data_home))
    return (
        f"Fashion-MNIST ({subset}) was not found. Searched:\n{searched}\n"
        "Ways to get it:\n"
        "  - call fetch_fashion_mnist(download_if_missing=True) on a machine with internet;\n"
        "  - on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist;\n"
        f"  - copy the four *-ubyte.gz files into {candidate_dirs(data_home)[0]}."
    )


def fetch_fashion_mnist(subset="train", *, data_home=None, download_if_missing=True,
                        return_X_y=False):
    """Load the Fashion-MNIST dataset (classification, 10 classes).

    =================   ==============
    Classes                         10
    Samples total               70,000
    Dimensionality       784 (28 x 28)
    Features            integers 0-255
    =================   ==============

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        The 60,000 training images, the 10,000 test images, or both (train first).
    data_home : str or path-like, default=None
        Where to cache and download the data; defaults to scikit-learn's
        :func:`~sklearn.datasets.get_data_home` (``~/scikit_learn_data`` or
        ``$SCIKIT_LEARN_DATA``). Files are kept in ``<data_home>/fashion-mnist/``, created
        only when something is written there: a data_home that is a file or read-only still
        finds the other copies, without the cache.
    download_if_missing : bool, default=True
        If no copy is found, download the official files into ``data_home``. If False, raise
        :class:`DatasetError` instead.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data`` (n, 784) uint8, ``images`` (n, 28, 28) uint8, ``target`` (n,) int64 labels
        0-9, ``target_names`` (the class names, :data:`CLASS_NAMES`), ``feature_names`` and
        ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    DatasetError
        If the files are missing (and cannot be downloaded), truncated, corrupt or not
        Fashion-MNIST. The message names the file and what to do.

    Examples
    --------
    >>> from skfmnist import fetch_fashion_mnist
    >>> X, y = fetch_fashion_mnist(subset="test", return_X_y=True)
    >>> X.shape, X.dtype, y[:5]
    ((10000, 784), dtype('uint8'), array([9, 2, 1, 1, 6]))
    """
    if subset not in SUBSET_SPLITS:
        raise ValueError(f"subset must be one of {sorted(SUBSET_SPLITS)}, got {subset!r}.")
    images, labels = [], []
    for split in SUBSET_SPLITS[subset]:
        arrays = _read_split_cache(data_home, split)
        if arrays is None:
            arrays = _load_split(data_home, _locate(data_home, split, download_if_missing), split)
        images.append(arrays[0])
        labels.append(arrays[1])
    images = np.concatenate(images) if len(images) > 1 else images[0]
    target = (np.concatenate(labels) if len(labels) > 1 else labels[0]).astype(np.int64)
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=images,
        target=target,
        target_names=list(CLASS_NAMES),
        feature_names=[f"pixel_{i}" for i in range(data.shape[1])],
        DESCR=DESCR,
    )


def _locate(data_home, split, download_if_missing):
    folder = find_fashion_mnist(data_home, split)
    if folder is not None:
        return folder
    if not download_if_missing:
        raise DatasetError(_not_found_message(data_home, split))
    folder = _download_folder(data_home, split)
    try:
        _download_split(folder, split)
    except DatasetError as exc:
        raise DatasetError(f"{_not_found_message(data_home, split)}\n\n{exc}") from None
    return folder


def _download_folder(data_home, split):
    """``<data_home>/fashion-mnist``, created; a DatasetError with the fix if it cannot be."""
    folder = candidate_dirs(data_home)[0]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(
            f"{_not_found_message(data_home, split)}\n\nNor can it be downloaded into {folder} "
            f"({exc.strerror or exc}): pass data_home= (or set SCIKIT_LEARN_DATA to) a writable "
            "folder."
        ) from None
    return folder
