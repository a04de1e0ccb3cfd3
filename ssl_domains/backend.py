"""Choosing the Keras backend, and importing TensorFlow without its start-up chatter."""

from __future__ import annotations

import contextlib
import os
import sys

from ssl_domains.errors import UserError


@contextlib.contextmanager
def _stderr_silenced():
    """Point file descriptor 2 at /dev/null: TensorFlow's C++ logging writes there at
    import, before any log level applies. Python exceptions still propagate."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


def select_backend(backend: str, devices: int = 0) -> None:
    """Use `backend` for Keras; it must be chosen before Keras is first imported.

    Also imports TensorFlow (the data pipeline runs on it for every backend) with its
    start-up logs silenced, and initialises its devices so their probing is silent too.
    `devices` > 1 on a host without accelerators makes that many virtual CPU devices
    for the backend (`ssl_domains.training.distribution`).
    """
    from ssl_domains.training.distribution import make_virtual_devices, split_cpu, tf_multi_worker

    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != backend:
            raise UserError(
                f"Keras is already running on {keras.backend.backend()}; "
                f"start a new process for --backend {backend}"
            )
        return
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    make_virtual_devices(backend, devices)
    with _stderr_silenced():
        import tensorflow as tf

        if backend == "tensorflow":
            split_cpu(tf, devices)
        # MultiWorkerMirroredStrategy configures collective ops, which TensorFlow
        # allows only before its devices are initialised: it makes them itself.
        if not (backend == "tensorflow" and tf_multi_worker()):
            tf.config.list_logical_devices()
        import keras  # noqa: F401
        import keras_hub  # noqa: F401
        import tensorflow_text  # noqa: F401
