"""`Trainer`: Keras `fit` with the run's optimizer, schedule, callbacks and resume.

Recipes build the model and the batches; the trainer owns everything about the
optimisation loop, so pretraining and fine-tuning share it.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import keras
from rich.console import Console

from ssl_domains.config import TrainSection
from ssl_domains.errors import Preempted, TrainingDiverged
from ssl_domains.training import checkpoints
from ssl_domains.training.callbacks import (
    MetricsLog,
    NanGuard,
    Preemption,
    RichProgress,
    StepCheckpoint,
    StopAtStep,
)
from ssl_domains.training.data_position import Positioned, ResumableBatches
from ssl_domains.training.distribution import replica_safe, uncounted_batches
from ssl_domains.training.run_directory import RunDirectory
from ssl_domains.training.tensorboard_log import TensorBoardLog


@dataclass
class FitResult:
    step: int
    resumed_from: int | None
    history: dict[str, list[float]]
    last_log: dict[str, Any]


class Trainer:
    """Fit a model for a number of optimizer steps, checkpointing into a run directory.

    AdamW with decoupled weight decay, linear warm-up then cosine decay, global-norm
    gradient clipping, and optionally gradient accumulation (`train.accumulate`
    batches a step, through the optimizer's own `gradient_accumulation_steps`).
    A fit is cut into "epochs" of `checkpoint_every` steps, so validation runs and
    checkpoints land on the same steps. A resumed fit restarts at the newest complete
    checkpoint with the optimizer state, step counter, random state and data position
    it had, so it trains on the batches an uninterrupted fit would have; log lines
    past that step, from the process that was stopped, are dropped. SIGTERM and
    SIGINT save a checkpoint at the end of the current step, then raise `Preempted`.

    Args:
        run: the run directory to write checkpoints, logs and metrics into.
        train: the `[train]` config section.
        console: where the progress bar goes.

    Examples:

    ```python
    from ssl_domains.config import TrainSection
    from ssl_domains.training.run_directory import RunDirectory
    from ssl_domains.training.trainer import Trainer

    trainer = Trainer(RunDirectory("runs/demo"), TrainSection(steps=100))
    result = trainer.fit(model, train_batches, validation_batches, total_steps=100,
                         compile_args={"loss": "mse"})
    ```
    """

    def __init__(self, run: RunDirectory, train: TrainSection, console: Console | None = None):
        self.run, self.train = run, train
        self.console = console or Console(stderr=True)

    def schedule(self, total_steps: int) -> keras.optimizers.schedules.LearningRateSchedule:
        """Linear warm-up over `warmup_fraction` of the steps, then cosine decay to 10%."""
        warmup = min(int(total_steps * self.train.warmup_fraction), max(total_steps - 1, 0))
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0 if warmup else self.train.learning_rate,
            decay_steps=max(total_steps - warmup, 1),
            alpha=0.1,
            warmup_target=self.train.learning_rate if warmup else None,
            warmup_steps=warmup,
        )

    def optimizer(
        self,
        total_steps: int,
        lr_multipliers: dict[str, float] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> keras.optimizers.Optimizer:
        """AdamW on the run's schedule; `extra` (a recipe's `optimizer_args`) overrides
        its arguments, may name variables to leave out of weight decay, and may set a
        `final_weight_decay` for the decay to reach on a cosine (`CosineDecayAdamW`).

        With accumulation, Keras evaluates a schedule at the batch count, not the step
        count (`BaseOptimizer._get_current_learning_rate`), so it is wrapped to see
        steps: each update then has the rate of the same step without accumulation."""
        accumulate = self.train.accumulate
        schedule = self.schedule(total_steps)
        args = dict(
            learning_rate=PerStep(schedule, accumulate) if accumulate > 1 else schedule,
            weight_decay=self.train.weight_decay,
            global_clipnorm=self.train.clip_norm or None,
            gradient_accumulation_steps=accumulate if accumulate > 1 else None,
        )
        args.update(extra or {})
        undecayed = args.pop("exclude_from_weight_decay", None)
        final_decay = args.pop("final_weight_decay", None)
        if lr_multipliers:
            optimizer = LayerwiseAdamW(lr_multipliers, **args)
        elif final_decay is not None:
            optimizer = CosineDecayAdamW(final_decay, total_steps, **args)
        else:
            optimizer = keras.optimizers.AdamW(**args)
        if undecayed:
            optimizer.exclude_from_weight_decay(var_names=list(undecayed))
        return optimizer

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
        interval: int | None = None,
        callbacks: list[keras.callbacks.Callback] = (),
        lr_multipliers: dict[str, float] | None = None,
        optimizer_args: dict[str, Any] | None = None,
    ) -> FitResult:
        """Train `model` to `total_steps` optimizer steps.

        `interval` is the number of steps between validations and checkpoints (an
        epoch of the labeled data when fine-tuning; `checkpoint_every` by default).
        `lr_multipliers` scales the learning rate per variable path (layer decay);
        `optimizer_args` and `callbacks` are the recipe's (see `Recipe.optimizer_args`).
        """
        self.run.checkpoints.mkdir(parents=True, exist_ok=True)
        checkpoints.remove_partials(self.run.checkpoints)
        optimizer = self.optimizer(total_steps, lr_multipliers, optimizer_args)
        model.compile(optimizer=optimizer, **compile_args)
        stream = ResumableBatches(train_batches)
        stateful = [c for c in callbacks if hasattr(c, "save_state")]
        start = self._restore(model, train_batches, stream, stateful) if resume else 0
        interval = interval or self.train.checkpoint_every
        guard = NanGuard()
        tensorboard = TensorBoardLog(self.run.logs)
        metrics = MetricsLog(self.run, self.train.log_every, units, on_log=tensorboard)
        stop = min(total_steps, self.train.stop_at or total_steps)
        preemption = Preemption()
        checkpoint = StepCheckpoint(self.run, interval, stream=stream, stateful=stateful)
        callbacks = [
            StopAtStep(stop),
            guard,
            metrics,
            preemption,
            *callbacks,
            checkpoint,
        ]
        if progress:
            callbacks.append(RichProgress(total_steps, self.console, metrics))
        history: dict[str, list[float]] = {}
        # Epochs end on multiples of `interval` steps, as in an uninterrupted fit, so
        # validation and checkpoints land on the same steps. A fit resumed in mid-epoch
        # (after stop_at or a signal) first finishes that epoch, in a fit of its own.
        last = math.ceil(total_steps / interval)
        epochs = [(epoch, interval) for epoch in range(start // interval, last)]
        if start % interval and start < stop:
            epochs[0] = (start // interval, interval - start % interval)
            phases = [epochs[:1], epochs[1:]]
        else:
            phases = [epochs if start < stop else []]
        phases = [phase for phase in phases if phase]
        for number, phase in enumerate(phases):
            if number and model.stop_training:
                break
            for callback in callbacks:
                callback.last_fit = number == len(phases) - 1
            with uncounted_batches():
                done = model.fit(
                    replica_safe(stream.as_dataset()),
                    validation_data=replica_safe(validation_batches),
                    initial_epoch=phase[0][0],
                    epochs=phase[-1][0] + 1,
                    steps_per_epoch=phase[0][1] * self.train.accumulate,  # batches
                    callbacks=callbacks,
                    shuffle=False,  # the recipe's tf.data pipeline shuffles
                    verbose=0,
                ).history
            for key, values in done.items():
                history.setdefault(key, []).extend(values)
        for callback in callbacks:
            if isinstance(callback, RichProgress):
                callback.close()
        tensorboard.close()
        if guard.diverged_at is not None:
            latest = self.run.latest_checkpoint()
            last_good = f"step {latest.step} in {self.run.checkpoints}" if latest else "none"
            raise TrainingDiverged(
                f"loss became NaN/inf at step {guard.diverged_at}; last good checkpoint: "
                f"{last_good}. Lower train.learning_rate or raise train.warmup_fraction."
            )
        step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
        if preemption.signal_name:
            raise Preempted(
                f"{preemption.signal_name} at step {step}; checkpoint saved in "
                f"{self.run.checkpoints}. Continue with: --resume {self.run.path}",
                preemption.signal_name,
            )
        return FitResult(step, start or None, history, metrics.last)

    def warm_up_head(
        self,
        model: keras.Model,
        encoder: keras.Model,
        train_batches,
        steps: int,
        learning_rate: float,
        compile_args: dict[str, Any],
    ) -> dict[str, float]:
        """Train everything but `encoder` for `steps` steps, then unfreeze it.

        A head that starts from random weights sends large, random gradients into the
        encoder below it; at a pretrained model's small learning rate it also learns
        too slowly. Trained alone first at a fresh head's rate (AdamW, short linear
        warm-up), it reaches the encoder's features as they are, and the main fit then
        starts from a head that already fits them (as LP-FT does for fine-tuning,
        Kumar et al. 2022). Returns the loss of the first and last log window.
        """
        trainable = {id(layer): layer.trainable for layer in encoder._flatten_layers()}
        encoder.trainable = False
        warmup = max(1, steps // 10)
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0,
            max(steps - warmup, 1),
            alpha=1.0,
            warmup_target=learning_rate,
            warmup_steps=warmup,
        )
        optimizer = keras.optimizers.AdamW(
            schedule,
            weight_decay=self.train.weight_decay,
            global_clipnorm=self.train.clip_norm or None,
        )
        model.compile(optimizer=optimizer, **compile_args)
        window = max(1, min(self.train.log_every, steps // 2))
        if isinstance(train_batches, Positioned):
            train_batches = train_batches.dataset()
        losses = model.fit(
            replica_safe(train_batches.repeat()),
            steps_per_epoch=window,
            epochs=math.ceil(steps / window),
            shuffle=False,
            verbose=0,
        ).history["loss"]
        for layer in encoder._flatten_layers():
            layer.trainable = trainable[id(layer)]
        return {"first": losses[0], "last": losses[-1]}

    def _restore(self, model: keras.Model, batches, stream: ResumableBatches, stateful) -> int:
        """Load the newest complete checkpoint (weights, optimizer and random state,
        data position, callbacks' state) and drop log lines past it; return its step."""
        latest = self.run.latest_checkpoint(report=self.console.print)
        if latest is None:
            return 0
        if not model.built:  # subclassed models build on their first batch
            batch = next(iter(batches))
            model(batch[0] if isinstance(batch, tuple) else batch)
        model.optimizer.build(model.trainable_variables)
        model.load_weights(str(latest.weights))
        checkpoints.load_random_state(model, latest.random_state)
        stream.restore(latest.data)
        for i, callback in enumerate(stateful):
            callback.load_state(checkpoints.callback_folder(latest.path, i))
        self.run.drop_metrics_after(latest.step)
        self.console.print(f"resuming from step {latest.step} ({latest.path})")
        return latest.step


@keras.saving.register_keras_serializable(package="ssl_domains")
class PerStep(keras.optimizers.schedules.LearningRateSchedule):
    """A schedule over optimizer steps, for an optimizer that counts batches (one
    step every `accumulate` of them)."""

    def __init__(self, schedule, accumulate: int):
        self.schedule, self.accumulate = schedule, accumulate

    def __call__(self, batches):
        return self.schedule(keras.ops.floor_divide(batches, self.accumulate))

    def get_config(self):
        return {
            "schedule": keras.saving.serialize_keras_object(self.schedule),
            "accumulate": self.accumulate,
        }

    @classmethod
    def from_config(cls, config):
        schedule = keras.saving.deserialize_keras_object(config["schedule"])
        return cls(schedule, config["accumulate"])


class CosineDecayAdamW(keras.optimizers.AdamW):
    """AdamW whose weight decay moves on a cosine from `weight_decay` at step 0 to
    `final_weight_decay` at `decay_steps` (DINO's 0.04 to 0.4; Keras's AdamW keeps one).

    Each backend's optimizer reads `self.weight_decay` when it decays the weights
    (`_apply_weight_decay`, three implementations), so that attribute is the
    schedule's value at the current step, a tensor, once the optimizer is built.
    """

    def __init__(self, final_weight_decay: float, decay_steps: int, **kwargs):
        super().__init__(**kwargs)
        self.final_weight_decay, self.decay_steps = float(final_weight_decay), int(decay_steps)

    @property
    def weight_decay(self):
        if not self.built:
            return self.initial_weight_decay
        steps = keras.ops.cast(self.iterations, "float32") / (self.gradient_accumulation_steps or 1)
        progress = keras.ops.minimum(steps / max(self.decay_steps, 1), 1.0)
        start, end = self.initial_weight_decay, self.final_weight_decay
        return end + (start - end) * 0.5 * (1 + keras.ops.cos(math.pi * progress))

    @weight_decay.setter
    def weight_decay(self, value):
        self.initial_weight_decay = value

    def get_config(self):
        return {
            **super().get_config(),
            "weight_decay": self.initial_weight_decay,
            "final_weight_decay": self.final_weight_decay,
            "decay_steps": self.decay_steps,
        }


class LayerwiseAdamW(keras.optimizers.AdamW):
    """AdamW whose learning rate is scaled per variable, for layer-wise decay.

    Scaling gradients would not do: Adam normalises their scale away. So the
    per-variable factor multiplies the learning rate inside each update step.
    (Decoupled weight decay keeps the global rate: it is small and uniform.)
    """

    def __init__(self, lr_multipliers: dict[str, float], **kwargs):
        super().__init__(**kwargs)
        self.lr_multipliers = dict(lr_multipliers)

    def update_step(self, gradient, variable, learning_rate):
        # Backends may hand over their own variable type: find the Keras one by index.
        path = self._trainable_variables[self._get_variable_index(variable)].path
        factor = self.lr_multipliers.get(path, 1.0)
        super().update_step(gradient, variable, learning_rate * factor)

    def get_config(self):
        return {**super().get_config(), "lr_multipliers": self.lr_multipliers}


@contextlib.contextmanager
def without_optimizer(model: keras.Model):
    """Save a model's weights without its optimizer state (half the size of a preset;
    checkpoints keep it, presets and exports need not)."""
    optimizer, model.optimizer = model.optimizer, None
    try:
        yield model
    finally:
        model.optimizer = optimizer
