"""Keras callbacks of a run: progress, metrics log, NaN guard, checkpoints.

They count steps from the optimizer's iteration counter at the start of `fit`, so
a resumed run continues the same step numbers.
"""

from __future__ import annotations

import math
import time
from typing import Any

import keras
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ssl_domains.training.run_directory import RunDirectory


class StepCounter(keras.callbacks.Callback):
    """Base: `self.step` is the global optimizer step after each batch, and
    `self.stepped` whether that batch completed a step. With gradient accumulation
    (`train.accumulate = N`) the optimizer steps once every N batches."""

    def on_train_begin(self, logs=None):
        self.per_step = self.model.optimizer.gradient_accumulation_steps or 1
        self.step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        self.batches = self.step * self.per_step  # a fit starts on a step boundary
        self.stepped = False

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        self.step, partial = divmod(self.batches, self.per_step)
        self.stepped = partial == 0


class StopAtStep(StepCounter):
    """Stop training once the global step reaches `total_steps`."""

    def __init__(self, total_steps: int):
        super().__init__()
        self.total_steps = total_steps

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.stepped and self.step >= self.total_steps:
            self.model.stop_training = True


class NanGuard(StepCounter):
    """Stop at the first non-finite loss and remember where; nothing is saved after it."""

    def __init__(self):
        super().__init__()
        self.diverged_at: int | None = None

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        loss = float((logs or {}).get("loss", 0.0))
        if not math.isfinite(loss) and self.diverged_at is None:
            self.diverged_at = self.step
            self.model.stop_training = True


class MetricsLog(StepCounter):
    """Every `every` steps, log the mean of each metric over those steps.

    Keras reports running means since the epoch began; the mean of a window is
    recovered from two of them. Lines go to `metrics.jsonl` and to `on_log`.
    """

    def __init__(self, run: RunDirectory, every: int, units: tuple[str, float], on_log=None):
        super().__init__()
        self.run, self.every, self.on_log = run, every, on_log
        self.unit_name, self.units_per_step = units
        self.last: dict[str, Any] = {}

    def on_epoch_begin(self, epoch, logs=None):
        self.mark = (0, {}, time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if not self.stepped or self.step % self.every:
            return
        seen, means, started = self.mark
        now, count = time.perf_counter(), batch + 1
        record: dict[str, Any] = {"step": self.step}
        for key, value in (logs or {}).items():
            value = float(value)
            previous = means.get(key, 0.0) * seen
            record[key] = (value * count - previous) / max(count - seen, 1)
        record["learning_rate"] = float(
            keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        )
        rate = (count - seen) * self.units_per_step / max(now - started, 1e-9)
        record[f"{self.unit_name}_per_s"] = round(rate, 1)
        self.mark = (count, {k: float(v) for k, v in (logs or {}).items()}, now)
        self.last = record
        self.run.log_metrics(record)
        if self.on_log:
            self.on_log(record)

    def on_epoch_end(self, epoch, logs=None):
        validation = {k: float(v) for k, v in (logs or {}).items() if k.startswith("val_")}
        if validation:
            record = {"step": self.step, **validation}
            self.run.log_metrics(record)
            if self.on_log:
                self.on_log(record)


class StepCheckpoint(StepCounter):
    """Save a checkpoint every `every` steps and at the end (see `checkpoints.py`).

    A checkpoint holds the weights and optimizer state, the model's random state, the
    position of the training data (`stream`) and the state of `stateful` callbacks
    (those with `save_state(folder)`, such as `ResumableEarlyStopping`). It is saved at
    the end of an epoch of `every` steps, after validation, so the callbacks that
    watch validation have seen it (a stop in mid-epoch is saved at once, before the
    cut epoch is validated). Keeps the newest `keep`. Skips saving once a loss
    is not finite, so the last checkpoint on disk is a good one.
    """

    def __init__(self, run: RunDirectory, every: int, keep: int = 3, stream=None, stateful=()):
        super().__init__()
        self.run, self.every, self.keep, self.stream = run, every, keep, stream
        self.stateful = list(stateful)
        self.healthy = True
        self.saved_at: int | None = None

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.stream is not None:
            self.stream.mark_trained(self.batches)
        if not math.isfinite(float((logs or {}).get("loss", 0.0))):
            self.healthy = False
        # A stop in mid-epoch (stop_at, a signal) is saved before Keras validates the
        # cut epoch: validation may draw from the model's random state (views), and an
        # uninterrupted run does not validate here.
        if self.healthy and self.model.stop_training and self.step % self.every:
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        if self.healthy and self.step % self.every == 0 and self.saved_at != self.step:
            self.save()

    def on_train_end(self, logs=None):
        if self.healthy and self.saved_at != self.step:
            self.save()

    def save(self):
        from ssl_domains.training import checkpoints

        def fill(folder):
            self.model.save_weights(str(folder / checkpoints.WEIGHTS))
            checkpoints.save_random_state(self.model, folder / checkpoints.RANDOM_STATE)
            if self.stream is not None:
                self.stream.save(folder / checkpoints.DATA, trained=self.batches)
            for i, callback in enumerate(self.stateful):
                callback.save_state(checkpoints.callback_folder(folder, i))

        checkpoints.write(self.run.checkpoints, self.step, fill, self.keep)
        self.saved_at = self.step


class Preemption(StepCounter):
    """On SIGTERM (spot VMs, TPU preemption, Kubernetes) or SIGINT (Ctrl-C), stop at the
    end of the current step; `StepCheckpoint` then saves it. `signal_name` says which
    signal came. A second signal while saving acts at once (the handler is restored).
    """

    def __init__(self):
        super().__init__()
        self.signal_name: str | None = None
        self._previous: dict = {}

    def on_train_begin(self, logs=None):
        import signal

        super().on_train_begin(logs)
        for number in (signal.SIGTERM, signal.SIGINT):
            self._previous[number] = signal.signal(number, self._caught)

    def _caught(self, number, frame):
        import signal

        self.signal_name = signal.Signals(number).name
        signal.signal(number, self._previous.get(number, signal.SIG_DFL))

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.signal_name and self.stepped:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        import signal

        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()


class RichProgress(StepCounter):
    """A Rich progress bar over the global steps, with loss, learning rate and throughput."""

    def __init__(self, total_steps: int, console: Console, metrics: MetricsLog):
        super().__init__()
        self.total_steps, self.console, self.metrics = total_steps, console, metrics

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if getattr(self, "progress", None) is not None:
            return  # the second fit of a resumed run (see `Trainer.fit`): one bar
        self.progress = Progress(
            TextColumn("[bold]training"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
            console=self.console,
        )
        self.task = self.progress.add_task("train", total=self.total_steps, status="")
        self.progress.update(self.task, completed=self.step)
        self.progress.start()

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        last = self.metrics.last
        status = ""
        if last:
            rate_key = next(k for k in last if k.endswith("_per_s"))
            status = (
                f"loss {last['loss']:.3f} · lr {last['learning_rate']:.2e} · "
                f"{last[rate_key]:,.0f} {rate_key.removesuffix('_per_s')}/s"
            )
        self.progress.update(self.task, completed=self.step, status=status)

    def on_epoch_end(self, epoch, logs=None):
        shown = {k: v for k, v in (logs or {}).items() if k.startswith("val_")}
        if shown:
            text = " · ".join(f"{k} {float(v):.4f}" for k, v in shown.items())
            self.progress.console.print(f"step {self.step}: {text}")

    def close(self):
        """Stop the bar; the trainer calls this once its fits are done."""
        if getattr(self, "progress", None) is not None:
            self.progress.stop()
            self.progress = None
