"""The DINO model: a student and an EMA teacher of the same architecture, multi-crop.

Paper: Caron et al., 2021, "Emerging Properties in Self-Supervised Vision
Transformers", arXiv:2104.14294 (algorithm 1). One step, on a batch of `n` images
in [0, 1]:

1. Multi-crop (`multi_crop_views`) cuts 2 global and `L` local crops of each image,
   on the accelerator inside the step (as SimCLR's views: their seed generators are
   model variables, drawn anew every step, in evaluation too).
2. The student (backbone, pooled, `DINOHead`) embeds all `2 + L` crops, the globals
   as one batch of `2n` and the locals as another (the paper's code runs each
   resolution as one batch); the teacher (`EMATeacher` copies of both, BatchNorm on
   its batch's statistics) embeds the 2 global crops.
3. With `koleo_weight`, DINOv2's KoLeo term spreads the student's pooled features of
   each global crop over the batch.
4. `dino_loss` over every teacher-student pair of different crops, the teacher
   centred by `center` and sharpened by a temperature warming up from
   `warmup_teacher_temperature` to `teacher_temperature`.
5. In training, after the loss: the center moves toward the teacher's batch mean
   (`updated_center`, momentum `center_momentum`) and the teacher toward the student
   (`teacher.update`, momentum 0.996 -> 1 on a cosine), both with `keras.ops`
   assignments that every backend's trainer keeps.

The temperature schedule counts the teacher's steps against the run's length
(`teacher.total_steps`, set by the recipe's `callbacks`), so a resumed run continues
it from the checkpoint.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from ssl_domains.api import (
    DINOHead,
    EMATeacher,
    dino_loss,
    embedding_std,
    koleo_loss,
    pooled_features,
    replica_share,
    teacher_entropy,
    teacher_temperature,
    to_backbone,
    updated_center,
)

Tensor = Any  # a tensor of the active backend


@keras.saving.register_keras_serializable(package="ssl_domains")
class DINOModel(keras.Model):
    """DINO self-distillation around an image backbone.

    Inputs: images `(n, S, S, C)` float32 in [0, 1], no labels.

    Outputs of `call`, a dict: `"student"` `(2 + L, n, K)` logits of every crop,
    `"teacher"` `(2, n, K)` logits of the global crops, `"bottleneck"` `(2n,
    bottleneck_dim)`, the student's L2-normalised bottleneck of the global crops, and
    `"features"` `(2, n, width)`, the student's pooled backbone features of them.

    Metrics, besides `loss`: `dino_loss` (the cross-entropy alone), `embedding_std`
    (of the student's bottleneck; about `1 / sqrt(bottleneck_dim)` when spread, 0 on
    collapse), `teacher_entropy` (nats; `log K` is uniform) and `teacher_student_kl`
    (nats; 0 on collapse), `teacher_temperature`, and `koleo` (the KoLeo term before
    its weight).

    Args:
        backbone: a keras-hub image backbone taking `(S, S, C)`.
        converter: the encoder's keras-hub `ImageConverter` (`to_backbone`); it also
            resizes local crops to the backbone's size.
        views: a `MultiCrop` layer (`multi_crop_views`), returning a list of crops.
        out_dim: `K`, the head's prototypes (DINO: 65536).
        hidden_dim, bottleneck_dim, head_layers: the head's MLP (DINO: 2048, 256, 3).
        head_batch_norm: BatchNorm in the head's MLP (DINO: for ResNets only).
        student_temperature: (DINO: 0.1).
        teacher_temperature: after warm-up (DINO: 0.04 to 0.07).
        warmup_teacher_temperature: at step 0 (DINO: 0.04).
        teacher_warmup_fraction: share of the run the teacher temperature warms up
            over (DINO: 30 of 100-800 epochs).
        center_momentum: of the center's EMA (DINO: 0.9; 1 turns centering off).
        teacher_momentum: the EMA teacher's momentum at step 0 (DINO: 0.996).
        freeze_last_layer_fraction: share of the run during which no gradient
            reaches the prototypes (the head's last layer; DINO: its first epoch,
            `freeze_last_layer`), which keeps them from chasing an untrained head.
        koleo_weight: weight of DINOv2's KoLeo term on `"features"`, per global crop
            (`koleo_loss`; DINOv2: 0.1), which pushes each image from its nearest
            neighbour in the batch; 0 leaves it out.
        teacher_batch_statistics: the teacher's BatchNorm layers normalise with the
            batch's statistics, as the paper's code runs its teacher; if false they
            use the student's moving statistics, copied after each update.
        **kwargs: `keras.Model` arguments.

    Examples:

    ```python
    import keras
    import numpy as np
    from ssl_domains.image.backbones import build_image_backbone
    from ssl_domains.image.pixels import fresh_converter
    from ssl_domains.image.views import multi_crop_views
    from ssl_domains.recipes.dino.model import DINOModel

    model = DINOModel(
        build_image_backbone("vit-nano", 32), fresh_converter(32), multi_crop_views(32),
        out_dim=256, hidden_dim=128, bottleneck_dim=64,
    )
    model.teacher.set_total_steps(8)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3))
    images = np.random.default_rng(0).uniform(0, 1, (32, 32, 32, 3)).astype("float32")
    model.fit(images, batch_size=8, epochs=2)  # logs dino_loss, teacher_student_kl, ...
    ```
    """

    def __init__(
        self,
        backbone: keras.Model,
        converter: keras.layers.Layer,
        views: keras.layers.Layer,
        out_dim: int = 4096,
        hidden_dim: int = 512,
        bottleneck_dim: int = 128,
        head_layers: int = 3,
        head_batch_norm: bool = False,
        student_temperature: float = 0.1,
        teacher_temperature: float = 0.07,
        warmup_teacher_temperature: float = 0.04,
        teacher_warmup_fraction: float = 0.3,
        center_momentum: float = 0.9,
        teacher_momentum: float = 0.996,
        freeze_last_layer_fraction: float = 0.0,
        koleo_weight: float = 0.0,
        teacher_batch_statistics: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.backbone = backbone
        self.converter = converter
        self.views = views
        self.out_dim, self.hidden_dim = int(out_dim), int(hidden_dim)
        self.bottleneck_dim, self.head_layers = int(bottleneck_dim), int(head_layers)
        self.head_batch_norm = bool(head_batch_norm)
        self.student_temperature = float(student_temperature)
        self.teacher_temperature = float(teacher_temperature)
        self.warmup_teacher_temperature = float(warmup_teacher_temperature)
        self.teacher_warmup_fraction = float(teacher_warmup_fraction)
        self.center_momentum = float(center_momentum)
        self.teacher_momentum = float(teacher_momentum)
        self.freeze_last_layer_fraction = float(freeze_last_layer_fraction)
        self.koleo_weight = float(koleo_weight)
        self.teacher_batch_statistics = bool(teacher_batch_statistics)
        width = int(backbone.output.shape[-1])
        self.head = DINOHead(
            out_dim, hidden_dim, bottleneck_dim, head_layers, head_batch_norm, name="head"
        )
        self.head.build((None, width))
        # Without the batch's statistics, the student's are copied: averaged at the
        # teacher's slow momentum they would lag far behind in a short run.
        self.teacher = EMATeacher(
            [backbone, self.head],
            teacher_momentum,
            batch_statistics=self.teacher_batch_statistics,
            copy_statistics=not self.teacher_batch_statistics,
            name="teacher",
        )
        self.center = self.add_weight(
            shape=(self.out_dim,), initializer="zeros", trainable=False, name="center"
        )
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in (
                "dino_loss",
                "embedding_std",
                "teacher_entropy",
                "teacher_student_kl",
                "teacher_temperature",
                "koleo",
            )
        }

    def _embed(self, crops: Tensor, training: bool):
        features = pooled_features(
            self.backbone(to_backbone(self.converter, crops), training=training)
        )
        bottleneck = self.head.bottleneck(features, training=training)
        logits = self.head.last_layer(bottleneck, frozen=self.last_layer_frozen())
        return features, bottleneck, logits

    def last_layer_frozen(self) -> Tensor:
        """1.0 while the prototypes get no gradient (the first
        `freeze_last_layer_fraction` of the run), else 0.0."""
        step = ops.convert_to_tensor(self.teacher.step)
        until = self.freeze_last_layer_fraction * ops.convert_to_tensor(self.teacher.total_steps)
        return ops.cast(step < until, "float32")

    def call(self, images: Tensor, training: bool = False) -> dict[str, Tensor]:
        # Crops are the task, not a regulariser: drawn in evaluation as in training.
        crops = self.views(images, training=True)
        n = ops.shape(images)[0]
        globals_ = ops.concatenate(crops[:2], axis=0)
        features, bottleneck, student = self._embed(globals_, training)
        logits = [student[:n], student[n:]]
        if len(crops) > 2:
            _, _, local = self._embed(ops.concatenate(crops[2:], axis=0), training)
            logits += [local[i * n : (i + 1) * n] for i in range(len(crops) - 2)]
        pooled = pooled_features(self.teacher(to_backbone(self.converter, globals_), index=0))
        teacher = ops.stop_gradient(self.teacher(pooled, index=1))
        return {
            "student": ops.stack(logits, axis=0),
            "teacher": ops.stack([teacher[:n], teacher[n:]], axis=0),
            "bottleneck": bottleneck,
            "features": ops.stack([features[:n], features[n:]], axis=0),
        }

    def current_teacher_temperature(self) -> Tensor:
        """The teacher temperature of this step, on the warm-up schedule."""
        warmup = self.teacher_warmup_fraction * ops.convert_to_tensor(self.teacher.total_steps)
        return teacher_temperature(
            ops.convert_to_tensor(self.teacher.step),
            warmup,
            self.warmup_teacher_temperature,
            self.teacher_temperature,
        )

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: dict[str, Tensor] | None = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        student = ops.cast(y_pred["student"], "float32")
        teacher = ops.cast(y_pred["teacher"], "float32")
        center = ops.convert_to_tensor(self.center)
        t_teacher = self.current_teacher_temperature()
        distillation = dino_loss(student, teacher, center, self.student_temperature, t_teacher)
        entropy = teacher_entropy(teacher, center, t_teacher)
        # DINOv2's KoLeo term: per global crop, on the student's pooled features.
        koleo = ops.mean(ops.stack([koleo_loss(f) for f in ops.unstack(y_pred["features"])]))
        loss = distillation + self.koleo_weight * koleo
        for extra in self.losses:  # regularizers, if a user adds any
            loss = loss + ops.cast(extra, loss.dtype)
        if training:
            self.center.assign(updated_center(center, teacher, self.center_momentum))
            self.teacher.update([self.backbone, self.head])
        images = ops.cast(ops.shape(student)[1], "float32")
        values = {
            "dino_loss": distillation,
            "embedding_std": embedding_std(y_pred["bottleneck"]),
            "teacher_entropy": entropy,
            "teacher_student_kl": distillation - entropy,
            "teacher_temperature": t_teacher,
            "koleo": koleo,
        }
        for name, value in values.items():
            self.trackers[name].update_state(value, sample_weight=images)
        return replica_share(loss)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            backbone=keras.layers.serialize(self.backbone),
            converter=keras.layers.serialize(self.converter),
            views=keras.layers.serialize(self.views),
            out_dim=self.out_dim,
            hidden_dim=self.hidden_dim,
            bottleneck_dim=self.bottleneck_dim,
            head_layers=self.head_layers,
            head_batch_norm=self.head_batch_norm,
            student_temperature=self.student_temperature,
            teacher_temperature=self.teacher_temperature,
            warmup_teacher_temperature=self.warmup_teacher_temperature,
            teacher_warmup_fraction=self.teacher_warmup_fraction,
            center_momentum=self.center_momentum,
            teacher_momentum=self.teacher_momentum,
            freeze_last_layer_fraction=self.freeze_last_layer_fraction,
            koleo_weight=self.koleo_weight,
            teacher_batch_statistics=self.teacher_batch_statistics,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DINOModel:
        config = dict(config)
        for key in ("backbone", "converter", "views"):
            config[key] = keras.layers.deserialize(config[key])
        return cls(**config)
