"""
Classification report, confusion matrix and mistakes
====================================================

Which classes does the network confuse? Shirts with T-shirts and coats, mostly.
"""

from sklearn.metrics import classification_report
from sklearn.pipeline import make_pipeline

from skfmnist import CLASS_NAMES, FashionCNN, ImagePreprocessor, fetch_fashion_mnist
from skfmnist.plotting import plot_confusion_matrix, plot_history, plot_predictions

N_TRAIN, N_TEST, EPOCHS = 3000, 1000, 3

X_train, y_train = fetch_fashion_mnist(subset="train", return_X_y=True)
X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
X_test, y_test = X_test[:N_TEST], y_test[:N_TEST]
clf = make_pipeline(ImagePreprocessor(),
                    FashionCNN(epochs=EPOCHS, validation_split=0.1, random_state=0))
clf.fit(X_train[:N_TRAIN], y_train[:N_TRAIN])
print(classification_report(y_test, clf.predict(X_test), target_names=CLASS_NAMES))

# %%
# Training and validation curves.
plot_history(clf)

# %%
# The confusion matrix, normalised by true class: each row sums to 1.
plot_confusion_matrix(clf, X_test, y_test, normalize="true")

# %%
# Predictions on test images: green when right, red with the true class when wrong.
plot_predictions(clf, X_test, y_test, n_images=20)
