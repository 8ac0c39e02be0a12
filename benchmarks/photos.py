"""Accuracy on test images rendered as shop photos, against the same images in dataset form.

    python -m benchmarks.photos --model run/model.skfmnist [--images 1000] [--out DIR]
    python -m benchmarks.photos                       # trains a small FashionCNN first

Each Fashion-MNIST test image is rendered as a photo (``render_photo``): upscaled with bicubic
interpolation to a fraction of the frame's shorter side, turned into a dark garment on a light
background (or a light one on a dark background) with a random ink colour, pasted into an RGB
frame at a random position, given gaussian noise and saved as a JPEG. ``skfmnist predict``'s
reader (``skfmnist.read_images``) turns it back into a 28x28 image. One row per setting: its
accuracy and the ratio to the dataset-form accuracy of the same images. Results go to
``benchmarks/results/photos.{json,md}``.
"""

import argparse
import io
import tempfile
from pathlib import Path

import numpy as np

from benchmarks._common import RESULTS, write_results

# name -> (frame width x height, garment's share of the shorter side (low, high), background,
# centred). Backgrounds: light is 230-250 with a dark ink, dark 10-30 with a light ink.
SETTINGS = {
    "centred square, light": ((300, 300), (0.9, 0.9), "light", True),
    "off-centre 400x300, light": ((400, 300), (0.3, 0.6), "light", False),
    "small 640x480, light": ((640, 480), (0.2, 0.3), "light", False),
    "large 300x225, light": ((300, 225), (0.5, 0.6), "light", False),
    "portrait 300x400, light": ((300, 400), (0.2, 0.6), "light", False),
    "off-centre 400x300, dark": ((400, 300), (0.3, 0.6), "dark", False),
    "small 640x480, dark": ((640, 480), (0.2, 0.3), "dark", False),
}
NOISE_SIGMA = 6.0
JPEG_QUALITY = 85
SIDE_MIN = 28  # the garment is never rendered smaller than the dataset image itself


def render_photo(image, rng, frame=(400, 300), share=0.4, background="light", centred=False,
                 noise=NOISE_SIGMA, quality=JPEG_QUALITY):
    """JPEG bytes of a photo of the 28x28 dataset ``image`` (light garment on black).

    The 28x28 square becomes ``share`` of the frame's shorter side; its position is random
    (or the centre), and so are the background level and the garment's colour.
    """
    from PIL import Image

    width, height = frame
    side = max(SIDE_MIN, round(share * min(width, height)))
    garment = np.asarray(Image.fromarray(np.asarray(image, np.uint8).reshape(28, 28)).resize(
        (side, side), Image.BICUBIC), dtype=np.float64) / 255
    if background == "light":
        level, ink = rng.uniform(230, 250), rng.uniform(0, 60, size=3)
    else:
        level, ink = rng.uniform(10, 30), rng.uniform(200, 255, size=3)
    photo = np.full((height, width, 3), level)
    top, left = ((height - side) // 2, (width - side) // 2) if centred else (
        rng.integers(0, height - side + 1), rng.integers(0, width - side + 1))
    photo[top:top + side, left:left + side] += garment[..., np.newaxis] * (ink - level)
    photo += rng.normal(0, noise, size=photo.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.round(photo), 0, 255).astype(np.uint8)).save(
        buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def render_setting(images, setting, seed, folder):
    """Write each image rendered in ``setting`` to ``folder``; return the paths in order."""
    frame, (low, high), background, centred = SETTINGS[setting]
    rng = np.random.default_rng(seed)
    paths = []
    for index, image in enumerate(images):
        path = Path(folder) / f"{index:05d}.jpg"
        path.write_bytes(render_photo(image, rng, frame, rng.uniform(low, high), background,
                                      centred))
        paths.append(path)
    return paths


def _model(path, epochs):
    import skfmnist

    if path:
        return skfmnist.load(path)
    from sklearn.pipeline import make_pipeline

    X, y = skfmnist.fetch_fashion_mnist(subset="train", return_X_y=True)
    clf = make_pipeline(skfmnist.ImagePreprocessor(),
                        skfmnist.FashionCNN(conv_filters=(16, 32), epochs=epochs, random_state=0))
    return clf.fit(X, y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a saved model (.skfmnist); default: train a small CNN")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs without --model")
    parser.add_argument("--images", type=int, default=1000, help="test images per setting")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    import skfmnist

    X, y = skfmnist.fetch_fashion_mnist(subset="test", return_X_y=True)
    X, y = X[:args.images], y[:args.images]
    clf = _model(args.model, args.epochs)
    dataset_accuracy = float(np.mean(clf.predict(X) == y))
    rows = [{"setting": "dataset form (28x28 arrays)", "accuracy": dataset_accuracy,
             "ratio": 1.0}]
    for seed, setting in enumerate(SETTINGS):
        with tempfile.TemporaryDirectory() as folder:
            images, _, _ = skfmnist.read_images(render_setting(X, setting, seed, folder))
        accuracy = float(np.mean(clf.predict(images) == y))
        frame, share, background, centred = SETTINGS[setting]
        rows.append({"setting": setting, "frame": f"{frame[0]}x{frame[1]}",
                     "share": f"{share[0]:.0%}-{share[1]:.0%}", "background": background,
                     "accuracy": accuracy, "ratio": accuracy / dataset_accuracy})
    model = args.model or f"FashionCNN(conv_filters=(16, 32), epochs={args.epochs}) trained " \
                          "on the 60,000 training images"
    markdown = write_results(
        "photos", "Test images rendered as photos, read by skfmnist predict",
        [("setting", "setting"), ("frame", "frame"), ("share", "garment / shorter side"),
         ("background", "background"), ("accuracy", "accuracy"),
         ("ratio", "x dataset form")],
        rows, out_dir=args.out,
        notes=["", f"Model: {model}. The first {args.images} test images per setting; light "
                   "backgrounds 230-250 with ink 0-60 per channel, dark ones 10-30 with ink "
                   f"200-255; gaussian noise sigma {NOISE_SIGMA:g}, JPEG quality "
                   f"{JPEG_QUALITY}, RGB; positions uniform within the frame. Command: python "
                   "-m benchmarks.photos" + (f" --model {args.model}" if args.model else "")
                   + f" --images {args.images}."])
    print(markdown)


if __name__ == "__main__":
    main()
