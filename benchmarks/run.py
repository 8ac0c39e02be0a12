"""Accuracy and speed on the full 60,000/10,000 split.

    python -m benchmarks.run                  # everything (2 to 4 hours on 2 cores, by CPU)
    python -m benchmarks.run --quick          # 1 epoch on 2,000 images, 1 seed: a smoke test
    python -m benchmarks.run --only mlp_simple,cnn_lenet
    python -m benchmarks.run --only best_cnn --seeds 1   # one seed where two take too long

For each configuration: test accuracy (mean and spread over seeds), fit seconds, seconds per
epoch, inference images per second, peak memory (RSS), and for the CNNs the achieved training
FLOP/s. Every skfmnist preset is trained side by side with the same network written in plain Keras
(no wrapper, NumPy arrays, the notebooks' way) to measure what the wrapper costs. Each run is a
separate process (:func:`run_one`), so memory and TensorFlow state do not leak between rows.
Results go to ``benchmarks/results/accuracy_speed.{json,md}``.
"""

import argparse
import json
import statistics
import sys
import time

import numpy as np
import sklearn.base

from benchmarks._common import (RESULTS, call_worker, cpuinfo, load_split, machine,
                                peak_rss_mib, write_results)

# name -> (kind, seeds, repeats): kind is "skfmnist", "keras" or "sklearn"
CONFIGS = {
    "mlp_simple": ("skfmnist", "FashionMLP.simple()"),
    "mlp_simple_keras": ("keras", "same network, plain Keras"),
    "cnn_lenet": ("skfmnist", "FashionCNN.lenet()"),
    "cnn_lenet_keras": ("keras", "same network, plain Keras"),
    "cnn_small": ("skfmnist", "FashionCNN.small()"),
    "cnn_small_keras": ("keras", "same network, plain Keras"),
    "cnn_deep_bn": ("skfmnist", "FashionCNN.deep_bn()"),
    "cnn_deep_bn_keras": ("keras", "same network, plain Keras"),
    "sklearn_mlp": ("sklearn", "MLPClassifier(128), adam, batch 32, 10 epochs"),
    "default_mlp": ("skfmnist", "FashionMLP() default"),
    "default_cnn": ("skfmnist", "FashionCNN() default"),
    "best_cnn": ("skfmnist", "FashionCNN.best()"),
}
SHORT = {"mlp_simple", "mlp_simple_keras", "sklearn_mlp", "default_mlp"}  # timed 3 times
HEADLINE = {"default_mlp", "default_cnn", "best_cnn"}  # several seeds (--seeds)


def make_estimator(name, epochs):
    """The skfmnist estimator of configuration ``name`` (or of its plain-Keras twin's preset),
    with ``epochs`` unless None."""
    from skfmnist import FashionCNN, FashionMLP

    base = name.removesuffix("_keras")
    factory = {
        "mlp_simple": FashionMLP.simple, "cnn_lenet": FashionCNN.lenet,
        "cnn_small": FashionCNN.small, "cnn_deep_bn": FashionCNN.deep_bn,
        "default_mlp": FashionMLP, "default_cnn": FashionCNN, "best_cnn": FashionCNN.best,
    }[base]
    estimator = factory()
    if epochs is not None:
        estimator.set_params(epochs=epochs)
    return estimator


