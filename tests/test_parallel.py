"""The estimators inside scikit-learn's meta-estimators, with n_jobs=2 worker processes."""

import numpy as np
import pytest
from joblib import Parallel, delayed
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline

from skfmnist import ImagePreprocessor

pytestmark = pytest.mark.slow  # searches in worker processes, each importing TensorFlow


@pytest.fixture(scope="module")
def data(small_split):
    X_train, y_train, X_test, y_test = small_split
    return X_train[:1200], y_train[:1200], X_test[:300], y_test[:300]


def _tensorflow_threads_in_worker():
    import os

    from skfmnist import FashionCNN  # noqa: F401  (imports TensorFlow the skfmnist way)
    import tensorflow as tf

    return os.environ.get("OMP_NUM_THREADS"), tf.config.threading.get_intra_op_parallelism_threads()


def test_workers_limit_tensorflow_to_their_share_of_cores():
    results = Parallel(n_jobs=2)(delayed(_tensorflow_threads_in_worker)() for _ in range(2))
    for omp_threads, tf_threads in results:
        assert omp_threads is not None  # set by joblib for its workers
        assert tf_threads == int(omp_threads)


def test_grid_search_n_jobs(data, tiny_mlp):
    X, y, _, _ = data
    pipe = make_pipeline(ImagePreprocessor(), tiny_mlp(epochs=5))
    search = GridSearchCV(pipe, {"fashionmlp__hidden_layer_sizes": [(16,), (32,)]}, cv=2,
                          n_jobs=2).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert search.best_score_ > 0.5


def test_cross_val_score_and_cross_validate_n_jobs(data, tiny_cnn):
    X, y, _, _ = data
    pipe = make_pipeline(ImagePreprocessor(), tiny_cnn(epochs=2))
    scores = cross_val_score(pipe, X, y, cv=2, n_jobs=2)
    assert scores.shape == (2,) and scores.min() > 0.4
    results = cross_validate(pipe, X, y, cv=2, n_jobs=2, return_estimator=True)
    assert [est[-1].n_features_in_ for est in results["estimator"]] == [784, 784]


def test_calibrated_classifier(data, tiny_mlp):
    X, y, X_test, y_test = data
    pipe = make_pipeline(ImagePreprocessor(), tiny_mlp(epochs=5))
    calibrated = CalibratedClassifierCV(pipe, cv=2, n_jobs=2).fit(X, y)
    proba = calibrated.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert calibrated.score(X_test, y_test) > 0.5


def test_soft_voting_with_a_scikit_learn_model(data, tiny_mlp):
    X, y, X_test, y_test = data
    voting = VotingClassifier(
        [("mlp", make_pipeline(ImagePreprocessor(), tiny_mlp(epochs=5))),
         ("logreg", make_pipeline(ImagePreprocessor(), LogisticRegression(max_iter=200)))],
        voting="soft", n_jobs=2,
    ).fit(X, y)
    assert voting.predict_proba(X_test).shape == (300, 10)
    assert voting.score(X_test, y_test) > 0.6
