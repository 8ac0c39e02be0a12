"""The default CNN's training recipe, one ingredient changed at a time, on the full split.

    python -m benchmarks.ablation                      # every row, 2 seeds (hours on 2 cores)
    python -m benchmarks.ablation --only base,onecycle --seeds 1
    python -m benchmarks.ablation --quick              # 1 epoch on 2,000 images: a smoke test

Every row trains ``FashionCNN`` on all 60,000 training images, each seed in its own process,
and reports test accuracy on the 10,000 test images three times: as trained, with flip
test-time augmentation (``tta="flip"``: the same fitted network, predicted on each image and its
mirror) and with ``tta="flip_shift"`` (also their one-pixel shifts); none needs training.
Compute is 3 x forward FLOPs x images x epochs, so rows from hosts of different speed compare.
Results go to ``benchmarks/results/ablation.{json,md}``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

from benchmarks._common import RESULTS, write_results

# The 2026-11-23 default, written out so that the rows keep their meaning when defaults change.
BASE = dict(conv_filters=(32, 64, 128), dense_units=128, augment="flip", label_smoothing=0.1,
            lr_schedule="cosine", learning_rate=1e-3, batch_size=128, epochs=15,
            ema_momentum=None, tta=None)
ONECYCLE = dict(lr_schedule="onecycle", learning_rate=2e-3)
VARIANTS = {
    "base": ("2026-11-23 default: flips, label smoothing 0.1, cosine, Adam 1e-3", {}),
    "no_flip": ("without random flips", dict(augment=None)),
    "smoothing_0.2": ("label smoothing 0.2", dict(label_smoothing=0.2)),
    "onecycle": ("one-cycle learning rate, peak 2e-3 at 23 %", ONECYCLE),
    "onecycle_ema": ("one-cycle + weight EMA 0.999", dict(ONECYCLE, ema_momentum=0.999)),
    "batch_256": ("batch size 256, learning rate 2e-3", dict(batch_size=256,
                                                             learning_rate=2e-3)),
    "recipe": ("one-cycle + label smoothing 0.2", dict(ONECYCLE, label_smoothing=0.2)),
    "onecycle_16": ("one-cycle over 16 epochs (the 2026-11-24 default's training)",
                    dict(ONECYCLE, epochs=16)),
    "onecycle_erase": ("one-cycle + random erasing 0.5", dict(ONECYCLE, random_erasing=0.5)),
    "onecycle_16_lr_4e-3": ("one-cycle over 16 epochs, peak 4e-3",
                            dict(ONECYCLE, epochs=16, learning_rate=4e-3)),
    "onecycle_16_batch_256": ("one-cycle over 16 epochs, batch 256, peak 4e-3",
                              dict(ONECYCLE, epochs=16, batch_size=256, learning_rate=4e-3)),
    "onecycle_16_dropout_0.3": ("one-cycle over 16 epochs, dropout 0.3",
                                dict(ONECYCLE, epochs=16, dropout=0.3)),
    "best_onecycle_16": ("FashionCNN.best()'s network (two convolutions per block, Dense 256) "
                         "trained as the default: one-cycle over 16 epochs",
                         dict(ONECYCLE, epochs=16, convs_per_block=2, dense_units=256)),
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
accuracy = {}
for key, tta in (("accuracy", None), ("accuracy_tta", "flip"),
                 ("accuracy_shift_tta", "flip_shift")):
    accuracy[key] = clf.set_params(fashioncnn__tta=tta).score(X_test, y_test)
flops = training_flops_per_image(clf[-1].model_) * len(X) * clf[-1].epochs
print(json.dumps({**accuracy, "fit_seconds": fit_seconds, "tflop": flops / 1e12}))
"""


def run_seeds(variant, seeds, quick, jobs):
    """Each seed's result; with ``jobs`` > 1 that many seeds train at once, each process
    limited to one TensorFlow thread (on 2 cores, two such fits finish sooner than two 2-thread
    fits one after the other, but each one's fit seconds are longer)."""
    params = {**BASE, **VARIANTS[variant][1]}
    n_train = 2000 if quick else 60000
    if quick:
        params["epochs"] = 1
    env = {**os.environ, "SKFMNIST_NUM_THREADS": "1"} if jobs > 1 else None
    results = []
    for start in range(0, len(seeds), jobs):
        workers = [subprocess.Popen([sys.executable, "-c", RUN_ONE, json.dumps(params),
                                     str(seed), str(n_train)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=env)
                   for seed in seeds[start:start + jobs]]
        for worker in workers:
            stdout, stderr = worker.communicate()
            if worker.returncode:
                raise RuntimeError(f"{variant} failed:\n{stderr[-3000:]}")
            results.append(json.loads(stdout.strip().splitlines()[-1]))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated variants: " + ", ".join(VARIANTS))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=1,
                        help="seeds trained at once, one TensorFlow thread each (default 1)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    names = args.only.split(",") if args.only else list(VARIANTS)
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    rows = []
    for name in names:  # each row's seeds in turn, results written after every row
        runs = run_seeds(name, range(1 if args.quick else args.seeds), args.quick, args.jobs)
        fit = statistics.median(r["fit_seconds"] for r in runs)
        tflop = runs[0]["tflop"]
        rows.append({
            "variant": f"`{name}` {VARIANTS[name][0]}",
            "accuracy": statistics.mean(r["accuracy"] for r in runs),
            "accuracy_tta": statistics.mean(r["accuracy_tta"] for r in runs),
            "accuracy_shift_tta": statistics.mean(r["accuracy_shift_tta"] for r in runs),
            "seeds": ", ".join(f"{r['accuracy']:.4f}/{r['accuracy_tta']:.4f}/"
                               f"{r['accuracy_shift_tta']:.4f}" for r in runs),
            "fit_s": fit, "tflop": tflop, "gflops": 1000 * tflop / fit,
            "runs": runs,
        })
        markdown = write_results(
            "ablation", "The default CNN's recipe, one change at a time",
            [("variant", "variant"), ("accuracy", "test acc"), ("accuracy_tta", "with flip TTA"),
             ("accuracy_shift_tta", "with flip+shift TTA"),
             ("seeds", "per seed (plain/flip/flip+shift)"), ("fit_s", "fit s"),
             ("tflop", "train TFLOP"), ("gflops", "GFLOP/s")],
            rows, out_dir=args.out,
            notes=["", f"Command: python -m benchmarks.ablation {' '.join(argv or sys.argv[1:])}",
                   "Each row: FashionCNN with the 2026-11-23 default's parameters plus the "
                   "change, all 60,000 training images, accuracy on the 10,000 test images "
                   "(mean over seeds 0..n-1); fit s is the median; train TFLOP = 3 x forward "
                   "FLOPs x images x epochs."]
            + ([f"--jobs {args.jobs}: {args.jobs} seeds trained at once, one TensorFlow thread "
                "each, so fit s is longer than a fit alone on the machine."]
               if args.jobs > 1 else []))
        print(markdown, flush=True)
    return rows


if __name__ == "__main__":
    main()
