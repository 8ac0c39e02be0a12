"""The same grid search sequentially and on Dask clusters of 1 and 2 single-threaded workers.

    python -m benchmarks.scaling [--samples 6000] [--epochs 2] [--batch-size 128] [--repeats 3]

(a) sequential: one process, TensorFlow's default threads (all cores);
(b) a LocalCluster with 1 worker x 1 thread; (c) 2 workers x 1 thread.
Each worker's TensorFlow uses one thread: Dask's nanny sets OMP_NUM_THREADS=1, which skfmnist
applies to TensorFlow. The data is scattered to the workers once. Also reports each worker's
peak memory (RSS) for a fit on the full 60,000 training images, and how much two single-threaded
fits running at the same time slow each other down on this machine (shared caches and memory).
"""

import argparse
import contextlib
import os

if __name__ == "__main__":
    # The sequential baseline must keep TensorFlow's defaults, whatever the shell says.
    for _name in ("OMP_NUM_THREADS", "SKFMNIST_NUM_THREADS"):
        os.environ.pop(_name, None)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import statistics  # noqa: E402
import time  # noqa: E402

import joblib  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from benchmarks._common import (load_split, peak_rss_mib, start_worker,  # noqa: E402
                                worker_result, write_results)
from skfmnist import FashionCNN, FashionMLP, ImagePreprocessor, fetch_fashion_mnist  # noqa: E402

GRID = {"fashioncnn__kernel_size": [3, 5], "fashioncnn__batch_norm": [True, False]}


def make_cnn(epochs, batch_size):
    return FashionCNN(conv_filters=(16, 32), dense_units=64, epochs=epochs,
                      batch_size=batch_size, random_state=0)


def make_search(epochs, batch_size):
    cnn = make_cnn(epochs, batch_size)
    # refit=False: time the search itself; the refit is one sequential fit in every setup.
    return GridSearchCV(make_pipeline(ImagePreprocessor(), cnn), GRID, cv=2, refit=False)


def start_cluster(stack, n_workers):
    """A LocalCluster of ``n_workers`` single-threaded worker processes and its client."""
    from distributed import Client, LocalCluster

    cluster = stack.enter_context(LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                               processes=True, dashboard_address=None))
    return stack.enter_context(Client(cluster, set_as_default=False))


def search_seconds(X, y, epochs, batch_size, client=None):
    """Wall seconds of one search: in this process, or on ``client``'s cluster (data scattered)."""
    search = make_search(epochs, batch_size)
    start = time.perf_counter()
    if client is None:
        search.fit(X, y)
    else:
        with joblib.parallel_backend("dask", client=client, scatter=[X, y]):
            search.fit(X, y)
    return time.perf_counter() - start


def _median_ratio(reference, runs):
    return statistics.median(r / s for r, s in zip(reference, runs))


def full_data_worker_memory(X, y):
    """Peak RSS of 2 workers fitting an MLP each on all 60,000 images (scattered once)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        search = GridSearchCV(make_pipeline(ImagePreprocessor(), FashionMLP(epochs=1)),
                              {"fashionmlp__hidden_layer_sizes": [(256, 128), (512,)]},
                              cv=[(np.arange(len(X)), np.arange(1000))])
        with joblib.parallel_backend("dask", scatter=[X, y]):
            search.fit(X, y)
        return sorted(client.run(peak_rss_mib).values())


def one_fit_seconds(samples, epochs, batch_size, toy=False):
    """Seconds of one fit of the search's CNN on ``samples`` training images (``toy``: see
    :func:`~benchmarks._common.load_split`), after a first short fit that starts TensorFlow
    and traces the network; the child-process entry point of :func:`contention`."""
    X, y, _, _ = load_split(samples, toy)
    X = X / 255.0
    make_cnn(1, batch_size).fit(X[:300], y[:300])
    start = time.perf_counter()
    make_cnn(epochs, batch_size).fit(X, y)
    return time.perf_counter() - start


def contention(samples, epochs, batch_size, toy=False):
    """Seconds of one single-threaded fit alone, and of each of two run at the same time."""
    def start():
        # Each fit on a fold's training half, as in the search.
        return start_worker(one_fit_seconds, {"SKFMNIST_NUM_THREADS": "1"},
                            samples=samples // 2, epochs=epochs, batch_size=batch_size, toy=toy)

    alone = worker_result(start())
    pair = [start(), start()]
    return alone, [worker_result(process) for process in pair]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args(argv)
    X_all, y_all = fetch_fashion_mnist(subset="train", return_X_y=True)
    X, y = X_all[:args.samples], y_all[:args.samples]

    setups = [("(a) sequential, 1 process, TensorFlow default threads", None),
              ("(b) Dask, 1 worker x 1 thread", 1), ("(c) Dask, 2 workers x 1 thread", 2)]
    seconds = {label: [] for label, _ in setups}
    with contextlib.ExitStack() as stack:
        clients = {label: start_cluster(stack, n_workers) if n_workers else None
                   for label, n_workers in setups}
        for client in clients.values():  # start TensorFlow in this process and every worker
            search_seconds(X[:600], y[:600], 1, args.batch_size, client)
        # Interleaved repeats: a slow minute on a shared host hits every setup alike.
        for _ in range(args.repeats):
            for label, client in clients.items():
                seconds[label].append(search_seconds(X, y, args.epochs, args.batch_size, client))
    a, b = setups[0][0], setups[1][0]
    rows = [{"setup": label, "seconds": statistics.median(runs),
             "runs": ", ".join(f"{s:.1f}" for s in runs),
             "speed-up vs (a)": _median_ratio(seconds[a], runs),
             "speed-up vs (b)": _median_ratio(seconds[b], runs)}
            for label, runs in seconds.items()]
    notes = [f"\nGrid: {GRID} x 2 folds = 8 fits of FashionCNN(conv_filters=(16, 32), "
             f"epochs={args.epochs}, batch_size={args.batch_size}) on {args.samples} images; "
             f"search without refit; median of {args.repeats} runs.",
             "Speed-ups: median over repeats of the ratio of wall times within one repeat; "
             "the three setups run in turn within each repeat, each cluster started once.",
             f"(c) vs (b): {rows[2]['speed-up vs (b)']:.2f}x; (c) vs (a): "
             f"{rows[2]['speed-up vs (a)']:.2f}x."]
    alone, pair = contention(args.samples, args.epochs, args.batch_size)
    notes.append(f"One single-threaded fit alone: {alone:.2f} s; two at the same time: "
                 + ", ".join(f"{s:.2f} s" for s in pair)
                 + f" (each {statistics.mean(pair) / alone:.2f}x slower: shared caches/memory).")
    if not args.skip_memory:
        memory = full_data_worker_memory(X_all, y_all)
        notes.append("Peak RSS per worker, FashionMLP fit on all 60,000 images: "
                     + ", ".join(f"{m:.0f} MiB" for m in memory) + ".")
    print(write_results(
        f"scaling_batch{args.batch_size}",
        f"Grid search: sequential vs Dask LocalCluster (batch size {args.batch_size})",
        [("setup", "setup"), ("seconds", "wall s (median)"), ("runs", "runs (s)"),
         ("speed-up vs (a)", "vs (a)"), ("speed-up vs (b)", "vs (b)")],
        rows, notes))


if __name__ == "__main__":
    main()
