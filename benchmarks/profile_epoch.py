"""Where one training epoch's time goes: the default CNN with one thing changed at a time.

    python -m benchmarks.profile_epoch [--samples 20000] [--only default,no_bn]

Each variant trains 2 epochs in its own process on ``--samples`` training images; the second
epoch's seconds (tracing and start-up excluded) are scaled to 60,000 images. Removing a part
(batch-norm, dropout, a conv block) shows its share of the epoch; the other rows show what batch
size, TensorFlow's threads, bfloat16 mixed precision and data types cost or save.
"""

import argparse
import json
import os
import subprocess
import sys
import time

from benchmarks._common import write_results

# name -> (what changes, FashionCNN parameters, environment)
VARIANTS = {
    "default": ("FashionCNN() as it ships", {}, {}),
    "no_bn": ("without batch-norm", {"batch_norm": False}, {}),
    "keras_bn": ("Keras's BatchNormalization instead of the fused layer", {},
                 {"SKFMNIST_PROFILE_KERAS_BN": "1"}),
    "no_dropout": ("without dropout", {"conv_dropout": 0.0, "dropout": 0.0}, {}),
    "two_blocks": ("conv blocks (32, 64) only", {"conv_filters": (32, 64)}, {}),
    "batch_256": ("batch size 256", {"batch_size": 256}, {}),
    "batch_64": ("batch size 64", {"batch_size": 64}, {}),
    "one_thread": ("TensorFlow limited to 1 thread", {}, {"SKFMNIST_NUM_THREADS": "1"}),
    "bfloat16": ("Keras mixed_bfloat16 policy", {}, {"SKFMNIST_PROFILE_POLICY": "mixed_bfloat16"}),
    "augment": ("with augmentation (flips, shifts)", {"augment": True}, {}),
}

_WORKER = """
import json, os, sys, time
import keras
from skfmnist import FashionCNN, builders, fetch_fashion_mnist
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

params, samples = json.loads(sys.argv[1]), int(sys.argv[2])
X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
X, y = (X[:samples] / 255.0).astype("float32"), y[:samples]
FashionCNN(**params, epochs=2, random_state=0, callbacks=[EpochTimer()]).fit(X, y)
print(json.dumps(EpochTimer.seconds))
"""


def run_variant(name, samples):
    _, params, env = VARIANTS[name]
    output = subprocess.run(
        [sys.executable, "-c", _WORKER, json.dumps(params), str(samples)],
        capture_output=True, text=True, check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
    )
    epoch_seconds = json.loads(output.stdout.strip().splitlines()[-1])
    return epoch_seconds[-1] * 60000 / samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--only", help="comma-separated variant names")
    parser.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(VARIANTS)
    rows = []
    for name in names:
        seconds = run_variant(name, args.samples)
        rows.append({"variant": f"`{name}` {VARIANTS[name][0]}", "seconds": seconds})
        print(json.dumps(rows[-1]), flush=True)
    baseline = rows[0]["seconds"]
    for row in rows:
        row["ratio"] = row["seconds"] / baseline
    notes = ["", f"Seconds of one epoch over 60,000 images (the second of 2 epochs on "
             f"{args.samples} images, scaled); ratio to the first row; "
             f"{time.strftime('%Y-%m-%d')}."]
    kwargs = {"out_dir": args.out} if args.out else {}
    print(write_results("profile_epoch", "One CNN training epoch, one change at a time",
                        [("variant", "variant"), ("seconds", "s/epoch (60k)"),
                         ("ratio", "vs first row")], rows, notes, **kwargs))


if __name__ == "__main__":
    main()
