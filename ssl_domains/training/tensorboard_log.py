"""TensorBoard scalars at the run's global step, one event per `metrics.jsonl` line.

Keras's `TensorBoard` callback counts batches from zero in every `fit`, so a resumed
run logged its steps again from 1, and a fit in two parts (see `Trainer.fit`) twice.
These scalars carry the optimizer step instead. After a resume, the first event is at
a step the killed process had passed; TensorBoard then drops that process's events
from there on (its purge of orphaned data), as `metrics.jsonl` drops its lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SKIPPED = ("step", "time", "final")


class TensorBoardLog:
    """Write a log record's numbers as scalars: `val_*` under `validation/`, the rest
    under `train/`.

    Examples:

    ```python
    from ssl_domains.training.tensorboard_log import TensorBoardLog

    log = TensorBoardLog("runs/demo/logs")
    log({"step": 10, "loss": 2.31, "val_loss": 2.40})
    log.close()
    ```
    """

    def __init__(self, directory: str | Path):
        import tensorflow as tf

        self._tf = tf
        self._writers = {
            split: tf.summary.create_file_writer(str(Path(directory) / split))
            for split in ("train", "validation")
        }

    def __call__(self, record: dict[str, Any]) -> None:
        step = int(record["step"])
        for key, value in record.items():
            if key in SKIPPED or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            split, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            with self._writers[split].as_default():
                self._tf.summary.scalar(name, value, step=step)
        for writer in self._writers.values():
            writer.flush()

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
