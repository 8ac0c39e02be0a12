"""The README's main job: train the default FashionCNN on all 60,000 training images.

Run with ``python -m skfmnist.demo [--out DIR] [--epochs N]``. Prints the test accuracy and the
per-class classification report, and saves the fitted pipeline with joblib.
"""

import argparse
import platform
import time
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="cnn-demo", help="folder for the saved model")
    parser.add_argument("--epochs", type=int, default=None, help="override the default epochs")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the network")
    args = parser.parse_args(argv)

    import joblib
    from sklearn.metrics import accuracy_score, classification_report
    from sklearn.pipeline import make_pipeline

    from skfmnist import CLASS_NAMES, FashionCNN, ImagePreprocessor, fetch_fashion_mnist

    X_train, y_train = fetch_fashion_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
    cnn = FashionCNN(random_state=args.seed, verbose=1)
    if args.epochs is not None:
        cnn.set_params(epochs=args.epochs)
    clf = make_pipeline(ImagePreprocessor(), cnn)
    print(f"Training {cnn!r} on {len(X_train):,} images ({platform.processor() or platform.machine()})")
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    y_pred = clf.predict(X_test)
    print(f"\nfit: {fit_seconds:.0f} s; test accuracy: {accuracy_score(y_test, y_pred):.4f}\n")
    print(classification_report(y_test, y_pred, target_names=CLASS_NAMES, digits=4))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(clf, out / "cnn.joblib")
    print(f"saved the fitted pipeline to {out / 'cnn.joblib'}")


if __name__ == "__main__":
    main()
