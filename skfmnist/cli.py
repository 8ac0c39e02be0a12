"""The ``skfmnist`` command: train, evaluate, predict, search and info, without writing Python.

Only argparse is imported until a command runs, so ``skfmnist --help`` answers at once.
"""

import argparse
import contextlib
import errno
import json
import os
import sys
import time
from pathlib import Path

MODEL_FILE = "model.skfmnist"
PRESETS = {"cnn": ("fast", "best", "lenet", "small", "deep_bn"), "mlp": ("simple",)}


class CommandError(Exception):
    """A problem to report as one line, without a traceback."""


def _parse_value(text):
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text  # a bare word, e.g. optimizer=sgd
    return tuple(value) if isinstance(value, list) else value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expects a positive number of images, got {text!r}")
    return value


def _parse_params(pairs):
    params = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"--param expects key=value, got {pair!r}")
        params[key] = _parse_value(value)
    return params


def _load_split(subset, n_samples=None):
    from skfmnist import fetch_fashion_mnist

    X, y = fetch_fashion_mnist(subset=subset, return_X_y=True)
    return (X, y) if n_samples is None else (X[:n_samples], y[:n_samples])


def _make_estimator(model, preset, params):
    from skfmnist import FashionCNN, FashionMLP

    cls = FashionCNN if model == "cnn" else FashionMLP
    if preset is not None:
        if preset not in PRESETS[model]:
            raise CommandError(f"--preset for {model} must be one of {PRESETS[model]}, "
                               f"got {preset!r}")
        estimator = getattr(cls, preset)()
    else:
        estimator = cls()
    try:
        return estimator.set_params(**params)
    except ValueError as exc:
        raise CommandError(str(exc).splitlines()[0]) from None


def _write_evaluation(clf, X_test, y_test, out, fit_seconds=None, report=False, n_train=None):
    """metrics.json, classification_report.txt and the PNG plots (and report.html), from one
    prediction of the test set's probabilities."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import classification_report

    from skfmnist import CLASS_NAMES, plotting
    from skfmnist._calibration import expected_calibration_error

    proba = clf.predict_proba(X_test)
    y_pred = clf.classes_[proba.argmax(axis=1)]
    # A class the model never predicts has precision 0, said so in the report, not warned.
    scores = classification_report(y_test, y_pred, target_names=CLASS_NAMES, digits=4,
                                   output_dict=True, zero_division=0)
    metrics = {
        "accuracy": scores["accuracy"],
        "expected_calibration_error": expected_calibration_error(y_test, proba,
                                                                 classes=clf.classes_),
        "n_test": len(y_test),
        "n_train": n_train,
        "fit_seconds": fit_seconds,
        "per_class": {name: scores[name] for name in CLASS_NAMES},
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    text = _report_text(scores, CLASS_NAMES)
    (out / "classification_report.txt").write_text(text)
    figures = {
        "confusion_matrix.png": plotting.plot_confusion_matrix(
            None, None, y_test, y_pred=y_pred).figure_,
        "predictions.png": plotting.plot_predictions(clf, X_test, y_test),
        "reliability_diagram.png": plotting.plot_reliability_diagram(y_test, proba,
                                                                     classes=clf.classes_),
    }
    if hasattr(clf[-1], "history_"):
        figures["history.png"] = plotting.plot_history(clf)
    for name, figure in figures.items():
        figure.savefig(out / name, dpi=110)
        plt.close(figure)
    if report:
        from skfmnist._report import write_report

        write_report(out / "report.html", metrics, text, [out / name for name in figures], clf)
    print(text)
    fit = f"fit: {fit_seconds:.0f} s; " if fit_seconds is not None else ""
    print(f"{fit}test accuracy: {metrics['accuracy']:.4f}; files written to {_shown(out)}/")
    return metrics


def _report_text(scores, class_names):
    """The classification report's text table, from its dict (computed once)."""
    width = max(len(name) for name in (*class_names, "weighted avg"))
    lines = [f"{'':>{width}}  precision    recall  f1-score   support", ""]
    row = "{:>{w}}  {:>9.4f} {:>9.4f} {:>9.4f} {:>9}"
    for name in (*class_names, "macro avg", "weighted avg"):
        if name == "macro avg":
            support = int(scores[name]["support"])
            lines += ["", f"{'accuracy':>{width}}  {'':>9} {'':>9} "
                          f"{scores['accuracy']:>9.4f} {support:>9}"]
        values = scores[name]
        lines.append(row.format(name, values["precision"], values["recall"],
                                values["f1-score"], int(values["support"]), w=width))
    return "\n".join(lines) + "\n"


