"""
Learning-rate finder
====================

Grow the learning rate exponentially while training and watch the loss: it falls, flattens,
then explodes. A good rate sits well before the explosion; the finder suggests a tenth of the
rate at the lowest loss.
"""

from sklearn.pipeline import make_pipeline

from skfmnist import FashionCNN, ImagePreprocessor, fetch_fashion_mnist, find_learning_rate

N_TRAIN = 2000

X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
pipe = make_pipeline(ImagePreprocessor(), FashionCNN(conv_filters=(16, 32), batch_size=32,
                                                     random_state=0))
finder = find_learning_rate(pipe, X[:N_TRAIN], y[:N_TRAIN], min_lr=1e-5, max_lr=1.0)
print(f"suggested learning rate: {finder.suggested_learning_rate:.1e}")
finder.plot()

# %%
# Use it: the estimator's ``learning_rate`` parameter.
pipe.set_params(fashioncnn__learning_rate=finder.suggested_learning_rate)
