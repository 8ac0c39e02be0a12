"""The default CNN's training recipe, one ingredient changed at a time, on the full split.

    python -m benchmarks.ablation                      # every row, 2 seeds (hours on 2 cores)
    python -m benchmarks.ablation --only base,onecycle --seeds 1
    python -m benchmarks.ablation --only base --seeds 2 --first-seed 2   # seeds 2 and 3
    python -m benchmarks.ablation --tier fast          # the rows of one tier (fast/default/best)
    python -m benchmarks.ablation --quick              # 1 epoch on 2,000 images: a smoke test

Every row trains ``FashionCNN`` on all 60,000 training images, each seed in its own process
(:func:`fit_and_score`), and reports test accuracy on the 10,000 test images three times: as
trained, with flip test-time augmentation (``tta="flip"``: the same fitted network, predicted on
each image and its mirror) and with ``tta="flip_shift"`` (also their one-pixel shifts); none
needs training. Compute is 3 x forward FLOPs x images x epochs, so rows from hosts of different
speed compare. Results go to ``benchmarks/results/ablation.{json,md}``.

The tiers are the points of the accuracy-compute frontier (``python -m benchmarks.frontier``):
each has its own row, the recipe it ships with, and rows that try to beat it at about its
compute.
"""

import argparse
import statistics
import sys
import time

from benchmarks._common import RESULTS, load_split, start_worker, worker_result, write_results

# The 2026-11-23 default, written out so that the rows keep their meaning when defaults change:
# trained on all the training rows (no calibration hold-out), scored under each tta.
BASE = dict(conv_filters=(32, 64, 128), convs_per_block=1, dense_units=128, dropout=0.5,
            augment="flip", label_smoothing=0.1,
            lr_schedule="cosine", learning_rate=1e-3, batch_size=128, epochs=15,
            ema_momentum=None, tta=None, calibration=None, lookahead=None,
            patch_whitening=False, batch_norm_scale=True)
ONECYCLE = dict(lr_schedule="onecycle", learning_rate=2e-3)
# The 2026-11-24 default's training, one-cycle over 16 epochs, on the BASE network (today's
# FashionCNN() trains so too, on its own network: row onecycle_16_two_convs_half_width).
DEFAULT = dict(ONECYCLE, epochs=16)
# Today's FashionCNN(): the 2026-11-24 best()'s network at half the width, the fast tier's
# training.
TODAY = dict(DEFAULT, conv_filters=(16, 32, 64), convs_per_block=2, dense_units=256,
             learning_rate=4e-3, dropout=0.1)
