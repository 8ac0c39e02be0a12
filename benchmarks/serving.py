"""Prediction cost of a fitted default pipeline, measured side by side in one run.

    python -m benchmarks.serving [--rows 200000] [--repeats 50] [--out DIR]

Rows (written to ``serving.{md,json}``):

- one image through ``predict_proba``: skfmnist's path (the network called through one traced
  function, calibrated), with the default flip test-time augmentation (two views), with flips
  and one-pixel shifts as ``best()`` predicts (ten) and without, next to Keras's
  ``Model.predict`` on the same scaled row;
- 10,000 images: throughput of each;
- ``--rows`` images (200,000 by default): the peak memory ``predict_proba`` adds, in a fresh
  process, against the size of the input as float32.

The network is the default ``FashionCNN()`` architecture trained for one epoch on 2,000 images:
prediction cost does not depend on how well it was trained.
"""

import argparse
import statistics
import tempfile
import time

from benchmarks._common import RESULTS, call_worker, peak_rss_mib, write_results

# (tta, how the rows name it): the default first.
TTA_LABELS = [("flip", "default (flip TTA: two views)"),
              ("flip_shift", "tta='flip_shift', as best() (ten views)"),
              (None, "tta=None (one pass)")]


def one_image_case(label):
    return f"1 image, predict_proba, {label}"


def batch_case(label):
    return f"10,000 images, predict_proba, {label}"


def memory_growth(path, rows):
    """Growth of this process's peak resident memory over one ``predict_proba`` of ``rows``
    random images by the pipeline saved at ``path``, against the size of the input as float32
    (MiB); the child-process entry point of :func:`main`, so that the peak is this call's."""
    import numpy as np

    import skfmnist

    clf = skfmnist.load(path)
    X = np.random.default_rng(0).integers(0, 256, size=(rows, 784), dtype=np.uint8)
    clf.predict_proba(X[:10])  # TensorFlow started, the function traced: the baseline
    before = peak_rss_mib()
    clf.predict_proba(X)
    return {"grown_mib": peak_rss_mib() - before, "float32_input_mib": X.size * 4 / 2**20}


def _median_ms(function, repeats):
    function()  # first call: tracing, data-pipeline set-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _seconds(function, repeats=3):
    function()
    return statistics.median(_timed(function) for _ in range(repeats))


def _timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.pipeline import make_pipeline

    import skfmnist
    from skfmnist import FashionCNN, ImagePreprocessor, fetch_fashion_mnist

    X, y = fetch_fashion_mnist(subset="test", return_X_y=True)
    clf = make_pipeline(ImagePreprocessor(), FashionCNN(epochs=1, random_state=0))
    clf.fit(X[:2000], y[:2000])
    network, scaled = clf[-1].model_, clf[0].transform(X)
    one, one_scaled = X[:1], scaled[:1]
    rows = []
    for tta, label in TTA_LABELS:
        clf.set_params(fashioncnn__tta=tta)  # a prediction-time parameter: same network
        rows.append({"case": one_image_case(label),
                     "ms": _median_ms(lambda: clf.predict_proba(one), args.repeats)})
        seconds = _seconds(lambda: clf.predict_proba(X))
        rows.append({"case": batch_case(label), "ms": 1000 * seconds,
                     "images_per_s": len(X) / seconds})
    rows.append({"case": "1 image, keras Model.predict (before; one pass)", "ms": _median_ms(
        lambda: network.predict(one_scaled, verbose=0), args.repeats)})
    seconds = _seconds(lambda: network.predict(scaled, batch_size=128, verbose=0))
    rows.append({"case": "10,000 images, keras Model.predict, batch 128 (before; one pass)",
                 "ms": 1000 * seconds, "images_per_s": len(X) / seconds})
    clf.set_params(fashioncnn__calibration=None)  # tta=None, uncalibrated: the same function
    np.testing.assert_allclose(clf.predict_proba(X[:100]),
                               network.predict(scaled[:100], verbose=0), rtol=1e-5, atol=1e-6)
    clf.set_params(fashioncnn__calibration="temperature")
    clf.set_params(fashioncnn__tta="flip")
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/model.skfmnist"
        skfmnist.save(clf, path)
        memory = call_worker(memory_growth, path=path, rows=args.rows)
    rows.append({"case": f"{args.rows:,} images, predict_proba: peak memory added (MiB)",
                 "peak_mib": memory["grown_mib"],
                 "input_ratio": memory["grown_mib"] / memory["float32_input_mib"]})
    markdown = write_results(
        "serving", "Prediction cost of a fitted default pipeline",
        [("case", "case"), ("ms", "median ms"), ("images_per_s", "images/s"),
         ("peak_mib", "peak MiB added"), ("input_ratio", "x float32 input")],
        rows, out_dir=args.out,
        notes=["", f"Command: python -m benchmarks.serving --rows {args.rows} --repeats "
                   f"{args.repeats}. One image: median of {args.repeats} calls after a first "
                   "one; 10,000 images: median of 3 after a first; memory: growth of the peak "
                   "resident size of a fresh process over one predict_proba call."])
    print(markdown)


if __name__ == "__main__":
    main()
