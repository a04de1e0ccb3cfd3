"""The plugin API: all that a domain, recipe or task plugin imports from ssl-domains.

Plugins and recipes, first-party ones included, import from this module and from
no other module of the core (`tests/test_architecture.py` holds ours to it), so the
core can be reorganised without breaking them. `PLUGIN_API_VERSION` changes when a
name here changes meaning.

Importing it stays cheap: plugin discovery imports every plugin, so the names that
live in modules loading TensorFlow or Keras are resolved on first use.

```python
from ssl_domains.api import Rule, TextDomain

class ClaimsDomain(TextDomain):
    name = "claims"
    description = "Insurance claim notes."
    default_recipe = "mlm"

    def normalizations(self):
        return [Rule("claim_id", r"\\bCLM-\\d+\\b", "[CLAIM]")]
```
"""

from __future__ import annotations

import importlib
from typing import Any

from ssl_domains.audio.domain import AudioDomain
from ssl_domains.data.corpus_files import find_files, open_binary
from ssl_domains.data.records import BadFile, BadRecord, ReadOptions
from ssl_domains.errors import UserError
from ssl_domains.image.domain import ImageDomain
from ssl_domains.image_text.domain import ImageTextDomain, ImageTextOptions
from ssl_domains.plugin.domain_adapter import DomainAdapter, NoOptions
from ssl_domains.plugin.recipe import Recipe
from ssl_domains.tasks.catalog import TaskEntry
from ssl_domains.text.domain import TextDomain
from ssl_domains.text.rules import Rule, apply_rules
from ssl_domains.version import PLUGIN_API_VERSION

# Name -> the module that defines it, imported when the name is first used.
_ON_FIRST_USE = {
    # audio signals
    "read_audio": "ssl_domains.audio.signal",
    # text batches and baselines, for text recipes
    "chunk_tokens": "ssl_domains.text.packing",
    "pack_tokens": "ssl_domains.text.packing",
    "unigram_counts": "ssl_domains.text.encoder",
    "domain_normalizer": "ssl_domains.text.encoder",
    # keras-hub families: task classes and where words start
    "class_for": "ssl_domains.presets.families",
    "family_names": "ssl_domains.presets.families",
    "hugging_face_family": "ssl_domains.presets.families",
    "hugging_face_head": "ssl_domains.presets.families",
    "vocabulary": "ssl_domains.presets.families",
    "word_start": "ssl_domains.presets.families",
    # fine-tuning tasks, to subclass (a `TaskEntry` registers one)
    "Task": "ssl_domains.tasks.base",
    "Classification": "ssl_domains.text.tasks.classification",
    # weights
    "copy_weights_growing": "ssl_domains.text.vocabulary",
    "without_optimizer": "ssl_domains.training.trainer",
    # for a plugin's own tests: read its corpus and labels as the core does
    "prepare_corpus": "ssl_domains.data.prepare_corpus",
    "read_labeled": "ssl_domains.data.labeled_set",
    "class_names": "ssl_domains.data.labeled_set",
    "Registry": "ssl_domains.plugin.registry",
    # images and contrastive objectives, for image recipes
    "IMAGE_SIZES": "ssl_domains.image.backbones",
    "build_image_backbone": "ssl_domains.image.backbones",
    "pooled_features": "ssl_domains.image.backbones",
    "square_batches": "ssl_domains.image.pixels",
    "image_epoch_steps": "ssl_domains.image.pixels",
    "to_backbone": "ssl_domains.image.pixels",
    "standard_views": "ssl_domains.image.views",
    "asymmetric_views": "ssl_domains.image.views",
    "BYOL_ODDS": "ssl_domains.image.views",
    "DINO_ODDS": "ssl_domains.image.views",
    "RandomSolarization": "ssl_domains.image.views",
    "nt_xent": "ssl_domains.objectives.losses.nt_xent",
    "ProjectionHead": "ssl_domains.objectives.projection_head",
    # joint-embedding objectives (BYOL, DINO, Barlow Twins): teacher and collapse watch
    "EMATeacher": "ssl_domains.objectives.ema_teacher",
    "CollapseMonitor": "ssl_domains.objectives.collapse",
    "CollapseSign": "ssl_domains.objectives.collapse",
    "collapsed_embeddings": "ssl_domains.objectives.collapse",
    "embedding_std": "ssl_domains.objectives.collapse",
    "symmetrised_negative_cosine": "ssl_domains.objectives.losses.negative_cosine",
    "cross_correlation": "ssl_domains.objectives.losses.barlow_twins",
    "barlow_twins_terms": "ssl_domains.objectives.losses.barlow_twins",
    # self-distillation (DINO): multi-crop views, its head and loss
    "MultiCrop": "ssl_domains.image.views",
    "multi_crop_views": "ssl_domains.image.views",
    "DINOHead": "ssl_domains.objectives.dino_head",
    "dino_loss": "ssl_domains.objectives.losses.dino",
    "teacher_entropy": "ssl_domains.objectives.losses.dino",
    "teacher_student_kl": "ssl_domains.objectives.losses.dino",
    "teacher_temperature": "ssl_domains.objectives.losses.dino",
    "updated_center": "ssl_domains.objectives.losses.dino",
    "koleo_loss": "ssl_domains.objectives.losses.koleo",
    # masked image modelling (MAE): patches, masks and the reconstruction loss
    "VIT_SIZES": "ssl_domains.image.backbones",
    "fresh_converter": "ssl_domains.image.pixels",
    "patchify": "ssl_domains.image.patch_masking",
    "unpatchify": "ssl_domains.image.patch_masking",
    "random_patch_mask": "ssl_domains.image.patch_masking",
    "gather_patches": "ssl_domains.image.patch_masking",
    "visible_count": "ssl_domains.image.patch_masking",
    "masked_patch_loss": "ssl_domains.objectives.losses.masked_patches",
    "mean_patch_prediction": "ssl_domains.objectives.losses.masked_patches",
    # image-text pairs and contrastive language-image objectives (CLIP)
    "DualEncoderBackbone": "ssl_domains.image_text.dual_encoder",
    "logit_scale_multiplier": "ssl_domains.image_text.dual_encoder",
    "pair_batches": "ssl_domains.image_text.batches",
    "pair_recall": "ssl_domains.image_text.batches",
    "info_nce": "ssl_domains.objectives.losses.info_nce",
    # a loss a model computes itself, as one replica's share under tf.distribute
    "replica_share": "ssl_domains.objectives.replicas",
}

__all__ = [
    "AudioDomain",
    "ImageDomain",
    "ImageTextDomain",
    "ImageTextOptions",
    "BadFile",
    "BadRecord",
    "DomainAdapter",
    "NoOptions",
    "PLUGIN_API_VERSION",
    "ReadOptions",
    "Recipe",
    "Rule",
    "TaskEntry",
    "TextDomain",
    "UserError",
    "apply_rules",
    "find_files",
    "open_binary",
    *_ON_FIRST_USE,
]


def __getattr__(name: str) -> Any:
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module 'ssl_domains.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(_ON_FIRST_USE[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