# The default network and training over 3 epochs (8.3 TFLOP), the fast tier's first candidate.
FAST = dict(DEFAULT, epochs=3)
# The 13-epoch fast network: narrower convolutions trained longer at a higher rate
# (FashionCNN.fast() adds dropout 0.1).
FAST_PRESET = dict(FAST, conv_filters=(16, 32, 64), epochs=13, learning_rate=4e-3)
VARIANTS = {
    "base": ("2026-11-23 default: flips, label smoothing 0.1, cosine, Adam 1e-3", {}),
    "no_flip": ("without random flips", dict(augment=None)),
    "smoothing_0.2": ("label smoothing 0.2", dict(label_smoothing=0.2)),
    "onecycle": ("one-cycle learning rate, peak 2e-3 at 23 %", ONECYCLE),
    "onecycle_ema": ("one-cycle + weight EMA 0.999", dict(ONECYCLE, ema_momentum=0.999)),
    "batch_256": ("batch size 256, learning rate 2e-3", dict(batch_size=256,
                                                             learning_rate=2e-3)),
    "recipe": ("one-cycle + label smoothing 0.2", dict(ONECYCLE, label_smoothing=0.2)),
    "onecycle_16": ("one-cycle over 16 epochs (the 2026-11-24 default's training)", DEFAULT),
    "onecycle_erase": ("one-cycle + random erasing 0.5", dict(ONECYCLE, random_erasing=0.5)),
    "onecycle_16_lr_4e-3": ("one-cycle over 16 epochs, peak 4e-3",
                            dict(DEFAULT, learning_rate=4e-3)),
    "onecycle_16_batch_256": ("one-cycle over 16 epochs, batch 256, peak 4e-3",
                              dict(DEFAULT, batch_size=256, learning_rate=4e-3)),
    "onecycle_16_dropout_0.3": ("one-cycle over 16 epochs, dropout 0.3",
                                dict(DEFAULT, dropout=0.3)),
    "onecycle_16_smoothing_0.2_shift": (
        "one-cycle over 16 epochs, label smoothing 0.2, flips + shifts (airbench's final "
        "recipe's smoothing and translation)",
        dict(DEFAULT, label_smoothing=0.2, augment="flip_shift")),
    "onecycle_16_sgd_l2": ("one-cycle over 16 epochs, Nesterov SGD peak 0.1, L2 5e-4",
                           dict(DEFAULT, optimizer="sgd", learning_rate=0.1, l2=5e-4)),
    "best_onecycle_16": ("two convolutions per block (32/64/128), Dense 256, one-cycle over 16 "
                         "epochs: the 2026-11-24 FashionCNN.best()",
                         dict(DEFAULT, convs_per_block=2, dense_units=256)),
    "fast": ("the default network and training over 3 epochs", FAST),
    "fast_batch_256": ("3 epochs, batch 256, peak 4e-3",
                       dict(FAST, batch_size=256, learning_rate=4e-3)),
    "fast_blocks_32_64": ("conv blocks (32, 64) only, 6 epochs (9.2 TFLOP)",
                          dict(FAST, conv_filters=(32, 64), epochs=6)),
    "fast_width_24": ("conv blocks (24, 48, 96), 6 epochs (9.6 TFLOP)",
                      dict(FAST, conv_filters=(24, 48, 96), epochs=6)),
    "fast_width_16": ("conv blocks (16, 32, 64), 12 epochs",
                      dict(FAST, conv_filters=(16, 32, 64), epochs=12)),
    "fast_width_16_lr_4e-3": ("conv blocks (16, 32, 64), 12 epochs, peak 4e-3",
                              dict(FAST, conv_filters=(16, 32, 64), epochs=12,
                                   learning_rate=4e-3)),
    "fast_width_16_lr_4e-3_13": ("conv blocks (16, 32, 64), 13 epochs, peak 4e-3 (the "
                                 "13-epoch fast network and training)", FAST_PRESET),
    "fast_13_dropout_0.25": ("the 13-epoch fast network and training, dropout 0.25",
                             dict(FAST_PRESET, dropout=0.25)),
    "fast_13_batch_64": ("the 13-epoch fast network and training, batch 64",
                         dict(FAST_PRESET, batch_size=64)),
    "fast_13_lr_6e-3": ("the 13-epoch fast network and training, peak 6e-3",
                        dict(FAST_PRESET, learning_rate=6e-3)),
    "fast_13_dropout_0.1": ("the 13-epoch fast network and training, dropout 0.1: "
                            "FashionCNN.fast()",
                            dict(FAST_PRESET, dropout=0.1)),
    "fast_13_dropout_0.25_alternating_flip": (
        "the 13-epoch fast network and training, dropout 0.25, alternating flips",
        dict(FAST_PRESET, dropout=0.25, augment="alternating_flip")),
    "onecycle_16_width_24_28": ("conv blocks (24, 48, 96), one-cycle over 28 epochs, peak 4e-3 "
                                "(the default's compute)",
                                dict(DEFAULT, conv_filters=(24, 48, 96), epochs=28,
                                     learning_rate=4e-3)),
    "onecycle_16_width_24_28_dropout_0.1": (
        "conv blocks (24, 48, 96), one-cycle over 28 epochs, peak 4e-3, dropout 0.1 (the "
        "default's compute)",
        dict(DEFAULT, conv_filters=(24, 48, 96), epochs=28, learning_rate=4e-3, dropout=0.1)),
    "onecycle_16_erase": ("one-cycle over 16 epochs, random erasing 0.5",
                          dict(DEFAULT, random_erasing=0.5)),
    "onecycle_16_two_convs_half_width": (
        "the 2026-11-24 best()'s network at half the width (16/32/64 filters, two convolutions "
        "per block, Dense 256), one-cycle over 16 epochs, peak 4e-3, dropout 0.1: FashionCNN()",
        TODAY),
    "best_two_convs_half_width_64": ("FashionCNN()'s network and training over 64 epochs",
                                     dict(TODAY, epochs=64)),
    "onecycle_16_alternating_flip": ("one-cycle over 16 epochs, alternating flips",
                                     dict(DEFAULT, augment="alternating_flip")),
    "onecycle_16_two_convs_half_width_shift_erase": (
        "FashionCNN()'s network and training with best()'s augmentation: flips + shifts, "
        "random erasing 0.5", dict(TODAY, augment="flip_shift", random_erasing=0.5)),
    "best_two_convs_half_width_64_shift_erase": (
        "FashionCNN()'s network and training over 64 epochs, flips + shifts, random erasing 0.5: "
        "FashionCNN.best()",
        dict(TODAY, epochs=64, augment="flip_shift", random_erasing=0.5)),
    "onecycle_16_two_convs_half_width_cutmix_0.5": (
        "FashionCNN()'s network and training, cutmix 0.5", dict(TODAY, cutmix=0.5)),
    "onecycle_16_two_convs_half_width_sgd_batch_512": (
        "FashionCNN()'s network and training with Nesterov SGD, batch 512, peak 0.4, L2 2.5e-4 "
        "(weight decay 5e-4)",
        dict(TODAY, optimizer="sgd", batch_size=512, learning_rate=0.4, l2=2.5e-4)),
    "onecycle_16_two_convs_half_width_lookahead": (
        "FashionCNN()'s network and training with Lookahead (every 5 steps, halfway)",
        dict(TODAY, lookahead=5)),
    "onecycle_16_two_convs_half_width_whitening": (
        "FashionCNN()'s network and training, the first convolution a frozen 3x3 patch "
        "whitening (18 filters)", dict(TODAY, patch_whitening=True)),
    "onecycle_16_two_convs_half_width_bn_shift_only": (
        "FashionCNN()'s network and training, batch-norm without its learned scale",
        dict(TODAY, batch_norm_scale=False)),
    "onecycle_16_two_convs_half_width_alternating_flip": (
        "FashionCNN()'s network and training with alternating flips",
        dict(TODAY, augment="alternating_flip")),
    "best_two_convs_half_width_64_shift_erase_cutmix_0.5": (
        "FashionCNN.best() with cutmix 0.5",
        dict(TODAY, epochs=64, augment="flip_shift", random_erasing=0.5, cutmix=0.5)),
    "best_two_convs_half_width_64_shift_erase_sgd_batch_512": (
        "FashionCNN.best() with Nesterov SGD, batch 512, peak 0.4, L2 2.5e-4",
        dict(TODAY, epochs=64, augment="flip_shift", random_erasing=0.5, optimizer="sgd",
             batch_size=512, learning_rate=0.4, l2=2.5e-4)),
}
# tier -> (its row, the test-time augmentation it predicts with, the rows of its view). A row
# over the tier's budget is not in its view: onecycle_16_two_convs_half_width_whitening's 18
# whitened channels take it over the default's.
TIERS = {
    "fast": ("fast_13_dropout_0.1", "flip",
             ["fast_13_dropout_0.1", "fast_width_16_lr_4e-3_13", "fast", "fast_batch_256",
              "fast_blocks_32_64", "fast_width_24", "fast_width_16", "fast_width_16_lr_4e-3",
              "fast_13_dropout_0.25", "fast_13_batch_64", "fast_13_lr_6e-3",
              "fast_13_dropout_0.25_alternating_flip"]),
    "default": ("onecycle_16_two_convs_half_width", "flip",
                ["onecycle_16_two_convs_half_width", "onecycle_16", "onecycle_16_lr_4e-3",
                 "onecycle_16_batch_256", "onecycle_16_dropout_0.3",
                 "onecycle_16_smoothing_0.2_shift", "onecycle_16_sgd_l2",
                 "onecycle_16_width_24_28", "onecycle_16_width_24_28_dropout_0.1",
                 "onecycle_16_erase", "onecycle_16_alternating_flip",
                 "onecycle_16_two_convs_half_width_cutmix_0.5",
                 "onecycle_16_two_convs_half_width_sgd_batch_512",
                 "onecycle_16_two_convs_half_width_shift_erase",
                 "onecycle_16_two_convs_half_width_lookahead",
                 "onecycle_16_two_convs_half_width_bn_shift_only",
                 "onecycle_16_two_convs_half_width_alternating_flip"]),
    "best": ("best_two_convs_half_width_64_shift_erase", "flip_shift",
             ["best_two_convs_half_width_64_shift_erase", "best_onecycle_16",
              "best_two_convs_half_width_64",
              "best_two_convs_half_width_64_shift_erase_sgd_batch_512",
              "best_two_convs_half_width_64_shift_erase_cutmix_0.5"]),
}
# Each tta's column in the results.
ACCURACY_COLUMNS = {None: "accuracy", "flip": "accuracy_tta", "flip_shift": "accuracy_shift_tta"}


