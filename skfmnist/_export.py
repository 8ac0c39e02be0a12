"""Export a fitted network, with the pipeline's scaling inside, for serving outside Python."""

import tempfile
from pathlib import Path

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._fileutils import atomic_write, check_regular_target

__all__ = ["export"]

FORMATS = ("onnx",)
_MAX_PIXEL = 255.0
INPUT_NAME = "images"
OUTPUT_NAME = "probabilities"
BATCH_DIMENSION = "batch"


def export(estimator, path, *, format="onnx"):
    """Write a fitted network as one ONNX file that takes raw images and returns probabilities.

    The file holds the pipeline's :class:`~skfmnist.ImagePreprocessor` scaling and the
    trained network without its training-only layers (augmentation, dropout), so a server
    feeds it the same raw pixels it would give ``predict_proba`` and needs no code of its own.

    The graph's one input, ``images``, is float32 of shape ``("batch", n_pixels)``: raw grey
    levels 0-255 as flat rows (``X.reshape(len(X), -1).astype("float32")`` for uint8 or 28x28
    images); any number of rows. Its one output, ``probabilities``, is float32 of shape
    ``("batch", n_classes)``: class probabilities in the order of ``estimator.classes_``.
    Checked with onnxruntime to 1e-5 of ``predict_proba``.

    Parameters
    ----------
    estimator : fitted FashionMLP, FashionCNN, or Pipeline
        A network alone (the file then takes the network's own input, i.e. scaled pixels) or
        a pipeline of an :class:`~skfmnist.ImagePreprocessor` followed by a network.
    path : str or path-like
        The file to write (conventionally ``*.onnx``); replaced atomically.
    format : {"onnx"}, default="onnx"
        The file format.

    Raises
    ------
    ValueError
        For an unknown format, no network (None, or a pipeline of only ``"passthrough"``), or
        a pipeline with steps the file cannot express.
    FileExistsError
        If ``path`` is a symbolic link, a folder, a FIFO or a device: only regular files are
        written.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.

    Examples
    --------
    >>> import numpy as np, onnxruntime, os, tempfile
    >>> from sklearn.pipeline import make_pipeline
    >>> from skfmnist import FashionMLP, ImagePreprocessor, export, fetch_fashion_mnist
    >>> X, y = fetch_fashion_mnist(subset="test", return_X_y=True)
    >>> clf = make_pipeline(ImagePreprocessor(), FashionMLP(epochs=1, random_state=0))
    >>> clf = clf.fit(X[:500], y[:500])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> export(clf, path)
    >>> session = onnxruntime.InferenceSession(path)
    >>> proba = session.run(["probabilities"], {"images": X[:5].astype(np.float32)})[0]
    >>> bool(np.allclose(proba, clf.predict_proba(X[:5]), atol=1e-5))
    True
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}.")
    check_regular_target(path)  # before the conversion's seconds are spent
    preprocessor, network = _split(estimator)
    serving = _serving_model(preprocessor, network)
    _preempt_keras_numpy_patch()
    with tempfile.TemporaryDirectory() as folder:
        exported = Path(folder) / "model.onnx"
        serving.export(str(exported), format="onnx", verbose=False)
        data = _name_inputs_and_outputs(exported.read_bytes())
    atomic_write(Path(path), lambda stream: stream.write(data))


def _preempt_keras_numpy_patch():
    """Define ``numpy.object`` as Keras's ONNX export is about to.

    Keras's tf2onnx shim sets ``numpy.object = object`` when ``hasattr(numpy, "object")`` is
    false, and that probe makes NumPy 2 print a FutureWarning. Setting it first leaves NumPy as
    Keras would, without the warning and without touching the warning filters (process-wide).
    """
    import numpy as np

    if "object" not in vars(np):
        np.object = object


def _name_inputs_and_outputs(data):
    """The ONNX file ``data`` with its output named ``probabilities`` (tf2onnx calls it
    ``Identity:0``) and the rows dimension of input and output named ``batch``."""
    import onnx

    model = onnx.load_from_string(data)
    graph = model.graph
    renamed = {graph.output[0].name: OUTPUT_NAME}
    for node in graph.node:
        node.input[:] = [renamed.get(name, name) for name in node.input]
        node.output[:] = [renamed.get(name, name) for name in node.output]
    graph.output[0].name = OUTPUT_NAME
    for value in (graph.input[0], graph.output[0]):
        value.type.tensor_type.shape.dim[0].dim_param = BATCH_DIMENSION
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _split(estimator):
    """``(preprocessor or None, network)`` of what ``export`` accepts, else a clear error."""
    from ._base import FashionClassifierBase
    from ._preprocessing import ImagePreprocessor

    steps = [step for _, step in estimator.steps] if isinstance(estimator, Pipeline) \
        else [estimator]
    steps = [step for step in steps if step not in (None, "passthrough")]
    if not steps:
        raise ValueError(
            f"export needs a FashionMLP or FashionCNN, or a pipeline ending in one; got "
            f"{'a pipeline of only passthrough steps' if estimator is not None else 'None'}. "
            "Pass the fitted network or the pipeline that holds it."
        )
    *before, network = steps
    if not isinstance(network, FashionClassifierBase):
        raise ValueError(
            f"export needs a FashionMLP or FashionCNN, or a pipeline ending in one; got "
            f"{type(network).__name__} as the last step."
        )
    if len(before) > 1 or (before and not isinstance(before[0], ImagePreprocessor)):
        names = [type(step).__name__ for step in before]
        raise ValueError(
            f"export can put an ImagePreprocessor before the network, nothing else; this "
            f"pipeline has {names}. Export the network alone and apply the other steps before "
            "calling the exported file."
        )
    for step in steps:
        check_is_fitted(step)
    return (before[0] if before else None), network


def _serving_model(preprocessor, network):
    """A Keras model: raw pixels -> scaling -> the network as prediction runs it."""
    import keras
    import numpy as np

    inputs = keras.Input((network.n_features_in_,), dtype="float32", name=INPUT_NAME)
    x = inputs
    if preprocessor is not None:
        # (x / 255 - mean) / scale, as ImagePreprocessor.transform computes it
        x = keras.layers.Rescaling(1.0 / (_MAX_PIXEL * preprocessor.scale_),
                                   offset=-preprocessor.mean_ / preprocessor.scale_,
                                   name="scaling")(x)
    serving = keras.Model(inputs, network.inference_model()(x),
                          name=f"{network.model_.name}_serving")
    serving(np.zeros((1, network.n_features_in_), dtype=np.float32))  # Keras exports called models
    return serving