def _shown(text, stream=None):
    """Text with file names in it, as the encoding of ``stream`` (stdout) can carry it: bytes
    of a name that are not text there (a Latin-1 name under UTF-8) become ``\\xNN`` escapes
    instead of failing the command."""
    encoding = getattr(stream or sys.stdout, "encoding", None) or "utf-8"
    return os.fsencode(text).decode(encoding, "backslashreplace")


def _keras_verbosity():
    """Keras's progress bar on a terminal, one line per epoch elsewhere (a pipe, a file, CI):
    Keras redraws its bar with backspaces and colour codes wherever the ``posix`` module is
    loaded, which makes a log file unreadable."""
    return 1 if sys.stdout.isatty() else 2


def _writable_folder(path, option):
    """Create ``path`` (a folder) and prove it writable, before any long work starts."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{option} {folder} is a file, not a folder; name a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".skfmnist-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CommandError(f"{option} {folder} is not writable ({exc.strerror or exc})") from None
    return folder


def cmd_train(args):
    from sklearn.pipeline import make_pipeline

    from skfmnist import ImagePreprocessor, save

    params = _parse_params(args.param)
    if args.epochs is not None:
        params["epochs"] = args.epochs
    params.setdefault("random_state", args.seed)
    estimator = _make_estimator(args.model, args.preset, params)
    estimator.set_params(verbose=_keras_verbosity())
    out = _writable_folder(args.out, "--out")
    X_train, y_train = _load_split("train", args.subset)
    X_test, y_test = _load_split("test")
    clf = make_pipeline(ImagePreprocessor(), estimator)
    print(f"training {estimator!r} on {len(X_train):,} images")
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    estimator.set_params(verbose=0)
    save(clf, out / MODEL_FILE)
    _write_evaluation(clf, X_test, y_test, out, fit_seconds, args.report, n_train=len(X_train))


def _model_file(path):
    """The model file that MODEL names: the file itself or the one in a `train` run's folder."""
    path = Path(path)
    return path / MODEL_FILE if path.is_dir() else path


def _load_model(path):
    from skfmnist import load

    path = _model_file(path)
    if not path.is_file():
        raise CommandError(f"no model file at {path}")
    return load(path)


def _recorded_training_size(model_folder):
    """The number of training images that the ``train`` run wrote into the model's folder
    (its metrics.json), or None."""
    try:
        recorded = json.loads((model_folder / "metrics.json").read_text())
    except (OSError, ValueError):
        return None
    n_train = recorded.get("n_train") if isinstance(recorded, dict) else None
    return n_train if isinstance(n_train, int) else None


def cmd_evaluate(args):
    from sklearn.pipeline import Pipeline, make_pipeline

    model = Path(args.model)
    model_folder = model if model.is_dir() else model.parent
    out = _writable_folder(args.out or model_folder, "--out")
    clf = _load_model(args.model)
    if not isinstance(clf, Pipeline):
        clf = make_pipeline(clf)
    n_train = _recorded_training_size(model_folder)  # before metrics.json is rewritten
    X_test, y_test = _load_split("test")
    _write_evaluation(clf, X_test, y_test, out, report=args.report, n_train=n_train)


def cmd_predict(args):
    from skfmnist._datasets import label_names
    from skfmnist._imageio import read_images

    clf = _load_model(args.model)
    images, names, notes = read_images(args.images)
    for note in notes:
        print(f"note: {_shown(note, sys.stderr)}", file=sys.stderr)
    probabilities = clf.predict_proba(images)
    classes = label_names(clf.classes_)
    for name, row in zip(names, probabilities):
        best = int(row.argmax())
        print(f"{_shown(name)}: {classes[best]} ({row[best]:.1%})")


