"""
Kernel size and strides with GridSearchCV
=========================================

The notebooks compared architectures one hand-written cell at a time. Here the network's
knobs are ordinary estimator parameters, so scikit-learn's GridSearchCV compares them with
cross-validation.
"""

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skfmnist import FashionCNN, ImagePreprocessor, fetch_fashion_mnist

N_TRAIN, EPOCHS = 1200, 2

X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
X, y = X[:N_TRAIN], y[:N_TRAIN]

pipe = make_pipeline(ImagePreprocessor(),
                     FashionCNN(conv_filters=(16, 32), epochs=EPOCHS, batch_size=64,
                                tta=None, random_state=0))
grid = {
    "fashioncnn__kernel_size": [3, 5],
    "fashioncnn__strides": [1, 2],
}
search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
print("best:", search.best_params_, f"{search.best_score_:.3f}")

# %%
results = pd.DataFrame(search.cv_results_)
results["setting"] = [f"kernel {p['fashioncnn__kernel_size']}, stride {p['fashioncnn__strides']}"
                      for p in results["params"]]
results = results.sort_values("mean_test_score")
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.barh(results["setting"], results["mean_test_score"], xerr=results["std_test_score"])
ax.set_xlabel("mean cross-validated accuracy")