def _plain_keras_model(name):
    """The preset's network written directly in Keras, as the notebooks do."""
    import keras
    from keras import layers

    inputs = [keras.Input((784,))]
    if name == "mlp_simple_keras":
        stack = [layers.Dense(128, activation="relu")]
    else:
        stack = [layers.Reshape((28, 28, 1))]
        if name == "cnn_lenet_keras":
            stack += [layers.Conv2D(20, 5, padding="same", activation="relu",
                                    kernel_initializer="he_uniform"), layers.MaxPooling2D(2),
                      layers.Conv2D(50, 5, padding="same", activation="relu",
                                    kernel_initializer="he_uniform"), layers.MaxPooling2D(2),
                      layers.Flatten(), layers.Dense(500, activation="relu",
                                                     kernel_initializer="he_uniform")]
        elif name == "cnn_small_keras":
            stack += [layers.Conv2D(64, 3, activation="relu", kernel_initializer="he_uniform"),
                      layers.MaxPooling2D(2, padding="same"),
                      layers.Conv2D(64, 3, activation="relu", kernel_initializer="he_uniform"),
                      layers.MaxPooling2D(2, padding="same"), layers.Flatten(),
                      layers.Dense(128, activation="relu", kernel_initializer="he_uniform")]
        else:  # deep_bn
            for filters in (32, 64, 128):
                stack += [layers.Conv2D(filters, 3, padding="same", use_bias=False,
                                        kernel_initializer="he_uniform"),
                          layers.BatchNormalization(momentum=0.9), layers.Activation("relu"),
                          layers.MaxPooling2D(2, padding="same")]
            stack += [layers.Flatten(), layers.Dense(128, use_bias=False,
                                                     kernel_initializer="he_uniform"),
                      layers.BatchNormalization(momentum=0.9), layers.Activation("relu"),
                      layers.Dropout(0.5)]
    model = keras.Sequential(inputs + stack + [layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def training_flops_per_image(model):
    """Multiply-adds of one forward pass x 2 FLOPs x 3 (forward + two backward products)."""
    flops = 0
    for layer in model.layers:
        config = layer.get_config()
        if type(layer).__name__ == "Conv2D":
            _, height, width, out_channels = layer.output.shape
            in_channels = layer.input.shape[-1]
            kh, kw = config["kernel_size"]
            flops += 2 * height * width * kh * kw * in_channels * out_channels
        elif type(layer).__name__ == "Dense":
            flops += 2 * layer.input.shape[-1] * config["units"]
    return 3 * flops


def training_tflop(estimator, n_images, epochs):
    """Training compute of ``estimator``'s network: :func:`training_flops_per_image` x
    ``n_images`` x ``epochs``, in TFLOP. The network is built (``initialize`` on 20 random rows
    of 10 classes), not trained."""
    rng = np.random.default_rng(0)
    X, y = rng.random((20, 784), dtype=np.float32), np.arange(20) % 10
    network = sklearn.base.clone(estimator).initialize(X, y).model_
    return training_flops_per_image(network) * n_images * epochs / 1e12


def run_one(name, seed, epochs, n_train=None, toy=False):
    """Train configuration ``name`` on ``n_train`` training images (all for None; see
    :func:`~benchmarks._common.load_split` for ``toy``) in this process and evaluate it on the
    test images; return its measurements. The child-process entry point of :func:`main`."""
    import keras

    from skfmnist import ImagePreprocessor

    X_train, y_train, X_test, y_test = load_split(n_train, toy)
    kind = CONFIGS[name][0]
    if kind == "skfmnist":
        from sklearn.pipeline import make_pipeline

        estimator = make_estimator(name, epochs).set_params(random_state=seed)
        clf = make_pipeline(ImagePreprocessor(), estimator)
        n_epochs = estimator.epochs
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
        predict, model = clf.predict, estimator.model_
    elif kind == "keras":
        keras.utils.set_random_seed(seed)
        reference = make_estimator(name, epochs)
        n_epochs, batch_size = reference.epochs, reference.batch_size
        model = _plain_keras_model(name)
        start = time.perf_counter()  # from the raw images, as the pipeline's timing is
        model.fit(X_train / np.float32(255), y_train, batch_size=batch_size, epochs=n_epochs,
                  verbose=0)
        fit_seconds = time.perf_counter() - start
        def predict(X):  # noqa: E306
            return model.predict(X / np.float32(255), batch_size=batch_size, verbose=0).argmax(1)
    else:
        from sklearn.neural_network import MLPClassifier

        n_epochs = epochs or 10
        model = None
        mlp = MLPClassifier(hidden_layer_sizes=(128,), batch_size=32, max_iter=n_epochs,
                            random_state=seed)
        start = time.perf_counter()
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # max_iter reached: epochs are fixed on purpose
            mlp.fit(X_train / 255.0, y_train)
        fit_seconds = time.perf_counter() - start
        def predict(X):  # noqa: E306
            return mlp.predict(X / 255.0)
    accuracy = float(np.mean(predict(X_test) == y_test))
    inference = []
    for _ in range(3):
        start = time.perf_counter()
        predict(X_test)
        inference.append(time.perf_counter() - start)
    result = {
        "name": name, "seed": seed, "epochs": n_epochs, "accuracy": accuracy,
        "fit_seconds": fit_seconds, "seconds_per_epoch": fit_seconds / n_epochs,
        "images_per_second": len(X_test) / statistics.median(inference),
        "peak_rss_mib": peak_rss_mib(),
    }
    if model is not None and "cnn" in name:
        flops = training_flops_per_image(model) * len(X_train) * n_epochs
        result["train_gflops"] = flops / fit_seconds / 1e9
    return result


def _cpu_peak_gflops():
    """Nominal fp32 peak: cores x clock x FLOP/cycle of two fused multiply-add units as wide as
    the widest vector extension (Intel's AVX-512: 512 bits; AMD runs AVX-512 on 256-bit units)."""
    try:
        mhz = float(cpuinfo()["cpu MHz"])
    except (KeyError, ValueError):
        return None
    host = machine()
    isa = host["vector_isa"]
    intel = host["cpu_id"].startswith("GenuineIntel")
    full_width_512 = intel and isa.startswith(("AVX-512", "AMX"))
    bits = 512 if full_width_512 else 256 if isa != "SSE or none" else 128
    flops_per_cycle = 2 * 2 * bits // 32  # two FMA units, 2 FLOPs per fp32 lane
    return host["cores"] * mhz * 1e6 * flops_per_cycle / 1e9


def summarise(name, runs):
    accuracies = [run["accuracy"] for run in runs]
    return {
        "configuration": f"`{name}` {CONFIGS[name][1]}",
        "accuracy": statistics.mean(accuracies),
        "spread": (max(accuracies) - min(accuracies)) if len(runs) > 1 else None,
        "runs": len(runs),
        "accuracy_each": accuracies,
        "fit_seconds_each": [run["fit_seconds"] for run in runs],
        "fit_s": statistics.median(run["fit_seconds"] for run in runs),
        "s_per_epoch": statistics.median(run["seconds_per_epoch"] for run in runs),
        "images_per_s": statistics.median(run["images_per_second"] for run in runs),
        "peak_rss_mib": max(run["peak_rss_mib"] for run in runs),
        "train_gflops": statistics.median(run["train_gflops"] for run in runs)
        if "train_gflops" in runs[0] else None,
    }


def _side_by_side(names):
    """``names`` in groups: a preset with its plain-Keras twin when both are selected."""
    groups = []
    for name in names:
        if name.endswith("_keras") and name.removesuffix("_keras") in names:
            continue
        groups.append([name] + [twin for twin in [f"{name}_keras"] if twin in names])
    return groups


def _seeds(name, quick, headline_seeds):
    if quick:
        return [0]
    if name in HEADLINE:
        return list(range(headline_seeds))
    return [0, 0, 0] if name in SHORT else [0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="1 epoch on 2,000 training images, 1 seed, 1 repeat")
    parser.add_argument("--toy", action="store_true",
                        help="random images of 3 classes instead of Fashion-MNIST: checks the "
                             "plumbing without the dataset (accuracy is chance)")
    parser.add_argument("--only", help="comma-separated configuration names")
    parser.add_argument("--epochs", type=int, help="override every configuration's epochs")
    parser.add_argument("--seeds", type=int, default=2,
                        help="seeds for the headline rows %s (default 2)" % sorted(HEADLINE))
    parser.add_argument("--out", default=RESULTS,
                        help="results folder (default benchmarks/results)")
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else args.epochs
    n_train = 2000 if args.quick else None
    names = args.only.split(",") if args.only else list(CONFIGS)
    rows = {}
    for group in _side_by_side(names):
        runs = {name: [] for name in group}
        for seed in _seeds(group[0], args.quick, args.seeds):
            for name in group:  # a preset and its plain-Keras twin alternate
                runs[name].append(call_worker(run_one, name=name, seed=seed, epochs=epochs,
                                              n_train=n_train, toy=args.toy))
                print(json.dumps(runs[name][-1]), file=sys.stderr, flush=True)  # progress
        for name in group:
            rows[name] = summarise(name, runs[name])
        if len(group) == 2:
            rows[group[0]]["vs_keras"] = statistics.median(
                ours["fit_seconds"] / theirs["fit_seconds"]
                for ours, theirs in zip(runs[group[0]], runs[group[1]]))
        # Written after every group: a run of hours that stops early keeps what it measured.
        markdown = _write([rows[name] for name in names if name in rows], args.out)
    print(markdown)


def _write(rows, out_dir):
    peak = _cpu_peak_gflops()
    notes = ["", "fit s: median over runs; accuracy: mean over seeds (spread = max - min); "
             "vs Keras: skfmnist fit time / plain Keras fit time (both from the raw uint8 images, "
             "scaling included), median over runs made alternately in this run.",
             f"train GFLOP/s: 3 x forward FLOPs x images x epochs / fit time; nominal fp32 peak of "
             f"this CPU {peak:.0f} GFLOP/s (cores x clock x two FMA units)." if peak else ""]
    return write_results(
        "accuracy_speed", "Accuracy and speed, full 60,000/10,000 split",
        [("configuration", "configuration"), ("accuracy", "test acc"), ("spread", "spread"),
         ("runs", "runs"), ("fit_s", "fit s"), ("s_per_epoch", "s/epoch"),
         ("vs_keras", "vs Keras"), ("images_per_s", "predict img/s"),
         ("peak_rss_mib", "peak RSS MiB"), ("train_gflops", "train GFLOP/s")],
        rows, notes, out_dir=out_dir)


if __name__ == "__main__":
    main()
