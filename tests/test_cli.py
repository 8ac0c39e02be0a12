import json
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from skfmnist.cli import main

TRAINING_FILES = {"model.skfmnist", "metrics.json", "classification_report.txt", "history.png",
                  "confusion_matrix.png", "predictions.png", "report.html"}


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["predict"], ["search"],
                                     ["info"]])
def test_help_is_fast_and_imports_no_tensorflow(command):
    code = ("import sys; from skfmnist.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules and 'sklearn' not in sys.modules\n")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, *command, "--help"],
                            capture_output=True, text=True)
    assert time.perf_counter() - start < 2.0
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
    assert "resized from 56x56 to 28x28" in output.err and "inverted" in output.err
    assert main(["predict", str(trained), str(tmp_path / "batch.npy")]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "{model}", "{bad}"], "cannot read"),
        (["evaluate", "/nonexistent/model.skfmnist"], "no model file"),
        (["train", "--param", "oops", "--subset", "10"], "--param expects key=value"),
        (["train", "--param", "n_layers=3", "--subset", "10"], "Invalid parameter 'n_layers'"),
        (["search", "--grid", "{not json"], "--grid is not valid JSON"),
        (["train", "--preset", "resnet", "--subset", "10"], "--preset for cnn must be one of"),
    ],
)
def test_errors_are_one_line_and_exit_2(trained, tmp_path, capsys, argv, message):
    bad = tmp_path / "not-an-image.png"
    bad.write_text("hello")
    argv = [{"{model}": str(trained), "{bad}": str(bad)}.get(arg, arg) for arg in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("skfmnist: error: ") and message in err and "\n" not in err


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