def cmd_export(args):
    from skfmnist import export
    from skfmnist._fileutils import check_regular_target

    target = Path(args.out)
    model = _model_file(args.model)
    if target.exists() and model.exists() and os.path.samefile(target, model):
        raise CommandError(f"OUT {target} is the model file being exported; name another "
                           "file, e.g. model.onnx")
    _writable_folder(target.parent, "OUT's folder")
    check_regular_target(target)
    export(_load_model(model), target, format=args.format)
    print(f"wrote {target} ({args.format}): input 'images', float32 (batch, pixels), raw 0-255 "
          "grey levels; output 'probabilities', float32 (batch, classes)")


def cmd_search(args):
    import numpy as np
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from skfmnist import ImagePreprocessor

    try:
        grid = json.loads(args.grid)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--grid is not valid JSON ({exc.msg}): {args.grid}") from None
    if not isinstance(grid, dict) or not grid:
        raise CommandError('--grid must be a JSON object such as \'{"kernel_size": [3, 5]}\'')
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise CommandError(f'--grid: "{key}" must map to a list of values to try, e.g. '
                               f'{{"{key}": [{json.dumps(values)}]}}; got {json.dumps(values)}')
    params = _parse_params(args.param)
    if args.epochs is not None:
        params["epochs"] = args.epochs
    params.setdefault("random_state", args.seed)
    estimator = _make_estimator(args.model, None, params)
    step = type(estimator).__name__.lower()
    grid = {f"{step}__{key}": [_parse_value(json.dumps(v)) for v in values]
            for key, values in grid.items()}
    X, y = _load_split("train", args.subset)
    search = GridSearchCV(make_pipeline(ImagePreprocessor(), estimator), grid, cv=args.cv,
                          n_jobs=args.n_jobs, verbose=2)
    if args.scheduler:
        import joblib
        from distributed import Client

        with Client(args.scheduler), joblib.parallel_backend("dask", scatter=[X, y]):
            search.fit(X, y)
    else:
        search.fit(X, y)
    results = search.cv_results_
    order = np.argsort(results["rank_test_score"])
    print(f"\n{'rank':>4}  {'mean acc':>8}  {'std':>6}  {'fit s':>6}  parameters")
    for index in order:
        candidate = {k.split("__", 1)[1]: v for k, v in results["params"][index].items()}
        print(f"{results['rank_test_score'][index]:>4}  {results['mean_test_score'][index]:>8.4f}"
              f"  {results['std_test_score'][index]:>6.4f}  {results['mean_fit_time'][index]:>6.1f}"
              f"  {candidate}")


