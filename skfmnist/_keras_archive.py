"""The network of a fitted estimator as the bytes of a native ``.keras`` archive.

Archives are written and read in memory, so a full temporary folder cannot make a good file
fail to load. Before Keras builds or reads anything, :func:`check_network` bounds what the
archive's config would build and what its weights file declares.
"""

import io
import json
import math
import zipfile

from ._fileutils import ZipLimitError, check_zip_limits, read_member, zip_budget

_CONFIG = "config.json"
_WEIGHTS = "model.weights.h5"
#: What Keras writes for a network without assets; anything else (an ``.npz`` weights file,
#: assets Keras would extract) is refused.
_MEMBERS = frozenset({_CONFIG, "metadata.json", _WEIGHTS})
_BYTES_PER_WEIGHT = 4  # float32, the estimators' dtype
#: Config keys whose integers multiply into a layer's weight count: Dense units, Conv filters
#: and kernel size, Embedding sizes, attention heads and key sizes.
_SIZE_KEYS = ("units", "filters", "kernel_size", "input_dim", "output_dim", "num_heads",
              "key_dim", "value_dim", "depth_multiplier")
#: Recurrent layers hold a kernel per gate, and their recurrent kernels see their own units.
_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4, "ConvLSTM1D": 4, "ConvLSTM2D": 4,
          "ConvLSTM3D": 4}
_NORMALISATION_WEIGHTS = 4  # per channel: scale, offset, moving mean and variance


def to_bytes(model):
    # saving_lib takes file objects (keras.saving.save_model only paths); scikeras uses it too
    from keras.src.saving import saving_lib

    buffer = io.BytesIO()
    saving_lib.save_model(model, buffer)
    return buffer.getvalue()


def weights_file(model):
    """The bytes of the ``.weights.h5`` file ``model.save_weights`` writes, built in memory
    (a ``.keras`` archive holds the same HDF5 file)."""
    with zipfile.ZipFile(io.BytesIO(to_bytes(model))) as archive:
        return archive.read(_WEIGHTS)


def from_bytes(archive):
    """Load a network with Keras's ``safe_mode=True``: no ``Lambda`` code is deserialised.

    The archive is checked by :func:`check_network` first, within its own zip budget, so a
    crafted archive can make Keras neither inflate nor allocate gigabytes.
    """
    from keras.src.saving import saving_lib

    from . import layers  # noqa: F401  (registers skfmnist's own layers with Keras)

    check_network(archive, zip_budget(len(archive)))
    return saving_lib.load_model(io.BytesIO(archive), safe_mode=True)


def check_network(archive, budget, what="the network's .keras archive"):
    """The bytes of weights the network in ``archive`` would hold once loaded.

    Raises :class:`ZipLimitError` if the archive breaks the zip limits, holds members Keras
    does not write, has a weights file that declares more data than it stores, or would build
    or read more than ``budget`` bytes of weights. Reads only the zip directory, the config and
    the HDF5 header; nothing is built.
    """
    with zipfile.ZipFile(io.BytesIO(archive)) as contents:
        limit = check_zip_limits(contents, len(archive), what)
        names = set(contents.namelist())
        unexpected = sorted(names - _MEMBERS)
        if unexpected:
            raise ZipLimitError(f"{what} holds {unexpected[0][:100]!r}, which Keras does not "
                                "write for these networks.")
        if _CONFIG not in names:
            raise ZipLimitError(f"{what} has no {_CONFIG}.")
        config = _parse_config(read_member(contents, _CONFIG, limit, what), what)
        weights = read_member(contents, _WEIGHTS, limit, what) if _WEIGHTS in names else b""
    built = _BYTES_PER_WEIGHT * config_weights(config, what)
    declared = _declared_weight_bytes(weights, what)
    if declared > len(weights):
        raise ZipLimitError(f"{what}: {_WEIGHTS} declares {declared:,} bytes of weights but "
                            f"stores {len(weights):,} bytes in all.")
    needed = max(built, declared)
    if needed > budget:
        raise ZipLimitError(f"{what} would build {needed:,} bytes of weights, more than the "
                            f"{budget:,} allowed for this file.")
    return needed


