"""TensorFlow import that honours the thread limit of joblib and Dask worker processes.

TensorFlow sizes its thread pools from the number of cores and ignores the OpenMP/BLAS limits
(``OMP_NUM_THREADS``) that joblib's process workers and Dask's nanny-started workers set, so two
workers on two cores would each start two busy threads. Before TensorFlow runs its first op, this
module applies ``SKFMNIST_NUM_THREADS`` or, failing that, ``OMP_NUM_THREADS`` to TensorFlow's intra-
and inter-op pools. Without either variable TensorFlow keeps its defaults.
"""

import functools
import os
import warnings

_ENV_VARS = ("SKFMNIST_NUM_THREADS", "OMP_NUM_THREADS")


def requested_threads():
    """The thread limit asked for through the environment, or None."""
    for name in _ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def configure_threads(tf):
    """Apply :func:`requested_threads` to TensorFlow if its runtime has not started yet."""
    n_threads = requested_threads()
    if n_threads is None:
        return
    threading = tf.config.threading
    if threading.get_intra_op_parallelism_threads() == n_threads:
        return
    try:
        threading.set_intra_op_parallelism_threads(n_threads)
        threading.set_inter_op_parallelism_threads(n_threads)
    except RuntimeError:
        warnings.warn(
            f"TensorFlow was already running when skfmnist was imported, so the thread limit "
            f"{n_threads} (from {', '.join(_ENV_VARS)}) could not be applied. Import skfmnist's "
            "estimators before running TensorFlow code to limit its threads.",
            RuntimeWarning,
            stacklevel=2,
        )


@functools.cache
def import_tensorflow():
    """TensorFlow, with the thread limit applied once, when skfmnist first imports it.

    Later changes of the environment are ignored: TensorFlow's pools cannot be resized once its
    runtime has started (and Dask's nanny sets OMP_NUM_THREADS in the client process too).
    """
    import tensorflow as tf

    configure_threads(tf)
    tf.get_logger().addFilter(_new_network_retracing_filter)
    return tf


def _new_network_retracing_filter(record):
    """Drop TensorFlow's "triggered tf.function retracing" warning about Keras's own training
    and prediction functions: every fit builds a new network, whose functions are traced once
    each, and TensorFlow counts those traces per code object across networks, so a grid search
    reads as "retracing" after five fits although nothing is traced twice."""
    message = record.getMessage()
    return not ("triggered tf.function retracing" in message and "TensorFlowTrainer" in message)


def thread_limit():
    """The intra-op thread count TensorFlow runs with, if limited (None: its defaults)."""
    return import_tensorflow().config.threading.get_intra_op_parallelism_threads() or None
