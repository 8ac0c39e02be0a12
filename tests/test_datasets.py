import gzip
import http.server
import json
import shutil
import threading
import zlib
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from skfmnist import CLASS_NAMES, DatasetError, _datasets as datasets, fetch_fashion_mnist
from skfmnist._datasets import CHECKSUMS, find_fashion_mnist

from ._subprocess import run_python
from ._disks import tmpfs_or_skip

# The official files, byte for byte, beside the project checkout (absent in a user's clone).
OFFICIAL_FILES = Path(__file__).resolve().parents[2] / "shared" / "data" / "fashion-mnist"


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """Point every search location at empty temporary folders; return the data_home."""
    monkeypatch.setattr(datasets, "KERAS_CACHE_DIR", tmp_path / "keras")
    monkeypatch.setattr(datasets, "DEBIAN_DIR", tmp_path / "debian")
    monkeypatch.setattr(datasets, "MIRRORS", ("http://127.0.0.1:9/",))  # nothing listens there
    return tmp_path / "home"


@pytest.fixture(scope="module")
def source_dir():
    folder = find_fashion_mnist()
    assert folder is not None, "run `make data` (or `make test`) to install the dataset"
    return folder


def _copy_files(source, target, names=CHECKSUMS):
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(source / name, target / name)
    return target


def test_train_set_shapes_and_labels(fashion_train):
    X, y = fashion_train
    assert X.shape == (60000, 784) and X.dtype == np.uint8
    assert y.dtype == np.int64
    assert np.bincount(y).tolist() == [6000] * 10
    assert 0 == X.min() and X.max() == 255


def test_bunch_fields_and_subsets(isolated, source_dir):
    _copy_files(source_dir, isolated / "fashion-mnist")
    bunch = fetch_fashion_mnist(subset="test", data_home=isolated)
    assert bunch.data.shape == (10000, 784) and bunch.images.shape == (10000, 28, 28)
    assert np.array_equal(bunch.images.reshape(10000, -1), bunch.data)
    assert bunch.target[:5].tolist() == [9, 2, 1, 1, 6]
    assert bunch.target_names == list(CLASS_NAMES) and len(bunch.feature_names) == 784
    assert "Fashion-MNIST" in bunch.DESCR
    X_all, y_all = fetch_fashion_mnist(subset="all", data_home=isolated, return_X_y=True)
    assert X_all.shape == (70000, 784)
    assert np.array_equal(y_all[60000:], bunch.target)


def test_second_call_is_served_from_the_cache_quickly(isolated, source_dir):
    _copy_files(source_dir, isolated / "fashion-mnist")
    first = fetch_fashion_mnist(subset="all", data_home=isolated, return_X_y=True)
    assert len(list((isolated / "fashion-mnist").glob("*.npy"))) == 4
    for gz in (isolated / "fashion-mnist").glob("*.gz"):
        gz.unlink()  # the second call must not need them
    second = fetch_fashion_mnist(subset="all", data_home=isolated, return_X_y=True)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


