"""
MLP versus CNN
==============

The notebooks' two families, trained on the same images: a multi-layer perceptron sees pixels as
an unordered vector, a convolutional network sees neighbourhoods. Compare accuracy and cost.
"""

import time

import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline

from skfmnist import FashionCNN, FashionMLP, ImagePreprocessor, fetch_fashion_mnist

N_TRAIN, N_TEST, EPOCHS = 3000, 1000, 3

X_train, y_train = fetch_fashion_mnist(subset="train", return_X_y=True)
X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
X_train, y_train = X_train[:N_TRAIN], y_train[:N_TRAIN]
X_test, y_test = X_test[:N_TEST], y_test[:N_TEST]

results = {}
for name, network in [("MLP 512-256", FashionMLP(epochs=EPOCHS, random_state=0)),
                      ("CNN 16-32-64 x2", FashionCNN(epochs=EPOCHS, random_state=0))]:
    clf = make_pipeline(ImagePreprocessor(), network)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    results[name] = (clf.score(X_test, y_test), time.perf_counter() - start)
    print(f"{name}: accuracy {results[name][0]:.3f}, fit {results[name][1]:.1f} s")

# %%
fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
ax_acc.bar(list(results), [accuracy for accuracy, _ in results.values()], color="tab:green")
ax_acc.set_ylabel("test accuracy")
ax_acc.set_ylim(0.5, 1)
ax_time.bar(list(results), [seconds for _, seconds in results.values()])
ax_time.set_ylabel("fit seconds")
