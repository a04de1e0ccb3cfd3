"""Early stopping that a resumed fit continues instead of starting over."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

STATE = "early_stopping.json"
BEST_WEIGHTS = "best_weights.npz"


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's `EarlyStopping`, whose patience count, best value and best weights are
    saved in each checkpoint (`save_state`), so a resumed fine-tuning stops, and
    restores, where an uninterrupted one would.

    An epoch cut short by a stop (`train.stop_at`, SIGTERM) is not judged: the
    resumed fit finishes that epoch and judges it whole. `steps_per_epoch` tells
    whole epochs from cut ones.

    Examples:

    ```python
    from ssl_domains.training.early_stopping import ResumableEarlyStopping

    stopper = ResumableEarlyStopping(
        steps_per_epoch=12, monitor="val_loss", patience=3, restore_best_weights=True
    )
    trainer.fit(model, train, validation, 120, compile_args, interval=12, callbacks=[stopper])
    ```
    """

    def __init__(self, steps_per_epoch: int, **kwargs):
        super().__init__(**kwargs)
        self.steps_per_epoch = steps_per_epoch
        self.last_fit = True  # `Trainer.fit` says whether another fit follows this one
        self._loaded: dict | None = None
        self._begun = False

    def on_train_begin(self, logs=None):
        if self._begun:
            return  # the second fit of a resumed run carries on with the same state
        self._begun = True
        super().on_train_begin(logs)
        if self._loaded is not None:
            for key, value in self._loaded.items():
                setattr(self, key, value)

    def on_train_end(self, logs=None):
        if self.last_fit:  # best weights are restored when training ends, not between fits
            super().on_train_end(logs)

    def on_epoch_end(self, epoch, logs=None):
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        if step % self.steps_per_epoch == 0:
            super().on_epoch_end(epoch, logs)

    def save_state(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        best = None if self.best is None else float(self.best)
        state = {"wait": self.wait, "best": best, "best_epoch": self.best_epoch}
        (folder / STATE).write_text(json.dumps(state) + "\n")
        if self.best_weights is not None:
            with (folder / BEST_WEIGHTS).open("wb") as handle:
                np.savez(handle, *self.best_weights)

    def load_state(self, folder: Path) -> None:
        self._loaded = json.loads((folder / STATE).read_text())
        self._loaded["best_weights"] = None
        if (folder / BEST_WEIGHTS).is_file():
            with np.load(folder / BEST_WEIGHTS) as saved:
                self._loaded["best_weights"] = [saved[f"arr_{i}"] for i in range(len(saved.files))]