def _parse_config(data, what):
    try:
        config = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ZipLimitError(f"{what}: {_CONFIG} is not valid JSON ({exc})") from exc
    if not isinstance(config, dict):
        raise ZipLimitError(f"{what}: {_CONFIG} is not a Keras model config.")
    return config


def config_weights(config, what="the network"):
    """An upper estimate of the number of weights the layers of a Keras config create.

    Per layer: the product of its size settings (:data:`_SIZE_KEYS`) times its input channels
    plus one for the bias (recurrent layers: per gate, input channels plus their own units),
    plus 4 per channel for normalisation statistics. The channels are those of the layer's
    ``build_config``, which Keras writes for every layer it built; a layer with size settings
    but no ``build_config`` is refused (Keras would build it from shapes this check does not
    follow), and one without either is counted as normalising the widest channels found in
    the config.
    """
    layers = list(_layer_configs(config))
    widest = max((_widest(layer) for layer in layers), default=1)
    total = 0
    for layer in layers:
        settings = layer["config"]
        size = math.prod(_integers([settings[key] for key in _SIZE_KEYS if key in settings]))
        channels = _input_channels(layer.get("build_config"))
        if channels is None:
            if any(key in settings for key in _SIZE_KEYS):
                raise ZipLimitError(
                    f"{what}: layer {str(settings.get('name'))[:100]!r} has sizes but no "
                    "build_config (not as Keras writes it).")
            total += _NORMALISATION_WEIGHTS * widest
            continue
        gates = _GATES.get(str(layer.get("class_name")))
        if gates is None:
            total += size * (channels + 1)
        else:
            own = max(_integers([settings.get("units"), settings.get("filters")]), default=0)
            total += gates * size * (channels + own + 1)
        total += _NORMALISATION_WEIGHTS * channels
    return total


def _layer_configs(config):
    """Every object config (``class_name`` with a ``config`` dict) in ``config``, nested ones
    included (a Sequential inside a Functional, a wrapped layer); iterative, as a crafted
    config may nest deeply."""
    pending = [config]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if "class_name" in item and isinstance(item.get("config"), dict):
                yield item
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _integers(values):
    """The non-negative integers in ``values`` and the lists nested in it (a kernel size)."""
    found, pending = [], list(values)
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            found.append(value)
    return found


def _shapes(item):
    """The shapes (lists of integers and None) anywhere in ``item``."""
    pending, found = [item], []
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            if value and all(v is None or (isinstance(v, int) and not isinstance(v, bool))
                             for v in value):
                found.append(value)
            else:
                pending.extend(value)
    return found


def _input_channels(build_config):
    """The widest last dimension of the input shapes a layer was built for; None if unknown."""
    if not isinstance(build_config, dict):
        return None
    dims = [shape[-1] for shape in _shapes(build_config) if isinstance(shape[-1], int)]
    return max(dims) if dims else None


def _widest(layer):
    """The largest size setting or last dimension of a shape (a Reshape's target included) in
    one layer's config and build_config: a bound on the channels any tensor of the model has,
    short of a layer with sizes, which has a build_config."""
    settings = layer["config"]
    sizes = _integers([settings[key] for key in _SIZE_KEYS if key in settings])
    channels = [shape[-1] for shape in _shapes([settings, layer.get("build_config")])
                if isinstance(shape[-1], int)]
    return max(sizes + channels, default=1)


def _declared_weight_bytes(weights, what):
    """The bytes that the datasets of an HDF5 file declare, from its header alone."""
    if not weights:
        return 0
    import h5py

    sizes = []

    def add(name, item):
        if not isinstance(item, h5py.Dataset):
            return
        if item.is_virtual or item.id.get_create_plist().get_external_count():
            raise ZipLimitError(f"{what}: {_WEIGHTS} keeps {name[:100]!r} outside the file.")
        sizes.append(math.prod(item.shape or ()) * item.dtype.itemsize)

    try:
        with h5py.File(io.BytesIO(weights), "r") as store:
            store.visititems(add)
    except (OSError, ValueError, TypeError) as exc:  # h5py's reports of a damaged file
        raise ZipLimitError(f"{what}: {_WEIGHTS} is not a valid HDF5 file ({exc})") from exc
    return sum(sizes)
