"""`Encoder`: a backbone with the preprocessing that feeds it, saved as a preset.

A preset written by ssl-domains is a plain keras-hub preset directory (backbone
config and weights, tokenizer and its vocabulary, and any task a recipe saves), plus
`ssl_domains.json` with what keras-hub does not know: the domain's normalisation
rules, the sequence length and where the model came from. `--from` accepts such a
preset, a run directory, any keras-hub preset directory or handle, and a local
Hugging Face checkpoint directory that keras-hub converts.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras

from ssl_domains.errors import UserError
from ssl_domains.presets.families import family_names, hugging_face_config, hugging_face_family
from ssl_domains.presets.sources import resolve_source
from ssl_domains.text.normalizer import TextNormalizer

META_FILE = "ssl_domains.json"


KERAS_PACKAGES = ("keras", "keras_hub", "keras_nlp", "keras_cv")  # Keras imports these itself
# The preset files `Encoder.load` deserialises: backbone, tokenizer, converters.
LOADED_FILES = ("config.json", "tokenizer.json", "image_converter.json", "audio_converter.json")


def register_classes(location: str, trusted: Collection[str] = ("ssl_domains",)) -> None:
    """Import the modules that define a preset's classes (backbone, tokenizer,
    converter), so Keras knows them.

    Only modules of the `trusted` top-level packages are imported (the callers pass
    `Registry.trusted_packages`: ssl-domains and the plugins the environment did not
    disable). A class of any other package that Keras does not already know stops
    with one line instead of Keras's traceback: importing it would run code that
    `SSL_DOMAINS_DISABLE_PLUGIN_AUTOLOAD` or `SSL_DOMAINS_PLUGINS` switched off.
    """
    import importlib

    for path in (Path(location) / name for name in LOADED_FILES):
        if not path.is_file():
            continue
        config = json.loads(path.read_text())
        module = config.get("module", "") if isinstance(config, dict) else ""
        package = module.split(".")[0]
        if not module or package in KERAS_PACKAGES:
            continue
        if package in trusted:
            try:
                importlib.import_module(module)
            except ImportError:
                pass  # keras-hub reports the missing class with its own message
        elif keras.saving.get_registered_object(config.get("registered_name", "")) is None:
            raise UserError(
                f"{location}: {path.name} names {module}.{config.get('class_name')}, and "
                f"{package!r} is not an enabled plugin's package, so it is not imported "
                "(`ssl-domains plugins list --all` shows what is disabled)"
            )


@dataclass
class Encoder:
    """The part of a model that pretraining improves, and what feeds it.

    Args:
        backbone: a keras-hub `Backbone` (or any Keras model a recipe builds).
        tokenizer: the keras-hub tokenizer for text, else None.
        normalizer: the domain's `TextNormalizer`, run before the tokenizer.
        sequence_length: tokens per training sequence.
        info: provenance saved with the preset (domain, recipe, source).
        converter: keras-hub's `ImageConverter` or `AudioConverter` of an image or
            audio preset (resizing and rescaling, or features), else None.
        views: the domain's training-time augmentation of images (a Keras model on
            images in [0, 1], `ImageDomain.views`), for recipes that compare views.
            Not saved: a run sets it from its domain.

    Examples:

    ```python
    from ssl_domains.presets.encoder import Encoder

    encoder = Encoder.load("runs/finance-mlm-20261128-101500")  # a run, or its preset/
    token_ids = encoder.tokenizer(encoder.normalize(["Revenue rose 12% to $4.2bn."]))
    ```
    """

    backbone: keras.Model
    tokenizer: Any = None
    normalizer: TextNormalizer | None = None
    sequence_length: int = 128
    info: dict[str, Any] = field(default_factory=dict)
    converter: Any = None
    views: Any = None

    def save(self, preset_dir: str | Path) -> None:
        preset_dir = Path(preset_dir)
        preset_dir.mkdir(parents=True, exist_ok=True)
        self.backbone.save_to_preset(str(preset_dir))
        for preprocessing in (self.tokenizer, self.converter):
            if preprocessing is not None:
                preprocessing.save_to_preset(str(preset_dir))
        meta = {
            "sequence_length": self.sequence_length,
            "normalizer": self.normalizer.get_config()["rules"] if self.normalizer else [],
            **self.info,
        }
        (preset_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(
        cls,
        source: str,
        sequence_length: int | None = None,
        trusted: Collection[str] = ("ssl_domains",),
    ) -> Encoder:
        """Load a run, a preset directory, a keras-hub handle or a Hugging Face directory.

        `trusted`: top-level packages whose modules a preset's config may name (see
        `register_classes`). The backbone computes in the global Keras dtype policy
        (the run's `--precision`), whatever precision the preset was saved in."""
        import keras_hub

        import ssl_domains.text.tokenizer  # noqa: F401  registers DomainTokenizer for from_preset
        from ssl_domains.training.precision import with_policy

        location = resolve_source(source)
        register_classes(location, trusted)
        hugging_face = hugging_face_config(location)
        try:
            backbone = keras_hub.models.Backbone.from_preset(location)
        except (ValueError, FileNotFoundError, OSError, KeyError) as error:
            hint = ""
            if not Path(location).is_dir():  # a handle: its download may be what failed
                hint = " (a remote preset: loading it needs the network)"
            if hugging_face is not None:
                hint = (
                    f" (a Hugging Face {hugging_face['model_type']!r} checkpoint; keras-hub "
                    f"reads model.safetensors, and ssl-domains pretrains {family_names()}: "
                    f"see docs/model-families.md)"
                )
            raise UserError(f"cannot load a backbone from {source}: {error}{hint}") from None
        backbone = with_policy(backbone)  # backbones inside it keep their saved policy else
        try:
            tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(location)
        except (ValueError, FileNotFoundError, OSError, KeyError) as error:
            family = hugging_face_family(location) if hugging_face is not None else None
            if family is not None:  # a text family: a tokenizer that fails to load is an error
                files = " + ".join(family.files)
                raise UserError(
                    f"cannot load the {family.name} tokenizer of {source} ({error}); keras-hub "
                    f"reads it from {files}"
                ) from None
            tokenizer = None
        converter = load_converter(location)
        meta_path = Path(location) / META_FILE
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        rules = meta.pop("normalizer", [])
        length = sequence_length or meta.pop("sequence_length", None) or 0
        limit = getattr(backbone, "max_sequence_length", None)
        if tokenizer is not None and not length:
            length = min(128, limit or 128)
        if limit and length > limit:
            raise UserError(f"sequence length {length} exceeds {source}'s limit of {limit}")
        return cls(
            backbone=backbone,
            tokenizer=tokenizer,
            converter=converter,
            normalizer=TextNormalizer(rules) if rules else None,
            sequence_length=length,
            info={**meta, "source": source, "location": location},
        )

    def normalize(self, texts):
        return self.normalizer(texts) if self.normalizer is not None else texts


def load_converter(location: str):
    """keras-hub's image or audio converter of a preset, or None if it has neither."""
    import keras_hub
    from keras_hub.src.utils.preset_utils import (
        AUDIO_CONVERTER_CONFIG_FILE,
        IMAGE_CONVERTER_CONFIG_FILE,
    )

    kinds = {
        IMAGE_CONVERTER_CONFIG_FILE: keras_hub.layers.ImageConverter,
        AUDIO_CONVERTER_CONFIG_FILE: keras_hub.layers.AudioConverter,
    }
    for config_file, cls in kinds.items():
        if Path(location).is_dir() and not (Path(location) / config_file).is_file():
            continue
        try:
            return cls.from_preset(location)
        except (ValueError, FileNotFoundError, OSError, KeyError):
            continue
    return None