def fit_and_score(params, seed, n_train=None, toy=False):
    """Fit ``FashionCNN(**params)`` with ``random_state=seed`` on ``n_train`` training images
    (all for None; ``toy``: see :func:`~benchmarks._common.load_split`) and score it on the
    test images under each test-time augmentation; the child-process entry point of
    :func:`run_seeds`."""
    from sklearn.pipeline import make_pipeline

    from benchmarks.run import training_flops_per_image
    from skfmnist import FashionCNN, ImagePreprocessor

    X, y, X_test, y_test = load_split(n_train, toy)
    params = dict(params, conv_filters=tuple(params["conv_filters"]))  # JSON made it a list
    clf = make_pipeline(ImagePreprocessor(), FashionCNN(**params, random_state=seed))
    start = time.perf_counter()
    clf.fit(X, y)
    fit_seconds = time.perf_counter() - start
    accuracy = {column: clf.set_params(fashioncnn__tta=tta).score(X_test, y_test)
                for tta, column in ACCURACY_COLUMNS.items()}
    flops = training_flops_per_image(clf[-1].model_) * len(X) * clf[-1].epochs
    return {**accuracy, "fit_seconds": fit_seconds, "tflop": flops / 1e12}


def variant_params(variant, quick=False):
    """The FashionCNN parameters of row ``variant`` (1 epoch with ``quick``)."""
    params = {**BASE, **VARIANTS[variant][1]}
    return dict(params, epochs=1) if quick else params


