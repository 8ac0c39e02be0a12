"""
Quickstart: from raw images to a classification report
=======================================================

Load Fashion-MNIST, look at it, train a CNN inside a scikit-learn pipeline and evaluate it.
The :class:`~skfmnist.ImagePreprocessor` step scales training and test images the same way, so
the classic "forgot to scale the test set, got 10 %" mistake cannot happen.
"""

# %%
# The data: 28x28 greyscale images, 10 classes of clothing.
from sklearn.metrics import classification_report
from sklearn.pipeline import make_pipeline

from skfmnist import CLASS_NAMES, FashionCNN, ImagePreprocessor, fetch_fashion_mnist
from skfmnist.plotting import plot_samples

N_TRAIN, N_TEST, EPOCHS = 3000, 1000, 3

X_train, y_train = fetch_fashion_mnist(subset="train", return_X_y=True)
X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
print(X_train.shape, X_train.dtype, X_test.shape)
plot_samples(X_train, y_train, n_images=20)

# %%
# A pipeline: reshape and scale, then the default CNN (fewer epochs here).
clf = make_pipeline(ImagePreprocessor(), FashionCNN(epochs=EPOCHS, random_state=0))
clf.fit(X_train[:N_TRAIN], y_train[:N_TRAIN])

# %%
# Per-class precision, recall and F1 on the first test images, with class names.
print(classification_report(y_test[:N_TEST], clf.predict(X_test[:N_TEST]),
                            target_names=CLASS_NAMES))
