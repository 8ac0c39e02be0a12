"""
What the convolution layers see
===============================

The activations (feature maps) of each convolution block for a few test images: early layers
respond to edges and textures, later ones to coarser parts of the garment.
"""

from sklearn.pipeline import make_pipeline

from skfmnist import FashionCNN, ImagePreprocessor, fetch_fashion_mnist
from skfmnist.plotting import plot_feature_maps

N_TRAIN, EPOCHS = 2000, 2

X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
clf = make_pipeline(ImagePreprocessor(), FashionCNN(epochs=EPOCHS, tta=None, random_state=0))
clf.fit(X[:N_TRAIN], y[:N_TRAIN])
print(clf[-1].summary())

# %%
# Two images (an ankle boot and a T-shirt), eight channels of each convolution's activation.
plot_feature_maps(clf, X[[0, 1]], n_maps=8)
