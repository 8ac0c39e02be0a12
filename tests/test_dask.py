"""Hyper-parameter search on a real Dask cluster equals the same search run sequentially."""

import json
import os

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skfmnist import FashionCNN, ImagePreprocessor

from ._subprocess import run_python

pytestmark = pytest.mark.slow  # a real Dask cluster with worker processes

distributed = pytest.importorskip("distributed", reason="Dask is the optional extra skfmnist[dask]")

GRID = {"fashioncnn__conv_filters": [(4,), (8,)], "fashioncnn__kernel_size": [3, 5]}


def make_search():
    cnn = FashionCNN(dense_units=16, batch_norm=False, conv_dropout=0.0, dropout=0.0,
                     batch_size=32, lr_schedule="constant", epochs=1, random_state=0)
    return GridSearchCV(make_pipeline(ImagePreprocessor(), cnn), GRID, cv=2)


def _tensorflow_threads():
    from skfmnist import FashionCNN  # noqa: F401
    import tensorflow as tf

    return tf.config.threading.get_intra_op_parallelism_threads()


def _as_json(search):
    return {"best": {key: list(value) if isinstance(value, tuple) else value
                     for key, value in search.best_params_.items()},
            "scores": search.cv_results_["mean_test_score"].tolist()}


@pytest.fixture
def restored_environment(monkeypatch):
    """Starting a LocalCluster sets OMP_NUM_THREADS=1 in this process and leaves it set."""
    for name, value in list(os.environ.items()):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_grid_search_on_a_local_cluster_equals_the_sequential_search(small_split, tmp_path,
                                                                     restored_environment):
    X_train, y_train, _, _ = small_split
    X, y = X_train[:2000], y_train[:2000]
    # The dashboard on any free port: the docs test's cluster may hold Dask's default 8787.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask", scatter=[X, y]):
            on_cluster = make_search().fit(X, y)
        worker_threads = client.run(_tensorflow_threads)
    assert sorted(worker_threads.values()) == [1, 1]

    # The workers run TensorFlow with one thread; convolutions round differently with another
    # thread count, so the sequential reference runs with one thread too.
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    sequential = json.loads(run_python(f"""
        import json, numpy as np
        from tests.test_dask import make_search, _as_json
        X, y = np.load({str(tmp_path / "X.npy")!r}), np.load({str(tmp_path / "y.npy")!r})
        print(json.dumps(_as_json(make_search().fit(X, y))))
    """, env={"SKFMNIST_NUM_THREADS": "1"}).strip().splitlines()[-1])
    assert _as_json(on_cluster) == sequential
    assert len(sequential["scores"]) == 4 and min(sequential["scores"]) > 0.3


def test_cli_search_on_a_scheduler_address(restored_environment, capsys):
    from skfmnist.cli import main

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        code = main(["search", "--model", "mlp", "--grid", '{"hidden_layer_sizes": [[8], [16]]}',
                     "--cv", "2", "--subset", "600", "--epochs", "1",
                     "--scheduler", cluster.scheduler_address])
    assert code == 0
    table = capsys.readouterr().out.split("parameters")[-1].strip().splitlines()
    assert len(table) == 2 and all("hidden_layer_sizes" in row for row in table)
