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
import statistics
import time

from benchmarks._common import RESULTS, call_worker, load_split, write_results
from skfmnist import FashionCNN
from skfmnist.layers import FusedBatchNormalization

import keras  # noqa: E402,I001  (after skfmnist, which applies the thread limit)

# name -> (what changes, FashionCNN parameters, worker options, environment)
VARIANTS = {
    "default": ("FashionCNN() as it ships", {}, {}, {}),
    "no_bn": ("without batch-norm", {"batch_norm": False}, {}, {}),
    "keras_bn": ("Keras's BatchNormalization instead of the fused layer", {},
                 {"keras_batch_norm": True}, {}),
    "conv_dropout": ("dropout 0.1 after each conv block (the former default)",
                     {"conv_dropout": 0.1}, {}, {}),
    "two_blocks": ("conv blocks (32, 64) only", {"conv_filters": (32, 64)}, {}, {}),
    "batch_256": ("batch size 256", {"batch_size": 256}, {}, {}),
    "batch_64": ("batch size 64", {"batch_size": 64}, {}, {}),
    "one_thread": ("TensorFlow limited to 1 thread", {}, {}, {"SKFMNIST_NUM_THREADS": "1"}),
    "bfloat16": ("Keras mixed_bfloat16 policy", {}, {"policy": "mixed_bfloat16"}, {}),
    "no_augment": ("without flips or label smoothing", {"augment": None, "label_smoothing": 0.0,
                                                        "tta": None},
                   {}, {}),
    "flip_shift": ("flips and shifts", {"augment": "flip_shift"}, {}, {}),
}


def epoch_seconds(params, samples, epochs, keras_batch_norm=False, policy=None, toy=False):
    """Seconds of each epoch, scaled to 60,000 images, of ``FashionCNN(**params)`` trained
    ``epochs`` epochs on ``samples`` training images (``toy``: see
    :func:`~benchmarks._common.load_split`); with ``keras_batch_norm``, Keras's
    BatchNormalization in place of skfmnist's fused layer; with
    ``policy``, under that Keras mixed-precision policy. The child-process entry point of
    :func:`run_variant` (the policy is process-wide)."""
    if policy:
        keras.mixed_precision.set_global_policy(policy)
    seconds = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.start)

    X, y, _, _ = load_split(samples, toy)
    estimator = KerasBatchNormCNN if keras_batch_norm else FashionCNN
    estimator(**params, epochs=epochs, random_state=0, callbacks=[EpochTimer()]).fit(
        (X / 255.0).astype("float32"), y)
    return [s * 60000 / len(X) for s in seconds]


class KerasBatchNormCNN(FashionCNN):
    """FashionCNN with Keras's own BatchNormalization in place of skfmnist's fused layer: what
    the fused kernel saves."""

    def _build_network(self, X, seed):
        return keras.models.clone_model(super()._build_network(X, seed),
                                        clone_function=_keras_batch_norm)


def _keras_batch_norm(layer):
    """A fresh copy of ``layer`` (``clone_model``'s default), a Keras BatchNormalization of
    the same configuration for a fused one."""
    kind = (keras.layers.BatchNormalization if isinstance(layer, FusedBatchNormalization)
            else type(layer))
    return kind.from_config(layer.get_config())


def run_variant(name, samples, epochs, toy=False):
    """Median seconds of an epoch after the first, scaled to 60,000 images."""
    _, params, options, env = VARIANTS[name]
    seconds = call_worker(epoch_seconds, env, params=params, samples=samples, epochs=epochs,
                          toy=toy, **options)
    return statistics.median(seconds[1:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=12000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", help="comma-separated variant names")
    parser.add_argument("--toy", action="store_true",
                        help="random images of 3 classes instead of Fashion-MNIST: checks the "
                             "plumbing without the dataset")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(VARIANTS)
    seconds = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            seconds[name].append(run_variant(name, args.samples, args.epochs, args.toy))
            print(name, f"{seconds[name][-1]:.1f} s", flush=True)
    baseline = statistics.median(seconds[names[0]])
    rows = [{"variant": f"`{name}` {VARIANTS[name][0]}",
             "seconds": statistics.median(runs), "runs": ", ".join(f"{s:.1f}" for s in runs),
             "ratio": statistics.median(runs) / baseline} for name, runs in seconds.items()]
    notes = ["", f"Seconds of one epoch over 60,000 images: median of epochs 2-{args.epochs} on "
             f"{args.samples} images, scaled; median over {args.rounds} rounds (runs: each "
             "round's value); ratio of medians to the first row."]
    print(write_results("profile_epoch", "One CNN training epoch, one change at a time",
                        [("variant", "variant"), ("seconds", "s/epoch (60k)"),
                         ("runs", "runs"), ("ratio", "vs first row")], rows, notes,
                        out_dir=args.out))


if __name__ == "__main__":
    main()
