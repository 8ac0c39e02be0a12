"""
K-fold cross-validation
=======================

``cross_val_score`` with ``KFold`` works unchanged: each fold clones the pipeline and trains a
fresh network. Because the estimators are classifiers to scikit-learn, ``cv=5`` alone would
even use stratified folds.
"""

import matplotlib.pyplot as plt
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skfmnist import FashionMLP, ImagePreprocessor, fetch_fashion_mnist

N_TRAIN, EPOCHS = 3000, 3

X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
X, y = X[:N_TRAIN], y[:N_TRAIN]
pipe = make_pipeline(ImagePreprocessor(), FashionMLP(epochs=EPOCHS, random_state=0))
scores = cross_val_score(pipe, X, y, cv=KFold(n_splits=3, shuffle=True, random_state=0))
print("fold accuracies:", scores.round(3), f"mean {scores.mean():.3f} +- {scores.std():.3f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.bar([f"fold {i + 1}" for i in range(len(scores))], scores)
ax.axhline(scores.mean(), color="tab:red", linestyle="--", label="mean")
ax.set_ylim(0.5, 1)
ax.set_ylabel("accuracy")
ax.legend()
