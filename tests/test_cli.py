import json
import os
import pty
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from skfmnist.cli import main

from ._hostile import png_header_only

TRAINING_FILES = {"model.skfmnist", "metrics.json", "classification_report.txt", "history.png",
                  "confusion_matrix.png", "predictions.png", "reliability_diagram.png",
                  "report.html"}
# What would make a page load or link to something elsewhere.
EXTERNAL = re.compile(r"""(src|href)\s*=\s*["']?\s*https?:|url\(\s*["']?https?:|@import|<link""")


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["predict"], ["search"],
                                     ["info"]])
def test_help_imports_no_tensorflow(command):
    code = ("import sys; from skfmnist.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules and 'sklearn' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code, *command, "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "usage: skfmnist" in result.stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = main(["train", "--model", "cnn", "--subset", "5000", "--epochs", "2",
                 "--param", "conv_filters=[16, 32]", "--out", str(out), "--report"])
    assert code == 0
    return out


def test_train_writes_model_metrics_report_and_plots(trained):
    assert TRAINING_FILES <= {path.name for path in trained.iterdir()}
    metrics = json.loads((trained / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.7 and metrics["n_test"] == 10000
    assert metrics["fit_seconds"] > 0 and set(metrics["per_class"]["Bag"]) >= {"precision",
                                                                                "recall",
                                                                                "f1-score"}
    assert "Ankle boot" in (trained / "classification_report.txt").read_text()
    page = (trained / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4 and f"{metrics['accuracy']:.4f}" in page
    assert "5,000 images" in page and metrics["n_train"] == 5000
    assert not EXTERNAL.search(page)  # self-contained


def test_evaluate_reproduces_the_training_metrics(trained, tmp_path, capsys):
    assert main(["evaluate", str(trained / "model.skfmnist"), "--out", str(tmp_path),
                 "--report"]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["accuracy"] == json.loads((trained / "metrics.json").read_text())["accuracy"]
    assert {"report.html", "confusion_matrix.png", "predictions.png",
            "reliability_diagram.png"} <= {p.name for p in tmp_path.iterdir()}
    assert "5,000 images" in (tmp_path / "report.html").read_text()  # from the train run
    assert "test accuracy" in capsys.readouterr().out


def test_predict_png_colour_and_npy(trained, tmp_path, capsys):
    from skfmnist import fetch_fashion_mnist

    X, y = fetch_fashion_mnist(subset="test", return_X_y=True)
    boot = X[0].reshape(28, 28)  # label 9, Ankle boot
    png = tmp_path / "boot.png"
    Image.fromarray(boot).save(png)
    photo = tmp_path / "photo.jpg"  # a bigger colour photo of a dark object on white
    rgb = np.stack([255 - boot] * 3, axis=-1).repeat(2, axis=0).repeat(2, axis=1)
    Image.fromarray(rgb.astype(np.uint8)).save(photo)
    np.save(tmp_path / "batch.npy", X[:3].reshape(3, 28, 28))
    assert main(["predict", str(trained), str(png), str(photo)]) == 0
    output = capsys.readouterr()
    lines = output.out.strip().splitlines()
    assert lines[0].startswith(f"{png}: ") and "%" in lines[0]
    assert "converted from RGB colour to greyscale" in output.err
    assert "cropped to 56x30, resized to 28x15" in output.err and "inverted" in output.err
    assert main(["predict", str(trained), str(tmp_path / "batch.npy")]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    # A folder: every picture and array in it, sorted by name.
    assert main(["predict", str(trained), str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        str(tmp_path / "batch.npy[0]"), str(tmp_path / "batch.npy[1]"),
        str(tmp_path / "batch.npy[2]"), str(png), str(photo)]


def test_export_writes_an_onnx_file_that_matches_the_model(trained, tmp_path, capsys):
    import onnxruntime

    from skfmnist import fetch_fashion_mnist, load

    X, _ = fetch_fashion_mnist(subset="test", return_X_y=True)
    assert main(["export", str(trained), str(tmp_path / "model.onnx")]) == 0
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"))
    proba = session.run(None, {"images": X[:20].astype(np.float32)})[0]
    np.testing.assert_allclose(proba, load(trained / "model.skfmnist").predict_proba(X[:20]),
                               atol=1e-5)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.slow  # each command in a fresh interpreter
def test_commands_start_quietly(trained):
    result = subprocess.run([sys.executable, "-m", "skfmnist.cli", "info"], capture_output=True,
                            text=True, env={k: v for k, v in os.environ.items()
                                            if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert result.returncode == 0 and result.stderr == ""


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "{model}", "{bad}"], "cannot read"),
        (["evaluate", "/nonexistent/model.skfmnist"], "no model file"),
        (["train", "--param", "oops", "--subset", "10"], "--param expects key=value"),
        (["train", "--param", "n_layers=3", "--subset", "10"], "Invalid parameter 'n_layers'"),
        (["search", "--grid", "{not json"], "--grid is not valid JSON"),
        (["train", "--preset", "resnet", "--subset", "10"], "--preset for cnn must be one of"),
        (["train", "--subset", "10", "--out", "{file}"], "is a file, not a folder"),
        (["search", "--grid", '{"dropout": 0.5}'], '"dropout" must map to a list of values'),
        (["predict", "{model}", "{bomb}"], "refused as too large to decode safely"),
        (["predict", "{model}", "{empty}"], "is a folder without images"),
        pytest.param(["train", "--subset", "10", "--epochs", "1", "--model", "mlp", "--param",
                      "hidden_layer_sizes=[100000000000]"], "ResourceExhaustedError",
                     marks=pytest.mark.slow),  # TensorFlow takes seconds to refuse it
        (["export", "{model}", "{file}/model.onnx"], "is a file, not a folder"),
    ],
)
def test_errors_are_one_line_and_exit_2(trained, tmp_path, capsys, argv, message):
    bad = tmp_path / "not-an-image.png"
    bad.write_text("hello")
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(20000, 20000))  # PIL's bomb guard: > 2 x 89 Mpx
    empty = tmp_path / "empty"
    empty.mkdir()
    names = {"{model}": str(trained), "{bad}": str(bad), "{file}": str(a_file),
             "{bomb}": str(bomb), "{empty}": str(empty)}
    argv = [names.get(arg, arg) for arg in argv]
    argv = [arg.replace("{file}", str(a_file)) for arg in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("skfmnist: error: ") and message in err and "\n" not in err
    assert a_file.read_text() == ""


@pytest.mark.slow  # a grid search
def test_search_prints_a_results_table(capsys):
    assert main(["search", "--model", "mlp", "--grid", '{"hidden_layer_sizes": [[16], [32]]}',
                 "--cv", "2", "--subset", "600", "--epochs", "2"]) == 0
    table = capsys.readouterr().out.split("rank")[-1].strip().splitlines()
    assert len(table) == 3  # header rest + 2 candidates
    assert "{'hidden_layer_sizes': (16,)}" in "\n".join(table)


def test_info(capsys):
    assert main(["info"]) == 0
    output = capsys.readouterr().out
    assert "tensorflow:" in output and "dataset:" in output and "GPU:" in output


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory):
    """A tiny pipeline really trained on random images of the 10 classes, saved; with its data."""
    from sklearn.pipeline import make_pipeline

    from skfmnist import FashionMLP, ImagePreprocessor, save

    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(200, 784)).astype(np.uint8)
    y = np.arange(200) % 10
    clf = make_pipeline(ImagePreprocessor(),
                        FashionMLP(hidden_layer_sizes=(8,), epochs=2, random_state=0)).fit(X, y)
    path = tmp_path_factory.mktemp("toy") / "model.skfmnist"
    save(clf, path)
    return path, clf, X, y


def test_report_says_what_produced_it(toy_model, tmp_path):
    from skfmnist._report import cpu_model
    from skfmnist.cli import _write_evaluation

    _, clf, X, y = toy_model
    metrics = _write_evaluation(clf, X, y, tmp_path, fit_seconds=1.0, report=True, n_train=200)
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    assert metrics["n_train"] == 200 and 0 <= metrics["expected_calibration_error"] <= 1
    page = (tmp_path / "report.html").read_text()
    import keras
    import sklearn
    import tensorflow

    import skfmnist

    for fact in ("200 images", cpu_model(), f"tensorflow {tensorflow.__version__}",
                 f"keras {keras.__version__}", f"scikit-learn {sklearn.__version__}",
                 f"numpy {np.__version__}", f"skfmnist {skfmnist.__version__}",
                 "ImagePreprocessor → FashionMLP", "Written",
                 "<td>fashionmlp__hidden_layer_sizes</td><td>(8,)</td>",
                 "<td>imagepreprocessor__scaling</td><td>&#x27;minmax&#x27;</td>",
                 f"{metrics['expected_calibration_error']:.4f}"):
        assert fact in page, fact
    assert 'class="sk-container"' in page  # scikit-learn's own diagram of the pipeline
    assert page.count("data:image/png;base64,") == 4  # with the reliability diagram
    assert not EXTERNAL.search(page)  # self-contained, offline: no link leads elsewhere


def test_predict_prints_file_names_that_are_not_utf8(toy_model, tmp_path, capsys):
    path, _, X, _ = toy_model
    name = os.fsdecode(b"boot-\xff.png")  # a Latin-1 name: not UTF-8, as stdout here is
    Image.fromarray(X[0].reshape(28, 28)).save(tmp_path / name)
    (tmp_path / "shirt.png").write_bytes((tmp_path / name).read_bytes())
    assert main(["predict", str(path), str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[0] for line in lines] == [str(tmp_path / "boot-\\xff.png"),
                                                       str(tmp_path / "shirt.png")]


def test_info_with_data_home_a_file(monkeypatch, tmp_path, capsys):
    from skfmnist import _datasets as datasets

    a_file = tmp_path / "a-file"
    a_file.write_text("")
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(a_file))
    monkeypatch.setattr(datasets, "KERAS_CACHE_DIR", tmp_path / "keras")
    monkeypatch.setattr(datasets, "DEBIAN_DIR", tmp_path / "debian")
    datasets.DEBIAN_DIR.mkdir()
    for name in datasets.CHECKSUMS:  # info only looks for the files
        (datasets.DEBIAN_DIR / name).write_bytes(b"")
    assert main(["info"]) == 0
    assert f"dataset: {datasets.DEBIAN_DIR}" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_output_to_a_full_device_is_one_write_error_and_status_1():
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "skfmnist.cli", "info"], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=300)
    assert (result.returncode, result.stderr) == (
        1, "skfmnist: error: write error: No space left on device\n")


TINY_TRAINING = ["train", "--model", "mlp", "--subset", "300", "--epochs", "2",
                 "--param", "hidden_layer_sizes=[8]"]


def _train_with_stdout(stdout, out):
    """Run ``skfmnist train`` with ``stdout`` (a pipe or a pty), its stderr in a file."""
    with open(out.with_suffix(".err"), "w+") as err:
        process = subprocess.Popen([sys.executable, "-m", "skfmnist.cli", *TINY_TRAINING,
                                    "--out", str(out)], stdout=stdout, stderr=err)
        return process, err


@pytest.mark.slow
def test_training_prints_one_line_per_epoch_to_a_pipe(tmp_path):
    process, err = _train_with_stdout(subprocess.PIPE, tmp_path / "run")
    output = process.communicate(timeout=300)[0].decode()
    assert process.returncode == 0, err.seek(0) or err.read()[-2000:]
    assert "Epoch 1/2" in output and "Epoch 2/2" in output
    assert len(re.findall(r"^\d+/\d+ - .*loss: ", output, re.MULTILINE)) == 2
    assert "\x1b[" not in output and "\b" not in output and "━" not in output


@pytest.mark.slow
def test_training_draws_the_progress_bar_on_a_terminal(tmp_path):
    controller, terminal = pty.openpty()
    process, err = _train_with_stdout(terminal, tmp_path / "run")
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 1 << 16)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait(timeout=300) == 0, err.seek(0) or err.read()[-2000:]
    output = b"".join(chunks).decode(errors="replace")
    assert "━" in output and "\x1b[" in output