def run_seeds(variant, seeds, quick, jobs, toy=False):
    """Each seed's result; with ``jobs`` > 1 that many seeds train at once, each process
    limited to one TensorFlow thread (on 2 cores, two such fits finish sooner than two 2-thread
    fits one after the other, but each one's fit seconds are longer)."""
    params = variant_params(variant, quick)
    n_train = 2000 if quick else None
    env = {"SKFMNIST_NUM_THREADS": "1"} if jobs > 1 else None
    results = []
    for start in range(0, len(seeds), jobs):
        workers = [start_worker(fit_and_score, env, params=params, seed=seed, n_train=n_train,
                                toy=toy)
                   for seed in seeds[start:start + jobs]]
        results += [worker_result(worker) for worker in workers]
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    rows_wanted = parser.add_mutually_exclusive_group()
    rows_wanted.add_argument("--only", help="comma-separated variants: " + ", ".join(VARIANTS))
    rows_wanted.add_argument("--tier", choices=list(TIERS),
                             help="the rows of one tier: its own row first, then the rows that "
                                  "try to beat it at about its compute")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="the first seed (default 0): more seeds for rows measured before")
    parser.add_argument("--jobs", type=int, default=1,
                        help="seeds trained at once, one TensorFlow thread each (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help="1 epoch on 2,000 training images, 1 seed: a smoke test")
    parser.add_argument("--toy", action="store_true",
                        help="random images of 3 classes instead of Fashion-MNIST: checks the "
                             "plumbing without the dataset (accuracy is chance)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    names = (TIERS[args.tier][2] if args.tier
             else args.only.split(",") if args.only else list(VARIANTS))
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown} in --only; choose from {list(VARIANTS)}")
    rows = []
    for name in names:  # each row's seeds in turn, results written after every row
        seeds = range(args.first_seed, args.first_seed + (1 if args.quick else args.seeds))
        runs = run_seeds(name, seeds, args.quick, args.jobs, args.toy)
        rows.append(summarise(name, runs, variant_params(name, args.quick)))
        markdown = write_results(
            "ablation", "The default CNN's recipe, one change at a time",
            [("variant", "variant"), ("accuracy", "test acc"), ("accuracy_tta", "with flip TTA"),
             ("accuracy_shift_tta", "with flip+shift TTA"),
             ("seeds", "per seed (plain/flip/flip+shift)"), ("fit_s", "fit s"),
             ("tflop", "train TFLOP"), ("gflops", "GFLOP/s")],
            rows, out_dir=args.out, notes=_notes(args, argv))
        print(markdown, flush=True)
    return rows


def summarise(name, runs, params):
    """The row of variant ``name`` from its seeds' ``runs``."""
    fit, tflop = statistics.median(r["fit_seconds"] for r in runs), runs[0]["tflop"]
    return {
        "variant": f"`{name}` {VARIANTS[name][0]}",
        **{column: statistics.mean(r[column] for r in runs)
           for column in ACCURACY_COLUMNS.values()},
        "seeds": ", ".join("/".join(f"{r[column]:.4f}" for column in ACCURACY_COLUMNS.values())
                           for r in runs),
        "fit_s": fit, "tflop": tflop, "gflops": 1000 * tflop / fit,
        "params": params, "runs": runs,
    }


def _notes(args, argv):
    data = ("random toy images" if args.toy
            else "2,000 training images, 1 epoch" if args.quick else "all 60,000 training images")
    last_seed = args.first_seed + (1 if args.quick else args.seeds) - 1
    notes = ["", f"Command: python -m benchmarks.ablation {' '.join(argv or sys.argv[1:])}",
             f"Each row: FashionCNN with the 2026-11-23 default's parameters plus the change "
             f"(the JSON file lists each row's parameters), {data}, accuracy on the test images "
             f"(mean over seeds {args.first_seed}..{last_seed}); fit s is the median; train "
             "TFLOP = 3 x forward FLOPs x images x epochs."]
    if args.jobs > 1:
        notes.append(f"--jobs {args.jobs}: {args.jobs} seeds trained at once, one TensorFlow "
                     "thread each, so fit s is longer than a fit alone on the machine.")
    return notes


if __name__ == "__main__":
    main()