def cmd_info(args):
    import platform

    from skfmnist._datasets import candidate_dirs, find_fashion_mnist
    from skfmnist._persistence import library_versions

    for name, version in library_versions().items():
        print(f"{name:>12}: {version}")
    found = find_fashion_mnist()
    print(f"{'dataset':>12}: {found if found else 'not found; searched ' + ', '.join(map(str, candidate_dirs()))}")
    from skfmnist._tf import import_tensorflow

    tf = import_tensorflow()

    gpus = tf.config.list_physical_devices("GPU")
    print(f"{'GPU':>12}: {', '.join(g.name for g in gpus) if gpus else 'none visible'}")
    print(f"{'machine':>12}: {platform.machine()}, {platform.platform()}")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skfmnist", description="Fashion-MNIST classifiers (Keras) the scikit-learn way.")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up log and full tracebacks")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_training_options(sub):
        sub.add_argument("--model", choices=("cnn", "mlp"), default="cnn")
        sub.add_argument("--param", action="append", metavar="KEY=VALUE",
                         help="estimator parameter, value as JSON or a word; repeatable")
        sub.add_argument("--epochs", type=int, help="shortcut for --param epochs=N")
        sub.add_argument("--subset", type=_positive_int, metavar="N",
                         help="use the first N training images")
        sub.add_argument("--seed", type=int, default=0, help="random_state (default 0)")

    train = commands.add_parser("train", help="train on Fashion-MNIST, write model, metrics, plots")
    add_training_options(train)
    train.add_argument("--preset", help=f"{', '.join(PRESETS['cnn'])} (cnn) or "
                                        f"{', '.join(PRESETS['mlp'])} (mlp)")
    train.add_argument("--out", default="skfmnist-run", help="output folder")
    train.add_argument("--report", action="store_true", help="also write report.html")
    train.set_defaults(func=cmd_train)

    evaluate = commands.add_parser("evaluate", help="report and plots on the test set")
    evaluate.add_argument("model", help="model file or the folder of a `train` run")
    evaluate.add_argument("--out", help="output folder (default: beside the model)")
    evaluate.add_argument("--report", action="store_true", help="also write report.html")
    evaluate.set_defaults(func=cmd_evaluate)

    predict = commands.add_parser("predict", help="classify PNG/JPEG images or a .npy array")
    predict.add_argument("model", help="model file or the folder of a `train` run")
    predict.add_argument("images", nargs="+",
                         help="image files (any size/colour), .npy arrays, or folders of them")
    predict.set_defaults(func=cmd_predict)

    export = commands.add_parser("export", help="write a model as ONNX for serving")
    export.add_argument("model", help="model file or the folder of a `train` run")
    export.add_argument("out", help="the file to write, e.g. model.onnx")
    export.add_argument("--format", choices=("onnx",), default="onnx")
    export.set_defaults(func=cmd_export)

    search = commands.add_parser("search", help="grid search with cross-validation")
    add_training_options(search)
    search.add_argument("--grid", required=True,
                        help='JSON object, e.g. \'{"conv_filters": [[32, 64], [64, 128]]}\'')
    search.add_argument("--cv", type=int, default=3)
    search.add_argument("--n-jobs", type=int, default=None)
    search.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    search.set_defaults(func=cmd_search)

    info = commands.add_parser("info", help="versions, dataset location, GPU")
    info.set_defaults(func=cmd_info)
    return parser


@contextlib.contextmanager
def _native_stderr_silenced():
    """Send file descriptor 2 to /dev/null: TensorFlow's C++ start-up lines (oneDNN, absl)
    ignore TF_CPP_MIN_LOG_LEVEL and are written before any Python logging is configured."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _start_tensorflow_quietly():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _native_stderr_silenced():
        from skfmnist._tf import import_tensorflow

        import_tensorflow().constant(0.0).numpy()  # the first op prints the rest


class _OutputError(OSError):
    """Standard output could not be written (a full disk, a closed pipe)."""


class _StandardOutput:
    """``sys.stdout`` while a command runs (Keras's progress bar included): its write errors
    become ``_OutputError``, told apart from the command's own file errors."""

    def __init__(self, stream):
        self._stream = stream

    def _checked(self, method, *args):
        try:
            return method(*args)
        except OSError as exc:
            raise _OutputError(exc.errno, exc.strerror) from None

    def write(self, text):
        return self._checked(self._stream.write, text)

    def flush(self):
        return self._checked(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _standard_output_checked():
    stream = sys.stdout
    sys.stdout = _StandardOutput(stream)
    try:
        yield
        sys.stdout.flush()
    finally:
        sys.stdout = stream


def _report_write_error(exc):
    """Exit status 1 for output that could not be written (``> /dev/full``, a closed pipe), as
    other tools do. Standard output is pointed at /dev/null, so that Python's own flush at exit
    does not fail again with an "Exception ignored" report and status 120."""
    if exc.errno != errno.EPIPE:  # a reader that stopped early (`| head`) is no error to show
        print(f"skfmnist: error: write error: {exc.strerror or exc}", file=sys.stderr)
    with contextlib.suppress(OSError, ValueError):  # a stand-in stdout has no descriptor
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 1


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if not args.verbose:
            _start_tensorflow_quietly()
        with _standard_output_checked():
            args.func(args)
    except KeyboardInterrupt:
        print("skfmnist: interrupted", file=sys.stderr)
        return 130
    except _OutputError as exc:
        return _report_write_error(exc)
    except Exception as exc:  # noqa: BLE001  (a command line reports every failure as one line)
        if args.verbose:
            raise
        message = " ".join(str(exc).split())[:400] or type(exc).__name__
        if not isinstance(exc, (CommandError, ValueError, TypeError, OSError)):
            message = f"{type(exc).__name__}: {message} (run with --verbose for details)"
        print(f"skfmnist: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
