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

Departures, and why (measured on biomedical-imaging, 64 px, vit-nano, batch 32, one
random-init draw per run; the 0.44 below came out at 0.36 in the table further down):
- Teacher temperature 0.02 throughout (`teacher_temperature`; the warm-up starts at
  `warmup_teacher_temperature`, also 0.02), sharper than the paper's 0.04 to 0.07.
  The tiles differ little (raw pixels' embedding std is 0.0013, a seventh of the
  0.009 of 12288-dim vectors spread over the sphere), so the head's logits differ
  little between images, and a warmer teacher, once centred, is nearly uniform and
  teaches nothing. Measured, 200 steps, linear probe with all labels: 0.44 at 0.02
  (random init 0.27, raw pixels 0.30); 0.28 at 0.04 with 64 prototypes; at 0.07
  the teacher went uniform (entropy 6.93 = log 1024) within 200 steps.
- Teacher momentum 0.99 at the start (the paper: 0.996). The EMA's time constant is
  `1 / (1 - m)` steps: 250 at 0.996, longer than a 200-step run, whose teacher would
  then barely leave its random initialisation; 100 at 0.99.
- BatchNorm in the head's MLP (`head_batch_norm`, the paper's `use_bn_in_head`,
  which it uses for ResNets only). Without it, the bottleneck of a fresh nano ViT
  is nearly the same vector for every tile (embedding std 0.004 where spread
  outputs give 0.088: the tiles themselves differ little, raw pixels score 0.001),
  so after centering the teacher is uniform and the run collapses to it within 60
  steps; with it the bottleneck stays spread (0.05-0.07). The teacher's BatchNorm
  statistics are the student's current ones, copied after each EMA update
  (`DINOModel`): averaged at the teacher's momentum they lag the data for the whole
  run. The paper's teacher uses its batch's statistics; measured here, 200 steps,
  linear probe with all labels: 0.44 with the student's statistics, 0.26 with the
  batch's (`EMATeacher(batch_statistics=True)`).
- Sizes: `K` = 256 prototypes, MLP 512 wide, bottleneck 128 (the paper: 65536,
  2048, 256), for a nano backbone, batches of 32 and runs of minutes; two local
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
  0; the paper freezes it for its first epoch, `freeze_last_layer`): frozen for the
  first quarter of a 200-step run (one epoch here), the features were no better
  (below).

Measured on biomedical-imaging (`python benchmarks/vision.py --recipes dino --seeds 5`,
random init averaged over one draw per seed; linear / kNN accuracy with 5 shots, then
with all labels; 4 classes, chance 0.25; a random `vit-nano` scores 0.30 / 0.25 and
0.30 / 0.27, raw pixels 0.33 / 0.29 and 0.30 / 0.33):
- these defaults (teacher kept, the paper's view odds and weight decay): 0.27 / 0.25
  and 0.34 / 0.23; with the first quarter's prototypes frozen too (the paper's first
  epoch): 0.25 / 0.23 and 0.30 / 0.20;
- at weight decay 0.01: the teacher with the view odds 0.26 / 0.24 and 0.36 / 0.23,
  the student with them 0.27 / 0.25 and 0.28 / 0.29, the teacher with every crop
  alike 0.25 / 0.21 and 0.27 / 0.26, and the student with every crop alike (the
  earlier defaults) 0.29 / 0.29 and 0.36 / 0.28;
- 3 seeds: `out_dim` 4096: 0.26 / 0.22 and 0.26 / 0.24; 600 steps at AdamW 3e-4 with
  teacher momentum 0.996: 0.26 / 0.24 and 0.31 / 0.24.
Not one beats raw pixels, nor random init in every column: DINO does not yet learn
these tiles in minutes, and SimCLR remains the domain's recipe. The teacher stays near
uniform from early on (entropy 4.1 at step 60 and 5.1 at step 600, of log 256 = 5.55,
in the 600-step run): centred, the tiles' logits differ little from image to image.
Earlier, one run each: `out_dim` 64 with teacher temperature 0.01 gave a healthier
teacher (entropy 3.8 of 4.2) but worse features (0.26 / 0.25 and 0.29 / 0.23);
`model.size=resnet-nano` scored 0.30 / 0.20 with 5 shots against 0.44 / 0.28 for a
random ResNet; at lr 1e-3, 400 steps went uniform (entropy 5.54 of 5.55): collapse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ssl_domains.recipes.two_views import TwoViewRecipe

# Collapse (DINO, figure 7): the teacher-student KL falls to 0 when both agree on
# something constant. Measured over 30 steps (`tests/test_dino.py`, 32 px, batch 8):
# the default stays above 1 nat (2.2, 2.1, 1.3 per 10 steps at teacher temperature 0.04;
# the test checks the 0.02 default stays above the bound); with no centering and no
# sharpening it falls to 0.14 (0.82, 0.24, 0.14). 0.2 nats separates them. The
# default run on biomedical-imaging dips under it late (0.157 at step 150 of 200,
# teacher entropy 5.19 of log 256 = 5.55): its teacher drifts toward uniform, which
# the warning rightly flags; its features do not beat random init (see above).
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
    backbone = recipe.build_backbone("vit-nano", image_size=64)
    ```

    From the command line: `ssl-domains pretrain --domain <images> --recipe dino`.
    """

    name = "dino"
    description = "DINO: self-distillation from an EMA teacher, multi-crop."
    paper = "Caron et al., 2021, arXiv:2104.14294"
    # About two minutes on a 2-core CPU at 64 pixels (biomedical-imaging).
    defaults = {
        "model.size": "vit-nano",
        "train.steps": 200,
        "train.batch_size": 32,
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
