"""The default CNN's training recipe, one ingredient changed at a time, on the full split.

    python -m benchmarks.ablation                      # every row, 2 seeds (hours on 2 cores)
    python -m benchmarks.ablation --only base,onecycle --seeds 1
    python -m benchmarks.ablation --quick              # 1 epoch on 2,000 images: a smoke test

Every row trains ``FashionCNN`` on all 60,000 training images, each seed in its own process,
and reports test accuracy on the 10,000 test images twice: as trained, and with flip test-time
augmentation (``tta="flip"``, which needs no training: the same fitted network, predicted on
each image and its mirror). Compute is 3 x forward FLOPs x images x epochs, so rows from hosts
of different speed compare. Results go to ``benchmarks/results/ablation.{json,md}``.
"""

import argparse
import json
import statistics
import subprocess
import sys

from benchmarks._common import RESULTS, write_results

# The 2026-11-23 default, written out so that the rows keep their meaning when defaults change.
BASE = dict(conv_filters=(32, 64, 128), dense_units=128, augment="flip", label_smoothing=0.1,
            lr_schedule="cosine", learning_rate=1e-3, batch_size=128, epochs=15,
            ema_momentum=None, tta=None)
VARIANTS = {
    "base": ("2026-11-23 default: flips, label smoothing 0.1, cosine, Adam 1e-3", {}),
    "no_flip": ("without random flips", dict(augment=None)),
    "smoothing_0.2": ("label smoothing 0.2", dict(label_smoothing=0.2)),
    "onecycle": ("one-cycle learning rate, peak 2e-3 at 23 % (today's default training)",
                 dict(lr_schedule="onecycle", learning_rate=2e-3)),
    "onecycle_ema": ("one-cycle + weight EMA 0.999", dict(lr_schedule="onecycle",
                                                          learning_rate=2e-3,
                                                          ema_momentum=0.999)),
    "batch_256": ("batch size 256, learning rate 2e-3", dict(batch_size=256,
                                                             learning_rate=2e-3)),
    "recipe": ("one-cycle + label smoothing 0.2",
               dict(lr_schedule="onecycle", learning_rate=2e-3, label_smoothing=0.2)),
}

RUN_ONE = """
import json, sys, time
from sklearn.pipeline import make_pipeline
from skfmnist import FashionCNN, ImagePreprocessor, fetch_fashion_mnist
from benchmarks.run import training_flops_per_image

params, seed, n_train = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
X, y = X[:n_train], y[:n_train]
params["conv_filters"] = tuple(params["conv_filters"])
clf = make_pipeline(ImagePreprocessor(), FashionCNN(**params, random_state=seed))
start = time.perf_counter()
clf.fit(X, y)
fit_seconds = time.perf_counter() - start
plain = clf.score(X_test, y_test)
clf.set_params(fashioncnn__tta="flip")
flops = training_flops_per_image(clf[-1].model_) * len(X) * clf[-1].epochs
print(json.dumps({"accuracy": plain, "accuracy_tta": clf.score(X_test, y_test),
                  "fit_seconds": fit_seconds, "tflop": flops / 1e12}))
"""


def run(variant, seed, quick):
    params = {**BASE, **VARIANTS[variant][1]}
    n_train = 2000 if quick else 60000
    if quick:
        params["epochs"] = 1
    result = subprocess.run([sys.executable, "-c", RUN_ONE, json.dumps(params), str(seed),
                             str(n_train)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated variants: " + ", ".join(VARIANTS))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(VARIANTS)
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    rows = []
    for name in names:  # each row's seeds in turn, results written after every row
        runs = [run(name, seed, args.quick) for seed in range(1 if args.quick else args.seeds)]
        fit = statistics.median(r["fit_seconds"] for r in runs)
        tflop = runs[0]["tflop"]
        rows.append({
            "variant": f"`{name}` {VARIANTS[name][0]}",
            "accuracy": statistics.mean(r["accuracy"] for r in runs),
            "accuracy_tta": statistics.mean(r["accuracy_tta"] for r in runs),
            "seeds": ", ".join(f"{r['accuracy']:.4f}/{r['accuracy_tta']:.4f}" for r in runs),
            "fit_s": fit, "tflop": tflop, "gflops": 1000 * tflop / fit,
            "runs": runs,
        })
        markdown = write_results(
            "ablation", "The default CNN's recipe, one change at a time",
            [("variant", "variant"), ("accuracy", "test acc"), ("accuracy_tta", "with flip TTA"),
             ("seeds", "per seed (plain/TTA)"), ("fit_s", "fit s"), ("tflop", "train TFLOP"),
             ("gflops", "GFLOP/s")],
            rows, out_dir=args.out,
            notes=["", f"Command: python -m benchmarks.ablation {' '.join(argv or sys.argv[1:])}",
                   "Each row: FashionCNN with the 2026-11-23 default's parameters plus the "
                   "change, all 60,000 training images, accuracy on the 10,000 test images "
                   "(mean over seeds 0..n-1); fit s is the median; train TFLOP = 3 x forward "
                   "FLOPs x images x epochs."])
        print(markdown, flush=True)
    return rows


if __name__ == "__main__":
    main()
