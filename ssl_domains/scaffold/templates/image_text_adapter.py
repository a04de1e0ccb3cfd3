"""The `__NAME__` domain (__MODALITY__): what is special about its images and captions.

Written by `ssl-domains plugins new`. `ImageTextDomain` reads CSV/JSONL manifests of
an image path and a caption (`domain.image_field`, `domain.caption_field`) and folders
where `x.png` sits beside its caption `x.txt`; broken pairs (a missing or corrupt
image, an empty caption) are skipped and counted. Captions go through `redactions()`
and `normalizations()` as a text domain's documents do. As generated it pretrains
with CLIP (`ssl-domains pretrain --domain __NAME__`), is evaluated zero-shot on
`data/labels.csv` (`ssl-domains evaluate RUN`) and exports a SavedModel with
`embed_image` and `embed_text` signatures. Keep this module light: no TensorFlow or
Keras import at module level and no network access at import.
"""

from __future__ import annotations

from pathlib import Path

from ssl_domains.api import ImageTextDomain, Rule

DATA = Path(__file__).parent / "data"


class __CLASS__(ImageTextDomain):
    """The `__NAME__` domain.

    Examples:

    ```python
    from __PACKAGE__ import __CLASS__

    domain = __CLASS__()
    pair = next(domain.read(domain.sample_corpus()[0], None))
    pair.image.shape, pair.caption  # (32, 32, 3), 'a striped tile'
    ```
    """

    name = "__NAME__"
    modality = "__MODALITY__"
    description = "Describe your images and captions in one line."
    api_version = __API__  # the plugin-API version this adapter was written for
    default_recipe = "clip"
    # A minute or two on a laptop CPU; raise steps, sizes and image_size for real data.
    defaults = {"model.size": "vit-nano", "train.steps": 200, "train.batch_size": 32}
    channels = 3  # 1 for grayscale scans
    image_size = 32  # images are resized (shorter side) and centre-cropped to this square
    prompts = ("a {} tile", "a photo of a {} tile")  # zero-shot templates for class names

    def sample_corpus(self) -> list[Path]:
        return [DATA / "labels.csv"]  # path,label,caption: the captions are the pairs

    def sample_labels(self) -> Path | None:
        return DATA / "labels.csv"

    def redactions(self) -> list[Rule]:
        """Identifiers captions must never be trained on, e.g. a case number."""
        return [Rule("case", r"\bCASE-\d{6}\b", "[CASE]")]
