"""Collapse monitoring for joint-embedding objectives (BYOL, DINO, Barlow Twins).

A joint-embedding objective can be satisfied by a constant: every image mapped to
the same vector agrees perfectly with its other view. SimSiam (Chen & He, 2021,
section 4 and figure 2) watches for it with the standard deviation, per dimension,
of the L2-normalised outputs: near `1 / sqrt(d)` while the outputs spread over the
sphere, near 0 once they collapse to a point. DINO (Caron et al., 2021, section 5.3
and figure 7) also watches the teacher's entropy and the KL divergence from teacher
to student: a KL that falls to 0 means the two agree on something constant.

Models log these as metrics (`embedding_std`, and for DINO `teacher_entropy` and
`teacher_student_kl`); `CollapseMonitor` reads the logs and warns, in one line,
the first time one falls under its bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from keras import ops

from ssl_domains.training.callbacks import StepCounter


def embedding_std(embeddings):
    """The mean over dimensions of the per-dimension standard deviation, over the
    batch, of the L2-normalised `[batch, d]` embeddings (SimSiam's collapse measure):
    about `1 / sqrt(d)` when they spread, 0 when they all point one way."""
    normalized = ops.normalize(ops.cast(embeddings, "float32"), axis=-1)
    return ops.mean(ops.std(normalized, axis=0))


@dataclass(frozen=True)
class CollapseSign:
    """Collapse, as one logged metric falling under a bound.

    Attributes:
        metric: the name the model logs it under.
        below: collapse when a window's mean is under this.
        meaning: what that says, for the warning line.
    """

    metric: str
    below: float
    meaning: str


def collapsed_embeddings(dims: int, fraction: float = 0.1) -> CollapseSign:
    """`embedding_std` under `fraction` of the `1 / sqrt(dims)` of spread outputs."""
    return CollapseSign(
        "embedding_std",
        fraction / math.sqrt(dims),
        f"the {dims}-dim embeddings of different images have (nearly) all become one "
        f"vector (std under {fraction:g} / sqrt({dims}))",
    )


class CollapseMonitor(StepCounter):
    """Every `every` steps, check each sign on the mean of its metric over those
    steps; warn once per sign, in one line, through `say`.

    Keras logs running means since the epoch began; the mean of the last window is
    recovered from two of them, as the run's metrics log does.

    Args:
        signs: what collapse looks like for this objective.
        every: steps between checks.
        say: where the warning goes (default: standard error, through rich).
    """

    def __init__(
        self,
        signs: list[CollapseSign],
        every: int = 10,
        say: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.signs, self.every = list(signs), every
        self.say = say or _stderr_line
        self.warned: set[str] = set()

    def on_epoch_begin(self, epoch, logs=None):
        self.mark: tuple[int, dict[str, float]] = (0, {})

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if not self.stepped or self.step % self.every or not logs:
            return
        seen, means = self.mark
        count = batch + 1
        for sign in self.signs:
            if sign.metric not in logs or sign.metric in self.warned:
                continue
            window = (float(logs[sign.metric]) * count - means.get(sign.metric, 0.0) * seen) / max(
                count - seen, 1
            )
            if window < sign.below:
                self.warned.add(sign.metric)
                self.say(
                    f"collapse at step {self.step}: {sign.metric} {window:.3g} < {sign.below:.3g}"
                    f": {sign.meaning}"
                )
        self.mark = (count, {key: float(value) for key, value in logs.items()})


def _stderr_line(text: str) -> None:
    from rich.console import Console

    Console(stderr=True, soft_wrap=True).print(f"[bold yellow]warning:[/bold yellow] {text}")
