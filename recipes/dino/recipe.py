"""DINO: self-distillation with no labels, a student matching an EMA teacher.

Paper: Caron et al., 2021, "Emerging Properties in Self-Supervised Vision
Transformers", arXiv:2104.14294. The model is `DINOModel` (`model.py`): multi-crop
views drawn on the accelerator inside the step, a student (backbone and `DINOHead`)
on every crop, an `EMATeacher` copy on the two global crops, and `dino_loss`
(`ssl_domains.objectives.losses.dino`) between them.

Follows the paper:
- Student and teacher share the architecture; the teacher is an EMA of the student
  with its momentum rising to 1 on a cosine over the run (section 3.1), in
  checkpoints, so a resume continues it.
- Head: a 3-layer MLP with GELU, an L2-normalised bottleneck and a weight-normalised
  last layer without bias, its gain fixed to 1 (`norm_last_layer`).
- Teacher centering with an EMA center, momentum 0.9, over the global batch (across
  replicas under `tf.distribute`; `keras.distribution` on JAX sees the global batch
  in one step); a teacher temperature with a linear warm-up over the first
  `teacher_warmup_fraction` of the run (the paper: 0.04 to 0.07 over 30 epochs);
  student temperature 0.1.
- Multi-crop: 2 global crops (40-100% of the image) and local crops (5-40%); the
  teacher sees the globals only; cross-entropy over every teacher-student pair of
  different crops.
- The representation kept is the teacher's backbone, which the paper evaluates (its
  figure 6: the teacher beats the student throughout training); the heads and the
  student's backbone are dropped by `save` (`recipe.representation = "student"` keeps
  the student's instead). `--from` such a run starts a new student from that teacher.
- The teacher's BatchNorm layers normalise with its batch's statistics
  (`teacher_batch_statistics`), as the paper's code runs its teacher (in training
  mode, with SyncBatchNorm); here per replica under `tf.distribute`.
- Backbone: a ResNet (`resnet-nano`, the two-view recipes' default), with BatchNorm in
  the head's MLP (`head_batch_norm`, the paper's `use_bn_in_head` for ResNets).

Added from DINOv2 (Oquab et al., 2023, arXiv:2304.07193): the KoLeo regulariser
(`koleo_loss`) on the student's pooled features of each global crop, which keeps a
batch's images apart (`koleo_weight`, 1.0; DINOv2: 0.1 on the class token).

Departures, and why:
- Teacher temperature 0.02 throughout (`teacher_temperature`; the warm-up starts at
  `warmup_teacher_temperature`, also 0.02), sharper than the paper's 0.04 to 0.07:
  the tiles differ little, so the head's logits differ little between images, and a
  warmer teacher, once centred, is nearly uniform and teaches nothing (vit-nano, 200
  steps: at 0.07 the teacher went uniform, entropy 6.93 = log 1024).
- Teacher momentum 0.99 at the start (the paper: 0.996). The EMA's time constant is
  `1 / (1 - m)` steps: 250 at 0.996, nearly a whole 300-step run; 100 at 0.99.
- Sizes: `K` = 256 prototypes, MLP 512 wide, bottleneck 128 (the paper: 65536,
  2048, 256), for a nano backbone, batches of 64 and runs of minutes; two local
  crops (the paper: 6 to 10), each costing as much as a global one here.
- Local crops go through the backbone at the global size: keras-hub's ViT and ResNet
  backbones take one fixed image size (see `multi_crop_views`), so a local crop is a
  small region drawn at full resolution, not a 96-pixel one. A domain's own views
  supply the flips, colour and blur of every crop, and the lower bound of its crop
  scale is a floor for every crop (biomedical-imaging: 30%, so local crops are 30-40%).
- Augmentations: SimCLR's, or the domain's, on every crop, with the paper's odds
  per crop (`DINO_ODDS`): blur on every first global crop, on one second global
  crop in ten, which one in five also has solarised, and on half the local crops
  (`recipe.asymmetric_views = false` augments every crop alike).
- AdamW at 1e-3 on the core's warmup-and-cosine schedule (the paper: 5e-4 x
  batch/256), with the paper's weight decay, 0.04 rising to 0.4 on a cosine
  (`train.weight_decay`, `recipe.final_weight_decay`; `CosineDecayAdamW`), and
  gradients clipped by the core's global norm rather than per layer at 3.0.
- The last layer is not frozen early on by default (`freeze_last_layer_fraction`
  0; the paper freezes it for its first epoch): on vit-nano, frozen for the first
  quarter of a run, the features were no better.

Measured on biomedical-imaging (`python benchmarks/vision.py --recipes dino --seeds S
--set ...`; linear / kNN accuracy with 5 shots, then with all labels; 4 classes,
chance 0.25; random init is one draw per probe seed). With these defaults, 5 seeds:
0.46 / 0.30 and 0.70 / 0.44, against 0.44 / 0.28 and 0.57 / 0.32 for a random
`resnet-nano` and 0.33 / 0.29 and 0.30 / 0.33 for raw pixels: ahead of both in every
column, by little with 5 shots (within a seed's spread, 0.07-0.09), clearly with all
labels. What each change did, 3 seeds, resnet-nano, batch 64, 300 steps (random init
0.42 / 0.31 and 0.56 / 0.29; raw pixels 0.35 / 0.29 and 0.29 / 0.33):
- the earlier defaults (the student's BatchNorm statistics copied into the teacher,
  no KoLeo): 0.37 / 0.24 and 0.50 / 0.37, the teacher drifting toward uniform
  (entropy 1.9 at step 30, 5.2 of log 256 = 5.55 at step 300);
- teacher temperature 0.01 instead: 0.40 / 0.29 and 0.51 / 0.35;
- KoLeo 1.0 alone: 0.38 / 0.22 and 0.55 / 0.32; its student: 0.49 / 0.27 and 0.60 / 0.35;
- the teacher's batch statistics alone: 0.44 / 0.32 and 0.58 / 0.37;
- both (the defaults): 0.44 / 0.35 and 0.69 / 0.44; with KoLeo at DINOv2's 0.1
  instead (5 seeds): 0.45 / 0.29 and 0.55 / 0.43, behind random init on linear with
  all labels.
On `vit-nano` (the earlier default backbone, batch 32, 200 steps) nothing tried beat
its random init (0.31 / 0.26 and 0.31 / 0.28): 0.25 / 0.24 and 0.32 / 0.20 as it
was, 0.26 / 0.28 and 0.35 / 0.33 with KoLeo 1.0; nor does SimCLR learn much there in
300 steps (0.35 / 0.30 and 0.38 / 0.26): a ViT this small needs more images or steps.
There, with BatchNorm in the head only, the teacher's batch statistics had scored
worse than the student's copied ones (linear, all labels: 0.26 against 0.44 in one
run; `teacher_batch_statistics = false` copies them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ssl_domains.recipes.two_views import TwoViewRecipe

# Collapse (DINO, figure 7): the teacher-student KL falls to 0 when both agree on
# something constant. Measured over 50 steps (`tests/test_dino.py`, 32 px, batch 8):
# with no centering, no sharpening, no KoLeo and the student's statistics in the
# teacher it falls to 0.14 by step 40; the defaults do not warn. 0.2 nats is between.
# The default run on biomedical-imaging holds 1.05 at step 300 (teacher entropy 4.25
# of log 256 = 5.55, embedding std 0.058 throughout); the earlier defaults, whose
# features lost to random init, dipped under it late.
KL_BOUND = 0.2


@dataclass
class DINOConfig:
    """Hyperparameters of `dino` (the `[recipe]` section)."""

    out_dim: int = 256
    hidden_dim: int = 512
    bottleneck_dim: int = 128
    head_layers: int = 3
    head_batch_norm: bool = True
    local_crops: int = 2
    global_scale_min: float = 0.4
    local_scale_min: float = 0.05
    local_scale_max: float = 0.4
    student_temperature: float = 0.1
    teacher_temperature: float = 0.02
    warmup_teacher_temperature: float = 0.02
    teacher_warmup_fraction: float = 0.3
    center_momentum: float = 0.9
    teacher_momentum: float = 0.99
    freeze_last_layer_fraction: float = 0.0
    koleo_weight: float = 1.0  # DINOv2's KoLeo regulariser on the student's features
    teacher_batch_statistics: bool = True  # the paper's teacher normalises with its batch's
    asymmetric_views: bool = True  # DINO's blur and solarisation odds per crop
    final_weight_decay: float = 0.4  # reached on a cosine from train.weight_decay
    representation: str = "teacher"  # whose backbone the run saves: "teacher" or "student"
    validation_batches: int = 20

    def validate(self) -> None:
        from ssl_domains.api import UserError

        if min(self.student_temperature, self.teacher_temperature) <= 0:
            raise UserError("recipe: temperatures must be above 0 (DINO: 0.1 student, 0.04-0.07)")
        if self.warmup_teacher_temperature <= 0 or not 0 <= self.teacher_warmup_fraction <= 1:
            raise UserError("recipe: need warmup_teacher_temperature > 0, warmup fraction 0-1")
        if not 0 <= self.center_momentum <= 1 or not 0 <= self.teacher_momentum <= 1:
            raise UserError("recipe: momentums must be 0 to 1 (DINO: center 0.9, teacher 0.996)")
        if min(self.out_dim, self.hidden_dim, self.bottleneck_dim, self.head_layers) < 1:
            raise UserError("recipe: out_dim, hidden_dim, bottleneck_dim, head_layers >= 1")
        if self.local_crops < 0 or self.validation_batches < 1:
            raise UserError("recipe: need local_crops >= 0 and validation_batches >= 1")
        if not 0 < self.local_scale_min <= self.local_scale_max <= 1:
            raise UserError("recipe: need 0 < local_scale_min <= local_scale_max <= 1")
        if not 0 <= self.freeze_last_layer_fraction <= 1:
            raise UserError("recipe.freeze_last_layer_fraction must be 0 to 1 (DINO: 1 epoch)")
        if self.koleo_weight < 0:
            raise UserError("recipe.koleo_weight must be >= 0 (DINOv2: 0.1)")
        if self.final_weight_decay < 0:
            raise UserError("recipe.final_weight_decay must be >= 0 (DINO: 0.4)")
        if self.representation not in ("teacher", "student"):
            raise UserError("recipe.representation must be 'teacher' or 'student'")
        if not 0 < self.global_scale_min <= 1:
            raise UserError("recipe.global_scale_min must be in (0, 1] (DINO: 0.4)")


class DINO(TwoViewRecipe):
    """DINO: a student matches an EMA teacher's centred, sharpened view of other crops.

    Examples:

    ```python
    from ssl_domains.recipes.dino.recipe import DINO, DINOConfig

    recipe = DINO(DINOConfig(local_crops=2, out_dim=1024))
    backbone = recipe.build_backbone("resnet-nano", image_size=64)
    ```

    From the command line: `ssl-domains pretrain --domain <images> --recipe dino`.
    """

    name = "dino"
    description = "DINO: self-distillation from an EMA teacher, multi-crop."
    paper = "Caron et al., 2021, arXiv:2104.14294"
    # The two-view recipes' backbone, steps and batch: under five minutes on a 2-core
    # CPU at 64 pixels (biomedical-imaging).
    defaults = {
        **TwoViewRecipe.defaults,
        "train.weight_decay": 0.04,  # the paper's, at the start of its cosine to 0.4
    }
    Config = DINOConfig
    comparisons = {
        "teacher-student KL (nats)": ("teacher_student_kl", "collapse_kl"),
        "teacher entropy (nats)": ("teacher_entropy", "uniform_entropy"),
    }

    def views(self, encoder):
        """Multi-crop views at the backbone's size, from the domain's views if it has
        them (their crop floor kept, their other layers on every crop)."""
        from ssl_domains.api import DINO_ODDS, multi_crop_views

        cfg, size = self.config, int(encoder.info["image_size"])
        return multi_crop_views(
            size,
            size,  # fixed-size backbones: see `multi_crop_views`
            cfg.local_crops,
            global_scale=(cfg.global_scale_min, 1.0),
            local_scale=(cfg.local_scale_min, cfg.local_scale_max),
            view=encoder.views,
            color=int(encoder.info["channels"]) == 3,
            odds=DINO_ODDS if cfg.asymmetric_views else None,
        )

    def build_model(self, encoder, source=None):
        from ssl_domains.recipes.dino.model import DINOModel

        cfg = self.config
        # The heads and teacher are never saved: a pretrained encoder gets fresh ones.
        return DINOModel(
            *self.model_inputs(encoder, source),  # views: multi-crop (`views` above)
            out_dim=cfg.out_dim,
            hidden_dim=cfg.hidden_dim,
            bottleneck_dim=cfg.bottleneck_dim,
            head_layers=cfg.head_layers,
            head_batch_norm=cfg.head_batch_norm,
            student_temperature=cfg.student_temperature,
            teacher_temperature=cfg.teacher_temperature,
            warmup_teacher_temperature=cfg.warmup_teacher_temperature,
            teacher_warmup_fraction=cfg.teacher_warmup_fraction,
            center_momentum=cfg.center_momentum,
            teacher_momentum=cfg.teacher_momentum,
            freeze_last_layer_fraction=cfg.freeze_last_layer_fraction,
            koleo_weight=cfg.koleo_weight,
            teacher_batch_statistics=cfg.teacher_batch_statistics,
        )

    def callbacks(self, model, total_steps):
        """The teacher's momentum and temperature schedules over the run, and a watch for
        collapse: the bottleneck's spread (`embedding_std`) and the teacher-student KL,
        which falls to 0 when both agree on a constant (DINO, figure 7)."""
        from ssl_domains.api import CollapseMonitor, CollapseSign, collapsed_embeddings

        model.teacher.set_total_steps(total_steps)
        kl = CollapseSign(
            "teacher_student_kl",
            KL_BOUND,
            f"the student matches the teacher on every crop (KL under {KL_BOUND:g} nats): "
            "the teacher says the same of every image; keep centering on and the teacher "
            "temperature below the student's",
        )
        return [CollapseMonitor([collapsed_embeddings(model.bottleneck_dim), kl])]

    def optimizer_args(self, model):
        return {
            "exclude_from_weight_decay": ["bias", "gamma", "beta", "norm"],
            "final_weight_decay": self.config.final_weight_decay,
        }

    def evaluate(self, model, batches, encoder, train_records=None):
        """Held-out DINO loss, teacher entropy next to `log K` (a uniform teacher) and
        teacher-student KL next to 0 (a collapsed pair), averaged over images."""
        scores = model.evaluate(batches, return_dict=True, verbose=0)
        return {
            "dino_loss": scores["dino_loss"],
            "teacher_entropy": scores["teacher_entropy"],
            "uniform_entropy": math.log(self.config.out_dim),
            "teacher_student_kl": scores["teacher_student_kl"],
            "collapse_kl": 0.0,
            "embedding_std": scores["embedding_std"],
        }

    def save(self, model, encoder, preset_dir):
        """The teacher's backbone (or the student's, `representation`), without heads."""
        if self.config.representation == "teacher":
            encoder = replace(encoder, backbone=model.teacher.networks[0])
        encoder.save(preset_dir)
