import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from skfmnist.cli import main

TRAINING_FILES = {"model.skfmnist", "metrics.json", "classification_report.txt", "history.png",
                  "confusion_matrix.png", "predictions.png", "report.html"}


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
    assert page.count("data:image/png;base64,") == 3 and f"{metrics['accuracy']:.4f}" in page
    assert "src=\"http" not in page  # self-contained


def test_evaluate_reproduces_the_training_metrics(trained, tmp_path, capsys):
    assert main(["evaluate", str(trained / "model.skfmnist"), "--out", str(tmp_path),
                 "--report"]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["accuracy"] == json.loads((trained / "metrics.json").read_text())["accuracy"]
    assert {"report.html", "confusion_matrix.png", "predictions.png"} <= {
        p.name for p in tmp_path.iterdir()}
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
        (["train", "--subset", "10", "--epochs", "1", "--model", "mlp", "--param",
          "hidden_layer_sizes=[100000000000]"], "ResourceExhaustedError"),
        (["export", "{model}", "{file}/model.onnx"], "is a file, not a folder"),
    ],
)
def test_errors_are_one_line_and_exit_2(trained, tmp_path, capsys, argv, message):
    bad = tmp_path / "not-an-image.png"
    bad.write_text("hello")
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    bomb = tmp_path / "bomb.png"
    Image.new("L", (20000, 20000)).save(bomb)  # PIL's decompression-bomb guard: > 2 x 89 Mpx
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
