"""ONNX export: raw images in, the pipeline's probabilities out, checked with onnxruntime."""

import os
import subprocess
import sys
from functools import partial

import numpy as np
import onnxruntime
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from skfmnist import FashionCNN, FashionMLP, ImagePreprocessor, export

NETWORKS = {
    "mlp_default": FashionMLP,
    "mlp_simple": FashionMLP.simple,
    "cnn_default": FashionCNN,
    "cnn_lenet": FashionCNN.lenet,
    "cnn_small": FashionCNN.small,
    "cnn_deep_bn": FashionCNN.deep_bn,
    "cnn_best": FashionCNN.best,
    "cnn_whitened_shift_only_batch_norm": partial(FashionCNN, patch_whitening=True,
                                                 batch_norm_scale=False),
}


def _onnx_proba(path, X):
    session = onnxruntime.InferenceSession(str(path))
    return session.run(["probabilities"], {"images": X.reshape(len(X), -1).astype(np.float32)})[0]


@pytest.fixture(scope="module")
def toy_pipeline():
    """A tiny pipeline fitted on random images of three classes (no dataset needed)."""
    rng = np.random.RandomState(0)
    X, y = rng.randint(0, 256, (96, 784)).astype(np.uint8), np.arange(96) % 3
    clf = make_pipeline(ImagePreprocessor(), FashionMLP(hidden_layer_sizes=(4,), epochs=1,
                                                        random_state=0))
    return clf.fit(X, y), X


# The defaults in the fast lane; the presets, larger networks, with the slow tests.
@pytest.mark.parametrize("name", [pytest.param(name, marks=() if name.endswith("default")
                                               else pytest.mark.slow) for name in NETWORKS])
def test_exported_file_gives_predict_proba_on_raw_images(name, toy_split, tmp_path):
    X_train, y_train, X_test, _ = toy_split
    # One short epoch: enough to move weights and batch-norm statistics off their start.
    network = NETWORKS[name](epochs=1, random_state=0)
    scaling = "standard" if name == "cnn_small" else "minmax"
    clf = make_pipeline(ImagePreprocessor(scaling=scaling), network).fit(X_train[:300],
                                                                        y_train[:300])
    path = tmp_path / "model.onnx"
    export(clf, path)
    np.testing.assert_allclose(_onnx_proba(path, X_test[:200]), clf.predict_proba(X_test[:200]),
                               atol=1e-5)


def test_exported_graph_has_no_training_only_operations(toy_split, tmp_path):
    import onnx

    X_train, y_train, _, _ = toy_split
    clf = make_pipeline(ImagePreprocessor(), FashionCNN(conv_filters=(4,), epochs=1,
                                                        augment="flip_shift", random_erasing=0.5,
                                                        random_state=0))
    export(clf.fit(X_train[:200], y_train[:200]), tmp_path / "model.onnx")
    operations = {node.op_type for node in onnx.load(tmp_path / "model.onnx").graph.node}
    assert not {op for op in operations if "Random" in op or "Dropout" in op}


def test_bare_network_takes_its_own_input(toy_split, tmp_path):
    X_train, y_train, X_test, _ = toy_split
    mlp = FashionMLP(hidden_layer_sizes=(16,), epochs=1, random_state=0)
    mlp.fit(X_train[:300] / 255, y_train[:300])
    export(mlp, tmp_path / "mlp.onnx")
    np.testing.assert_allclose(_onnx_proba(tmp_path / "mlp.onnx", X_test[:50] / 255),
                               mlp.predict_proba(X_test[:50] / 255), atol=1e-5)


@pytest.mark.parametrize("estimator, error, message", [
    (FashionMLP(), NotFittedError, "not fitted yet"),
    (make_pipeline(ImagePreprocessor(), PCA(5), FashionMLP()), ValueError,
     r"ImagePreprocessor before the network, nothing else; this pipeline has "
     r"\['ImagePreprocessor', 'PCA'\]"),
    (make_pipeline(ImagePreprocessor()), ValueError, "needs a FashionMLP or FashionCNN"),
    (None, ValueError, "needs a FashionMLP or FashionCNN, or a pipeline ending in one; got None"),
    (make_pipeline("passthrough"), ValueError, "got a pipeline of only passthrough steps"),
])
def test_bad_calls_get_clear_errors(estimator, error, message, tmp_path):
    with pytest.raises(error, match=message):
        export(estimator, tmp_path / "model.onnx")
    assert not list(tmp_path.iterdir())


def test_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"format must be one of \('onnx',\), got 'tflite'"):
        export(FashionMLP(), tmp_path / "model.tflite", format="tflite")


def test_the_graph_names_its_input_output_and_batch_dimension(toy_pipeline, tmp_path):
    clf, X = toy_pipeline
    export(clf, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"))
    assert [(v.name, v.shape) for v in session.get_inputs()] == [("images", ["batch", 784])]
    assert [(v.name, v.shape) for v in session.get_outputs()] == [("probabilities", ["batch", 3])]
    proba = session.run(["probabilities"], {"images": X[:7].astype(np.float32)})[0]
    np.testing.assert_allclose(proba, clf.predict_proba(X[:7]), atol=1e-5)


@pytest.mark.parametrize("make", [os.mkfifo, lambda path: path.symlink_to(path.parent / "x")],
                         ids=["fifo", "symlink"])
def test_export_writes_only_regular_files(toy_pipeline, tmp_path, make):
    target = tmp_path / "model.onnx"
    make(target)
    with pytest.raises(FileExistsError, match=f"{target} is a .*not a regular file"):
        export(toy_pipeline[0], target)
    assert not target.is_file()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "skfmnist.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


@pytest.mark.slow
def test_cli_export_is_quiet_and_never_overwrites_its_model(toy_pipeline, tmp_path):
    import skfmnist

    model = tmp_path / "model.skfmnist"
    skfmnist.save(toy_pipeline[0], model)
    before = model.read_bytes()
    exported = _cli("export", model, tmp_path / "m.onnx")
    assert exported.returncode == 0, exported.stderr
    assert "Warning" not in exported.stderr and "np.object" not in exported.stderr
    assert "output 'probabilities'" in exported.stdout
    overwrite = _cli("export", tmp_path, model)  # the run folder names the same model file
    assert overwrite.returncode == 2
    assert "is the model file being exported" in overwrite.stderr
    assert model.read_bytes() == before


def test_exported_file_returns_the_calibrated_probabilities(toy_split, tmp_path):
    X_train, y_train, X_test, _ = toy_split
    # Heavy label smoothing: the network's own probabilities are far from calibrated ones.
    clf = make_pipeline(ImagePreprocessor(), FashionMLP(hidden_layer_sizes=(16,), epochs=2,
                                                        label_smoothing=0.4, random_state=0))
    clf.fit(X_train, y_train)
    export(clf, tmp_path / "model.onnx")
    exported = _onnx_proba(tmp_path / "model.onnx", X_test[:50])
    np.testing.assert_allclose(exported, clf.predict_proba(X_test[:50]), atol=1e-5)
    clf.set_params(fashionmlp__calibration=None)
    assert np.abs(exported - clf.predict_proba(X_test[:50])).max() > 0.05
