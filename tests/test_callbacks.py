"""The best-epoch tracker: early stopping, in-memory best weights, a checkpoint that survives a
full disk."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ._disks import tmpfs_or_skip

# A real full disk: a 64 KiB tmpfs (needs root and mount; skipped elsewhere). The checkpoint of
# a network larger than that fails to write on the second improvement or the first.
FULL_DISK_RUN = """
    import warnings
    import numpy as np
    from skfmnist import FashionMLP

    rng = np.random.RandomState(0)
    X, y = rng.rand(200, 64).astype("float32"), np.arange(200) % 2
    clf = FashionMLP(hidden_layer_sizes=({units},), epochs=3, lr_schedule="constant",
                     random_state=0, checkpoint_dir={folder!r})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    print("epochs", len(clf.history_["loss"]))
    print("warnings", [str(w.message)[:60] for w in caught if "checkpoint" in str(w.message)])
"""


@pytest.fixture
def tiny_tmpfs(tmp_path):
    with tmpfs_or_skip(tmp_path / "full") as folder:
        yield folder


def _run(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


@pytest.mark.slow  # a fresh interpreter trains on a full disk
def test_checkpoint_on_a_full_disk_warns_keeps_training_and_exits_cleanly(tiny_tmpfs):
    result = _run(FULL_DISK_RUN.format(units=2000, folder=str(tiny_tmpfs)))
    assert result.returncode == 0, result.stderr[-2000:]  # no crash at exit (was a segfault)
    assert "epochs 3" in result.stdout  # training went on
    assert "Could not write the checkpoint" in result.stdout
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert [p.name for p in tiny_tmpfs.iterdir()] == []  # no half-written file left


def test_a_failed_checkpoint_write_keeps_the_last_good_one(tmp_path, monkeypatch):
    import errno

    import keras

    from skfmnist import FashionMLP
    from skfmnist._callbacks import CHECKPOINT_NAME

    rng = np.random.RandomState(0)
    X, y = rng.rand(200, 16).astype("float32"), np.arange(200) % 2
    written = []
    fsync = os.fsync

    def disk_full_after_the_first(fd):  # the kernel reports ENOSPC at latest when syncing
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(fd)
        return fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_full_after_the_first)
    clf = FashionMLP(hidden_layer_sizes=(8,), epochs=4, learning_rate=0.01,
                     lr_schedule="constant", random_state=0, checkpoint_dir=tmp_path)
    with pytest.warns(RuntimeWarning, match="No space left on device.*Training goes on"):
        clf.fit(X, y)
    assert len(clf.history_["loss"]) == 4
    first_epoch = keras.models.clone_model(clf.model_)
    first_epoch.load_weights(tmp_path / CHECKPOINT_NAME)  # complete and loadable
    assert sorted(p.name for p in tmp_path.iterdir()) == [CHECKPOINT_NAME]


def test_patience_stops_training_after_that_many_epochs_without_improvement():
    import keras

    from skfmnist._callbacks import BestEpoch

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.stop_training = False  # as Model.fit sets it
    tracker = BestEpoch("loss", patience=2)
    tracker.set_model(model)
    for epoch, loss in enumerate([1.0, 0.5, 0.7]):
        tracker.on_epoch_end(epoch, {"loss": loss})
        if epoch == 1:
            best_weights = [w.copy() for w in model.get_weights()]
            model.set_weights([w + 1 for w in best_weights])  # later epochs change the weights
    assert tracker.best_epoch == 1 and not model.stop_training
    tracker.on_epoch_end(3, {"loss": 0.6})
    assert model.stop_training
    assert tracker.restore(model)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), best_weights))


# Stops inside the checkpoint's write (after the data, before the rename), so that the parent
# can kill it there with SIGKILL.
STALLED_CHECKPOINT = """
    import os, sys, time
    import numpy as np
    from skfmnist import FashionMLP

    def stall(fd):
        print("writing", flush=True)
        time.sleep(120)

    os.fsync = stall
    rng = np.random.RandomState(0)
    FashionMLP(hidden_layer_sizes=(4,), epochs=1, random_state=0,
               checkpoint_dir=sys.argv[1]).fit(rng.rand(64, 16).astype("float32"),
                                               np.arange(64) % 2)
"""


@pytest.mark.slow  # a fresh interpreter that imports TensorFlow and trains
def test_a_checkpoint_writer_killed_mid_write_leaves_a_leftover_the_next_fit_removes(tmp_path):
    import signal

    from skfmnist import FashionMLP
    from skfmnist._callbacks import CHECKPOINT_NAME

    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(STALLED_CHECKPOINT),
                               str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    try:
        assert writer.stdout.readline().strip() == "writing"
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(f".{CHECKPOINT_NAME}.{writer.pid}.")
    rng = np.random.RandomState(0)
    FashionMLP(hidden_layer_sizes=(4,), epochs=1, random_state=0, checkpoint_dir=tmp_path).fit(
        rng.rand(64, 16).astype("float32"), np.arange(64) % 2)
    assert [p.name for p in tmp_path.iterdir()] == [CHECKPOINT_NAME]


def test_checkpoint_writes_leave_process_wide_state_alone(tmp_path):
    """No umask change, no swapped sys.unraisablehook, no forced garbage collection: state that
    other threads share. Watched at every call made while checkpoints are written, one of them
    on a full disk."""
    import errno
    import gc

    import keras

    from skfmnist._callbacks import BestEpoch

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    tracker = BestEpoch("loss", checkpoint_dir=tmp_path)
    tracker.set_model(model)
    hook, seen = sys.unraisablehook, set()

    def watch(frame, event, arg):
        if event == "c_call" and arg in (os.umask, gc.collect):
            seen.add(arg.__name__)
        if sys.unraisablehook is not hook:
            seen.add("unraisablehook")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    sys.setprofile(watch)
    try:
        tracker.on_epoch_end(0, {"loss": 1.0})
        fsync, os.fsync = os.fsync, disk_full
        try:
            with pytest.warns(RuntimeWarning, match="No space left"):
                tracker.on_epoch_end(1, {"loss": 0.5})
        finally:
            os.fsync = fsync
    finally:
        sys.setprofile(None)
    assert seen == set()
    assert [p.name for p in tmp_path.iterdir()] == ["best.weights.h5"]


def test_lookahead_moves_the_slow_weights_halfway_every_k_steps_and_ends_epochs_on_them():
    import keras

    from skfmnist._callbacks import Lookahead

    # Loss = the weight itself (input 1, no bias): plain SGD at rate 1 takes it down by 1 a
    # step (to -5 after 5 steps). With Lookahead every 2 steps, halfway: 0 -> -1 -> -2,
    # synchronised to -1; -> -2 -> -3, to -2; the epoch's 5th and last step takes it to -3,
    # synchronised to -2.5.
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(
        1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss=lambda _, output: output)
    ones = np.ones((5, 1), "float32")
    model.fit(ones, ones, batch_size=1, epochs=1, shuffle=False, verbose=0,
              callbacks=[Lookahead(2)])
    np.testing.assert_allclose(model.get_weights()[0], [[-2.5]])
