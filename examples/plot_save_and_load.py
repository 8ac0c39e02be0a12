"""
Saving and loading models
=========================

``joblib.dump`` works as for any scikit-learn model, but loading a pickle runs whatever code the
file names. ``skfmnist.save``/``skfmnist.load`` write a file that is safe to share: skops for the
scikit-learn side, Keras's native format (loaded in safe mode) for the network.
"""

import tempfile
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline

import skfmnist
from skfmnist import FashionMLP, ImagePreprocessor, fetch_fashion_mnist
from skfmnist.plotting import plot_probabilities

N_TRAIN, N_TEST, EPOCHS = 3000, 500, 3

X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
X_test, _ = fetch_fashion_mnist(subset="test", return_X_y=True)
clf = make_pipeline(ImagePreprocessor(), FashionMLP(epochs=EPOCHS, random_state=0))
clf.fit(X[:N_TRAIN], y[:N_TRAIN])

path = Path(tempfile.mkdtemp()) / "mlp.skfmnist"
skfmnist.save(clf, path)
loaded = skfmnist.load(path)
X_test = X_test[:N_TEST]
same = np.array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB, identical predictions: {same}")

# %%
# The loaded model in use: one test image and its class probabilities.
plot_probabilities(loaded, X_test[0])