def _gzip_bomb(path, n_mebibytes):
    """A gzip of ``n_mebibytes`` MiB of zeros: about 1 KiB per MiB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    with open(path, "wb") as stream:
        for _ in range(n_mebibytes):
            stream.write(compressor.compress(zeros))
        stream.write(compressor.flush())
    return path


@pytest.mark.parametrize("damage", ["roll", "flip_a_bit", "truncate", "claims_a_terabyte"])
def test_damaged_cache_is_never_returned_and_is_rebuilt(isolated, source_dir, damage):
    _copy_files(source_dir, isolated / "fashion-mnist")
    X, y = fetch_fashion_mnist(subset="test", data_home=isolated, return_X_y=True)
    cache = next((isolated / "fashion-mnist").glob("t10k-labels*.npy"))
    if damage == "truncate":
        cache.write_bytes(cache.read_bytes()[:-100])
    elif damage == "claims_a_terabyte":  # used to raise MemoryError from np.load
        with open(cache, "wb") as stream:
            np.lib.format.write_array_header_1_0(
                stream, {"descr": "|u1", "fortran_order": False, "shape": (1 << 40,)})
            stream.write(bytes(100))
    else:
        labels = np.load(cache)
        labels = np.roll(labels, 1) if damage == "roll" else labels ^ (np.arange(10000) == 5)
        np.save(cache, labels.astype(np.uint8))
    with pytest.warns(RuntimeWarning, match="does not match the verified Fashion-MNIST content"):
        X_again, y_again = fetch_fashion_mnist(subset="test", data_home=isolated,
                                               return_X_y=True)
    np.testing.assert_array_equal(y_again, y)
    np.testing.assert_array_equal(np.load(cache), y)  # rebuilt from the verified files


def test_search_order_prefers_data_home_then_keras_then_debian(isolated, source_dir):
    keras_dir = _copy_files(source_dir, datasets.KERAS_CACHE_DIR)
    assert find_fashion_mnist(isolated) == keras_dir
    home_dir = _copy_files(source_dir, isolated / "fashion-mnist")
    assert find_fashion_mnist(isolated) == home_dir


def test_data_home_honours_scikit_learn_data(monkeypatch, tmp_path, source_dir):
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sk"))
    assert datasets.candidate_dirs()[0] == tmp_path / "sk" / "fashion-mnist"


def test_local_gzip_bomb_is_refused_at_the_known_size(isolated):
    folder = isolated / "fashion-mnist"
    folder.mkdir(parents=True)
    _gzip_bomb(folder / "t10k-images-idx3-ubyte.gz", 16)  # twice the real content's size
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte\.gz inflates to more than "
                                           r"the 7,840,016 bytes.*delete it"):
        fetch_fashion_mnist(subset="test", data_home=isolated)


def test_truncated_file_is_refused_with_its_name(isolated, source_dir):
    folder = _copy_files(source_dir, isolated / "fashion-mnist")
    path = folder / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte\.gz.*delete it"):
        fetch_fashion_mnist(subset="test", data_home=isolated)


def test_foreign_file_fails_the_checksum(isolated, source_dir):
    folder = _copy_files(source_dir, isolated / "fashion-mnist")
    labels = np.zeros(10000, dtype=np.uint8)  # a well-formed IDX label file, but not ours
    header = (0x801).to_bytes(4, "big") + (10000).to_bytes(4, "big")
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as stream:
        stream.write(header + labels.tobytes())
    with pytest.raises(DatasetError, match="not have the content of the Fashion-MNIST release"):
        fetch_fashion_mnist(subset="test", data_home=isolated)


@pytest.mark.parametrize(
    "raw, message",
    [
        ((0x803).to_bytes(4, "big") + b"\0" * 4, "too short"),
        ((0x801).to_bytes(4, "big") + (1).to_bytes(4, "big") * 3, "magic"),
        ((0x803).to_bytes(4, "big") + (1).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2,
         "dimensions"),
        ((0x803).to_bytes(4, "big") + (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
         + b"\0" * 100, "data bytes"),
    ],
)
def test_idx_headers_are_parsed_strictly(raw, message):
    with pytest.raises(DatasetError, match=message):
        datasets._parse_idx(raw, Path("x.gz"), "images", 2)


def test_nothing_found_offline_lists_places_and_remedies(isolated):
    with pytest.raises(DatasetError) as error:
        fetch_fashion_mnist(data_home=isolated, download_if_missing=False)
    message = str(error.value)
    for folder in datasets.candidate_dirs(isolated):
        assert str(folder) in message
    assert "apt-get install dataset-fashion-mnist" in message


def test_unreachable_mirror_reports_every_attempt(isolated):
    with pytest.raises(DatasetError, match=r"(?s)Could not download train-images.*127\.0\.0\.1"):
        fetch_fashion_mnist(data_home=isolated)
    assert not list((isolated / "fashion-mnist").glob("*ubyte.gz"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def file_server():
    """Serve a folder on 127.0.0.1; yields a function folder -> base URL."""
    servers = []

    def serve(folder):
        handler = partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()


@pytest.mark.skipif(not OFFICIAL_FILES.is_dir(), reason="no copy of the official files")
def test_download_of_the_official_files(isolated, monkeypatch, file_server, capsys):
    monkeypatch.setattr(datasets, "MIRRORS", (file_server(OFFICIAL_FILES),))
    X, y = fetch_fashion_mnist(subset="test", data_home=isolated, return_X_y=True)
    assert X.shape == (10000, 784) and y[:3].tolist() == [9, 2, 1]
    folder = isolated / "fashion-mnist"
    assert sorted(p.name for p in folder.glob("*.gz")) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert not list(folder.glob("*.part"))
    assert "100.0%" in capsys.readouterr().err


def test_corrupt_download_never_lands_under_the_final_name(isolated, monkeypatch, file_server,
                                                            tmp_path, source_dir):
    bad = tmp_path / "bad"
    _copy_files(source_dir, bad)
    (bad / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    monkeypatch.setattr(datasets, "MIRRORS", (file_server(bad),))
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz"):
        fetch_fashion_mnist(subset="test", data_home=isolated)
    folder = isolated / "fashion-mnist"
    assert not (folder / "t10k-images-idx3-ubyte.gz").exists()
    assert not list(folder.glob("*.part"))


def test_unknown_subset():
    with pytest.raises(ValueError, match="subset must be one of"):
        fetch_fashion_mnist(subset="validation")


BOMB_DOWNLOAD = """
    import json, resource
    from pathlib import Path
    from skfmnist import DatasetError, _datasets as datasets

    tmp = Path({tmp!r})
    datasets.KERAS_CACHE_DIR, datasets.DEBIAN_DIR = tmp / "keras", tmp / "debian"
    datasets.MIRRORS = ({url!r},)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        datasets.fetch_fashion_mnist(subset="test", data_home=tmp / "home")
        message = None
    except DatasetError as exc:
        message = str(exc)
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({{"growth_mib": growth / 1024, "message": message}}))
"""


def test_gzip_bomb_from_a_mirror_is_refused_while_streaming(tmp_path, file_server):
    """A 256 KiB download that inflates to 256 MiB: refused with bounded memory (the whole
    gzip used to be inflated, twice over, before the checksum)."""
    served = tmp_path / "served"
    served.mkdir()
    _gzip_bomb(served / "t10k-images-idx3-ubyte.gz", 256)
    output = run_python(BOMB_DOWNLOAD.format(tmp=str(tmp_path), url=file_server(served)))
    result = json.loads(output.strip().splitlines()[-1])
    assert "inflates to more than the 7,840,016 bytes" in result["message"]
    assert "Could not download t10k-images-idx3-ubyte.gz" in result["message"]
    assert result["growth_mib"] < 32
    folder = tmp_path / "home" / "fashion-mnist"
    assert list(folder.iterdir()) == []  # nothing kept, not even a .part file


def test_content_sizes_are_those_of_the_idx_files():
    for split in datasets._SPLIT_FILES.values():
        image_name, label_name, n_samples = split
        assert datasets.CONTENT_SIZES[image_name] == 16 + n_samples * 28 * 28
        assert datasets.CONTENT_SIZES[label_name] == 8 + n_samples


@pytest.mark.slow
@pytest.mark.parametrize("how", ["data_home", "SCIKIT_LEARN_DATA"])
def test_data_home_that_is_a_file_still_finds_the_other_copies(isolated, source_dir,
                                                               monkeypatch, tmp_path, how):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    if how == "SCIKIT_LEARN_DATA":
        monkeypatch.setenv("SCIKIT_LEARN_DATA", str(a_file))
    data_home = a_file if how == "data_home" else None
    with pytest.raises(DatasetError, match=rf"Nor can it be downloaded into {a_file}.*writable"):
        fetch_fashion_mnist(subset="test", data_home=data_home)  # no copy anywhere yet
    _copy_files(source_dir, datasets.DEBIAN_DIR)
    X, y = fetch_fashion_mnist(subset="test", data_home=data_home, return_X_y=True)
    assert X.shape == (10000, 784) and y[:3].tolist() == [9, 2, 1]
    assert a_file.read_text() == ""


@pytest.fixture
def read_only_folder(tmp_path):
    """A real read-only file system: an empty tmpfs mounted read-only (root only). chmod cannot
    stand in for it: root writes through any mode."""
    with tmpfs_or_skip(tmp_path / "read-only", "ro,size=64k") as folder:
        yield folder


@pytest.mark.slow
def test_read_only_data_home_that_does_not_exist_yet_only_costs_speed(isolated, source_dir,
                                                                     read_only_folder):
    _copy_files(source_dir, datasets.DEBIAN_DIR)
    data_home = read_only_folder / "not-yet"
    for _ in range(2):  # nothing can be cached: the second call verifies the files again
        X, y = fetch_fashion_mnist(subset="test", data_home=data_home, return_X_y=True)
        assert X.shape == (10000, 784) and y[:3].tolist() == [9, 2, 1]
    assert list(read_only_folder.iterdir()) == []
    shutil.rmtree(datasets.DEBIAN_DIR)
    with pytest.raises(DatasetError, match="Read-only file system.*writable folder"):
        fetch_fashion_mnist(subset="test", data_home=data_home)
