"""Accuracy and calibration of the shipped estimators: python -m benchmarks.calibration.

Trains each model (``FashionCNN.fast()``, ``FashionCNN()``, ``FashionMLP()``) on the 60,000
training images once per seed and scores its probabilities on the 10,000 test images twice:
as shipped (calibrated) and with ``calibration=None`` on the same fitted network (the network's
own probabilities). Writes ``calibration.{json,md}`` (accuracy, expected calibration error over
15 equal-width bins of the top-1 confidence, log-loss, Brier score, training compute and time)
and ``calibration.png`` (reliability diagrams of the first seed) to ``--out``.
"""

import argparse
import statistics
import sys
import time

from benchmarks._common import RESULTS, load_split, start_worker, worker_result, write_results

MODELS = {
    "fast": "FashionCNN.fast()",
    "default": "FashionCNN()",
    "mlp": "FashionMLP()",
}
METRICS = ("ece", "log_loss", "brier")


def make_model(name, seed):
    from skfmnist import FashionCNN, FashionMLP

    if name == "fast":
        return FashionCNN.fast(random_state=seed)
    if name == "default":
        return FashionCNN(random_state=seed)
    return FashionMLP(random_state=seed)


def probability_scores(y_true, proba, classes):
    """ECE, log-loss and the multi-class Brier score (mean squared error of the probability
    rows against one-hot targets) of ``proba``."""
    import numpy as np
    from sklearn.metrics import log_loss

    from skfmnist._calibration import expected_calibration_error

    onehot = (np.asarray(y_true)[:, None] == classes[None, :]).astype(float)
    return {"ece": expected_calibration_error(y_true, proba, classes=classes),
            "log_loss": log_loss(y_true, proba, labels=classes),
            "brier": float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))}


def fit_and_measure(model, seed, n_train=None, toy=False, keep_proba=False):
    """Fit ``model`` with ``random_state=seed`` and measure it as shipped and uncalibrated;
    the child-process entry point of :func:`main`."""
    from sklearn.pipeline import make_pipeline

    from benchmarks.run import training_flops_per_image
    from skfmnist import ImagePreprocessor

    X, y, X_test, y_test = load_split(n_train, toy)
    clf = make_pipeline(ImagePreprocessor(), make_model(model, seed))
    start = time.perf_counter()
    clf.fit(X, y)
    fit_seconds = time.perf_counter() - start
    estimator = clf[-1]
    calibrated = clf.predict_proba(X_test)
    estimator.set_params(calibration=None)
    raw = clf.predict_proba(X_test)
    classes = estimator.classes_
    result = {
        "accuracy": float((classes[calibrated.argmax(axis=1)] == y_test).mean()),
        "fit_seconds": fit_seconds,
        "tflop": training_flops_per_image(estimator.model_) * len(X) * estimator.epochs / 1e12,
        "temperature": estimator.temperatures_[str(getattr(estimator, "tta", None))],
        "after": probability_scores(y_test, calibrated, classes),
        "before": probability_scores(y_test, raw, classes),
    }
    if keep_proba:
        result["proba"] = {"after": calibrated.round(5).tolist(), "before": raw.round(5).tolist(),
                           "y": y_test.tolist()}
    return result


def run_seeds(model, seeds, jobs, n_train, toy):
    """Each seed's result; ``jobs`` seeds at once, each with one TensorFlow thread when > 1."""
    env = {"SKFMNIST_NUM_THREADS": "1"} if jobs > 1 else None
    results = []
    for start in range(0, len(seeds), jobs):
        workers = [start_worker(fit_and_measure, env, model=model, seed=seed, n_train=n_train,
                                toy=toy, keep_proba=seed == seeds[0])
                   for seed in seeds[start:start + jobs]]
        results += [worker_result(worker) for worker in workers]
    return results


def summarise(model, runs):
    mean = statistics.mean
    row = {"model": MODELS[model], "seeds": len(runs),
           "accuracy": mean(run["accuracy"] for run in runs),
           "accuracy_per_seed": [run["accuracy"] for run in runs],
           "tflop": runs[0]["tflop"], "fit_seconds": mean(run["fit_seconds"] for run in runs),
           "temperature": mean(run["temperature"] for run in runs)}
    for when in ("before", "after"):
        for metric in METRICS:
            row[f"{metric}_{when}"] = mean(run[when][metric] for run in runs)
    row["ece_after_worst_seed"] = max(run["after"]["ece"] for run in runs)
    return row


def plot(probabilities, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from skfmnist.plotting import plot_reliability_diagram

    fig, axes = plt.subplots(len(probabilities), 2, figsize=(9, 4 * len(probabilities)),
                             squeeze=False)
    for row, (model, proba) in zip(axes, probabilities.items()):
        for ax, when in zip(row, ("before", "after")):
            plot_reliability_diagram(np.asarray(proba["y"]), np.asarray(proba[when]), ax=ax)
            label = "calibration=None" if when == "before" else "as shipped (calibrated)"
            ax.set_title(f"{MODELS[model]}, {label}\n{ax.get_title()}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="fast,default,mlp",
                        help=f"comma-separated, from {', '.join(MODELS)}")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2,
                        help="seeds trained at once (one TensorFlow thread each when > 1)")
    parser.add_argument("--quick", action="store_true", help="2,000 training images")
    parser.add_argument("--toy", action="store_true", help="random images: plumbing only")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    models = args.models.split(",")
    rows, probabilities = [], {}
    for model in models:
        runs = run_seeds(model, list(range(args.seeds)), args.jobs,
                         2000 if args.quick else None, args.toy)
        probabilities[model] = runs[0].pop("proba")
        rows.append(summarise(model, runs))
        print(rows[-1], flush=True)
    columns = [("model", "model"), ("seeds", "seeds"), ("accuracy", "test accuracy"),
               ("tflop", "train TFLOP"), ("fit_seconds", "fit s"),
               ("temperature", "temperature"),
               ("ece_before", "ECE uncalibrated"), ("ece_after", "ECE calibrated"),
               ("ece_after_worst_seed", "ECE calibrated, worst seed"),
               ("log_loss_before", "log-loss uncalibrated"),
               ("log_loss_after", "log-loss calibrated"),
               ("brier_before", "Brier uncalibrated"), ("brier_after", "Brier calibrated")]
    notes = ["", "Command: python -m benchmarks.calibration " + " ".join(argv or sys.argv[1:]),
             "", "Test accuracy on the 10,000 test images (the same with and without "
             "calibration: it never changes the predicted class), mean over seeds. "
             "Uncalibrated: the same fitted network with calibration=None. ECE: 15 equal-width "
             "bins of the top-1 confidence. Brier: mean squared error of the probability rows "
             "against one-hot targets. With --jobs 2 the seeds train at once, one TensorFlow "
             "thread each, so fit seconds are those of a 1-thread fit beside another.",
             "", "![Reliability diagrams](calibration.png)"]
    print(write_results("calibration", "Accuracy and calibration of the shipped estimators",
                        columns, rows, notes, out_dir=args.out))
    plot(probabilities, f"{args.out}/calibration.png")


if __name__ == "__main__":
    main()
