"""Where one training epoch's time goes: the default CNN with one thing changed at a time.

    python -m benchmarks.profile_epoch [--samples 12000] [--epochs 4] [--rounds 2] [--only ...]

Each variant trains ``--epochs`` epochs in its own process on ``--samples`` training images; the
median of the epochs after the first (tracing and start-up excluded) is scaled to 60,000 images.
The variants take turns, ``--rounds`` times, and each reports its median over rounds: on a shared
host, single epochs of the same network vary by 20 % from minute to minute. Removing a part
(batch-norm, dropout, a conv block) shows its share of the epoch; the other rows show what batch
size, TensorFlow's threads, bfloat16 mixed precision and data types cost or save.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

from benchmarks._common import write_results

# name -> (what changes, FashionCNN parameters, environment)
VARIANTS = {
    "default": ("FashionCNN() as it ships", {}, {}),
    "no_bn": ("without batch-norm", {"batch_norm": False}, {}),
    "keras_bn": ("Keras's BatchNormalization instead of the fused layer", {},
                 {"SKFMNIST_PROFILE_KERAS_BN": "1"}),
    "conv_dropout": ("dropout 0.1 after each conv block (the former default)",
                     {"conv_dropout": 0.1}, {}),
    "two_blocks": ("conv blocks (32, 64) only", {"conv_filters": (32, 64)}, {}),
    "batch_256": ("batch size 256", {"batch_size": 256}, {}),
    "batch_64": ("batch size 64", {"batch_size": 64}, {}),
    "one_thread": ("TensorFlow limited to 1 thread", {}, {"SKFMNIST_NUM_THREADS": "1"}),
    "bfloat16": ("Keras mixed_bfloat16 policy", {}, {"SKFMNIST_PROFILE_POLICY": "mixed_bfloat16"}),
    "no_augment": ("without flips or label smoothing", {"augment": None, "label_smoothing": 0.0,
                                                        "tta": None},
                   {}),
    "flip_shift": ("flips and shifts", {"augment": "flip_shift"}, {}),
}

_WORKER = """
import json, os, sys, time
import keras
from skfmnist import FashionCNN, _builders as builders, fetch_fashion_mnist
if os.environ.get("SKFMNIST_PROFILE_KERAS_BN"):
    builders.FusedBatchNormalization = keras.layers.BatchNormalization
if os.environ.get("SKFMNIST_PROFILE_POLICY"):
    keras.mixed_precision.set_global_policy(os.environ["SKFMNIST_PROFILE_POLICY"])

class EpochTimer(keras.callbacks.Callback):
    seconds = []
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)

params, samples, epochs = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
X, y = (X[:samples] / 255.0).astype("float32"), y[:samples]
FashionCNN(**params, epochs=epochs, random_state=0, callbacks=[EpochTimer()]).fit(X, y)
print(json.dumps(EpochTimer.seconds))
"""


def run_variant(name, samples, epochs):
    """Median seconds of an epoch after the first, scaled to 60,000 images."""
    _, params, env = VARIANTS[name]
    output = subprocess.run(
        [sys.executable, "-c", _WORKER, json.dumps(params), str(samples), str(epochs)],
        capture_output=True, text=True, check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
    )
    epoch_seconds = json.loads(output.stdout.strip().splitlines()[-1])
    return statistics.median(epoch_seconds[1:]) * 60000 / samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=12000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", help="comma-separated variant names")
    parser.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(VARIANTS)
    seconds = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            seconds[name].append(run_variant(name, args.samples, args.epochs))
            print(name, f"{seconds[name][-1]:.1f} s", flush=True)
    baseline = statistics.median(seconds[names[0]])
    rows = [{"variant": f"`{name}` {VARIANTS[name][0]}",
             "seconds": statistics.median(runs), "runs": ", ".join(f"{s:.1f}" for s in runs),
             "ratio": statistics.median(runs) / baseline} for name, runs in seconds.items()]
    notes = ["", f"Seconds of one epoch over 60,000 images: median of epochs 2-{args.epochs} on "
             f"{args.samples} images, scaled; median over {args.rounds} rounds (runs: each "
             "round's value); ratio of medians to the first row."]
    kwargs = {"out_dir": args.out} if args.out else {}
    print(write_results("profile_epoch", "One CNN training epoch, one change at a time",
                        [("variant", "variant"), ("seconds", "s/epoch (60k)"),
                         ("runs", "runs"), ("ratio", "vs first row")], rows, notes, **kwargs))


if __name__ == "__main__":
    main()
