"""`Trainer`: Keras `fit` with the run's optimizer, schedule, callbacks and resume.

Recipes build the model and the batches; the trainer owns everything about the
optimisation loop, so pretraining and fine-tuning share it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import keras
from rich.console import Console

from ssl_domains.callbacks import MetricsLog, NanGuard, RichProgress, StepCheckpoint, StopAtStep
from ssl_domains.config import TrainSection
from ssl_domains.errors import TrainingDiverged
from ssl_domains.run import RunDirectory


@dataclass
class FitResult:
    step: int
    resumed_from: int | None
    history: dict[str, list[float]]
    last_log: dict[str, Any]


class Trainer:
    """Fit a model for a number of optimizer steps, checkpointing into a run directory.

    AdamW with decoupled weight decay, linear warm-up then cosine decay, global-norm
    gradient clipping. A fit is cut into "epochs" of `checkpoint_every` steps, so
    validation runs and checkpoints land on the same steps, and a resumed fit
    restarts at a checkpoint with the optimizer state and step counter it had.

    Args:
        run: the run directory to write checkpoints, logs and metrics into.
        train: the `[train]` config section.
        console: where the progress bar goes.

    Examples:

    ```python
    from ssl_domains.config import TrainSection
    from ssl_domains.run import RunDirectory
    from ssl_domains.trainer import Trainer

    trainer = Trainer(RunDirectory("runs/demo"), TrainSection(steps=100))
    result = trainer.fit(model, train_batches, validation_batches, total_steps=100,
                         compile_args={"loss": "mse"})
    ```
    """

    def __init__(self, run: RunDirectory, train: TrainSection, console: Console | None = None):
        self.run, self.train = run, train
        self.console = console or Console(stderr=True)

    def optimizer(self, total_steps: int) -> keras.optimizers.Optimizer:
        warmup = min(int(total_steps * self.train.warmup_fraction), max(total_steps - 1, 0))
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0 if warmup else self.train.learning_rate,
            decay_steps=max(total_steps - warmup, 1),
            alpha=0.1,
            warmup_target=self.train.learning_rate if warmup else None,
            warmup_steps=warmup,
        )
        return keras.optimizers.AdamW(
            learning_rate=schedule,
            weight_decay=self.train.weight_decay,
            global_clipnorm=self.train.clip_norm or None,
        )

    def fit(
        self,
        model: keras.Model,
        train_batches,
        validation_batches,
        total_steps: int,
        compile_args: dict[str, Any],
        units: tuple[str, float] = ("examples", 1.0),
        resume: bool = False,
        progress: bool = True,
    ) -> FitResult:
        model.compile(optimizer=self.optimizer(total_steps), **compile_args)
        start = self._restore(model) if resume else 0
        interval = self.train.checkpoint_every
        guard = NanGuard()
        metrics = MetricsLog(self.run, self.train.log_every, units)
        stop = min(total_steps, self.train.stop_at or total_steps)
        callbacks = [
            StopAtStep(stop),
            guard,
            metrics,
            StepCheckpoint(self.run, interval),
            keras.callbacks.TensorBoard(str(self.run.logs), update_freq=self.train.log_every),
        ]
        if progress:
            callbacks.append(RichProgress(total_steps, self.console, metrics))
        history = {}
        if start < stop:
            history = model.fit(
                train_batches.repeat(),
                validation_data=validation_batches,
                initial_epoch=start // interval,
                epochs=start // interval + math.ceil((total_steps - start) / interval),
                steps_per_epoch=interval,
                callbacks=callbacks,
                shuffle=False,  # the recipe's tf.data pipeline shuffles
                verbose=0,
            ).history
        if guard.diverged_at is not None:
            latest = self.run.latest_checkpoint()
            last_good = f"step {latest[0]} in {self.run.checkpoints}" if latest else "none"
            raise TrainingDiverged(
                f"loss became NaN/inf at step {guard.diverged_at}; last good checkpoint: "
                f"{last_good}. Lower train.learning_rate or raise train.warmup_fraction."
            )
        return FitResult(max(start, stop), start or None, history, metrics.last)

    def _restore(self, model: keras.Model) -> int:
        """Load the newest checkpoint (weights and optimizer state); return its step."""
        latest = self.run.latest_checkpoint()
        if latest is None:
            return 0
        step, path = latest
        model.optimizer.build(model.trainable_variables)
        model.load_weights(str(path))
        return int(keras.ops.convert_to_numpy(model.optimizer.iterations)) or step
