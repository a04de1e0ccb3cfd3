"""The run configuration: one tree of dataclasses, read from TOML, set with `--set`.

A run is fully described by its resolved config (`run.toml`). Values resolve in this
order, later winning: built-in defaults, the recipe's `defaults`, the domain's
`defaults`, a `--config` file, command-line flags, then `--set key=value`.
The `[recipe]` and `[domain]` sections hold the options of the chosen recipe and
domain, checked against their own `Config` dataclasses.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssl_domains.errors import UserError
from ssl_domains.tasks import check_task

BACKENDS = ("tensorflow", "jax", "torch")
TXT_MODES = ("auto", "line", "paragraph", "file")
# fp32, or mixed precision: bf16 computes in bfloat16 (AMX CPUs, TPUs, recent GPUs),
# fp16 in float16 with loss scaling (GPUs); variables stay float32 either way.
PRECISIONS = {"fp32": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}
DISTRIBUTIONS = ("", "data", "model")


@dataclass
class RunSection:
    domain: str = ""
    recipe: str = ""
    backend: str = "tensorflow"
    dir: str = ""
    seed: int = 0
    precision: str = "fp32"  # a key of PRECISIONS
    # "": one device; "data": replicas on `devices` devices; "model": weights sharded
    # by a layout map too (JAX). `devices` 0: all there are; on a CPU-only host, N > 1
    # makes N virtual devices.
    distribute: str = ""
    devices: int = 0


@dataclass
class DataSection:
    corpus: list[str] = field(default_factory=list)
    text_field: str = "text"
    text_column: str = "text"
    txt_mode: str = "auto"
    validation_fraction: float = 0.05
    shuffle_buffer: int = 10_000
    seq_len: int = 128
    deduplicate: bool = True
    near_duplicates: bool = True
    # `tfds:` corpora: the local data_dir ("" = TFDS's default) and the feature to read
    # ("" = the only one of the domain's kind).
    tfds_dir: str = ""
    tfds_field: str = ""


@dataclass
class ModelSection:
    size: str = "tiny"
    source: str = ""
    # image-text: an image preset for the image tower, beside a text preset `--from`
    image_source: str = ""
    vocabulary_size: int = 8000
    extend_vocabulary: int = 0


@dataclass
class TrainSection:
    steps: int = 1000
    epochs: float = 0.0
    batch_size: int = 32
    learning_rate: float = 0.0  # 0: the recipe's default for the backbone's size, fresh or not
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    clip_norm: float = 1.0
    checkpoint_every: int = 200
    log_every: int = 10
    # Batches whose gradients are averaged into one optimizer step: a batch N times
    # larger in the memory of one (the optimizer's `gradient_accumulation_steps`).
    accumulate: int = 1
    stop_at: int = 0  # stop early at this step, e.g. to fit a job slot; --resume goes on


@dataclass
class PretrainTrainSection(TrainSection):
    # Steps a recipe's fresh head trains alone, encoder frozen, before the whole model
    # does, when the encoder came `--from` a checkpoint that lacks that head.
    head_warmup_steps: int = 100


class Sections:
    """A config made of named sections, each a dataclass: what a `run.toml` holds."""

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = dataclasses.asdict(value)
        return out

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    def save(self, path: Path) -> None:
        path.write_text(self.to_toml())


@dataclass
class RunConfig(Sections):
    """The config of a pretraining run."""

    run: RunSection = field(default_factory=RunSection)
    data: DataSection = field(default_factory=DataSection)
    model: ModelSection = field(default_factory=ModelSection)
    train: PretrainTrainSection = field(default_factory=PretrainTrainSection)
    recipe: Any = None
    domain: Any = None


@dataclass
class FinetuneRunSection:
    source: str = ""
    task: str = ""  # a word of ssl_domains.tasks.TASKS; "": classification
    domain: str = ""
    backend: str = "tensorflow"
    dir: str = ""
    seed: int = 0
    random_init: bool = False
    precision: str = "fp32"  # a key of PRECISIONS


@dataclass
class LabeledDataSection:
    data: str = ""
    eval_data: str = ""
    text_column: str = "text"
    text_a_column: str = "text_a"
    text_b_column: str = "text_b"
    label_column: str = "label"
    tokens_column: str = "tokens"
    tags_column: str = "tags"
    audio_column: str = "path"
    image_column: str = "path"
    validation_fraction: float = 0.2
    shots: int = 0  # > 0: train on this many rows per class; the rest validate
    seq_len: int = 128


@dataclass
class FinetuneTrainSection(TrainSection):
    steps: int = 0
    epochs: float = 20.0
    batch_size: int = 16
    learning_rate: float = 0.0  # 0: 2e-4, or 5e-3 with a frozen backbone
    warmup_fraction: float = 0.1
    patience: int = 4
    class_weights: bool = False
    freeze_backbone: bool = False
    layer_decay: float = 1.0
    # Steps the fresh head trains alone, encoder frozen, at head_learning_rate before
    # the whole model does (LP-FT, Kumar et al., 2022); -1: 100 with --shots, else 0.
    head_warmup_steps: int = -1
    head_learning_rate: float = 5e-3


@dataclass
class FinetuneConfig(Sections):
    """The config of a fine-tuning run."""

    run: FinetuneRunSection = field(default_factory=FinetuneRunSection)
    data: LabeledDataSection = field(default_factory=LabeledDataSection)
    train: FinetuneTrainSection = field(default_factory=FinetuneTrainSection)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file, as a user error if it is missing or malformed."""
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UserError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read config file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"invalid TOML in {path}: {error}") from None


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"train": {"steps": 5}}` -> `{"train.steps": 5}`."""
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def parse_assignment(text: str) -> tuple[str, str]:
    """Split a `--set key=value` argument."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--set expects key=value, got {text!r}")
    return key.strip(), value.strip()


def _field_types(obj: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(type(obj))
    return {f.name: hints[f.name] for f in dataclasses.fields(obj)}


def coerce(value: Any, kind: Any, key: str) -> Any:
    """Convert a TOML value or a `--set` string to a field's declared type."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
        origin = typing.get_origin(kind)
    try:
        if origin is list:
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            (item,) = typing.get_args(kind) or (str,)
            return [coerce(v, item, key) for v in value]
        if kind is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "1", "yes", "on"):
                return True
            if str(value).lower() in ("false", "0", "no", "off"):
                return False
            raise ValueError(value)
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        if kind in (int, float):
            return kind(float(value)) if kind is int else float(value)
        if kind is str:
            return str(value)
    except (TypeError, ValueError):
        name = getattr(kind, "__name__", str(kind))
        raise UserError(f"{key} expects {name}, got {value!r}") from None
    return value


def _unknown_key(key: str, known: list[str]) -> UserError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return UserError(f"unknown config key {key!r}{hint}")


def known_keys(config: Sections) -> list[str]:
    keys = []
    for section in dataclasses.fields(config):
        value = getattr(config, section.name)
        if value is not None:
            keys += [f"{section.name}.{name}" for name in _field_types(value)]
    return keys


def assign(config: Sections, key: str, value: Any) -> None:
    """Set one dotted key (`train.steps`) on `config`, checked and type-converted."""
    section_name, _, name = key.partition(".")
    sections = [f.name for f in dataclasses.fields(config)]
    section = getattr(config, section_name) if section_name in sections else None
    types_ = _field_types(section) if dataclasses.is_dataclass(section) else {}
    if name not in types_:
        raise _unknown_key(key, known_keys(config))
    value = coerce(value, types_[name], key)
    setattr(section, name, value)
    validate_field(key, value)


def validate_field(key: str, value: Any) -> None:
    """Reject values no run could use, at the moment they are set."""
    if key == "run.backend" and value not in BACKENDS:
        raise UserError(f"run.backend must be one of {', '.join(BACKENDS)}, got {value!r}")
    if (
        key in ("train.batch_size", "data.seq_len", "train.checkpoint_every", "train.accumulate")
        and value < 1
    ):
        raise UserError(f"{key} must be at least 1, got {value}")
    if (
        key
        in (
            "train.steps",
            "train.epochs",
            "train.stop_at",
            "train.head_warmup_steps",
            "model.extend_vocabulary",
        )
        and value < 0
    ):
        raise UserError(f"{key} must not be negative, got {value}")
    if key == "data.validation_fraction" and not 0 <= value < 1:
        raise UserError(f"{key} must be in [0, 1), got {value}")
    if key.endswith(".precision") and value not in PRECISIONS:
        raise UserError(f"{key} must be one of {', '.join(PRECISIONS)}, got {value!r}")
    if key == "run.distribute" and value not in DISTRIBUTIONS:
        raise UserError(f"run.distribute must be data or model, got {value!r}")
    if key == "data.txt_mode" and value not in TXT_MODES:
        raise UserError(f"data.txt_mode must be one of {', '.join(TXT_MODES)}, got {value!r}")
    if key == "run.task" and value:
        check_task(value)  # which modality it needs is known once the source is
    if key == "train.layer_decay" and not 0 < value <= 1:
        raise UserError(f"train.layer_decay must be in (0, 1], got {value}")


def apply_tree(config: Sections, tree: dict[str, Any]) -> None:
    """Apply a nested dict (a TOML file's content) key by key."""
    for key, value in flatten(tree).items():
        assign(config, key, value)


def resolve_config(
    registry: Any,
    file_tree: dict[str, Any] | None = None,
    flags: dict[str, Any] | None = None,
    sets: list[str] | tuple[str, ...] = (),
) -> RunConfig:
    """Resolve the full config of a run from its layers (see the module docstring).

    `flags` maps dotted keys to values given as command-line options (None = not
    given); `sets` are raw `key=value` strings. Domain and recipe are looked up in
    `registry` first, since their defaults and option sections depend on them.
    """
    layers = [
        flatten(file_tree or {}),
        {k: v for k, v in (flags or {}).items() if v is not None},
        dict(parse_assignment(s) for s in sets),
    ]

    def last(key: str) -> Any:
        values = [layer[key] for layer in layers if key in layer]
        return values[-1] if values else None

    domain_name = last("run.domain")
    if not domain_name:
        raise UserError("no domain given: pass --domain NAME (see `ssl-domains domains list`)")
    domain_cls = registry.domain(str(domain_name))
    recipe_cls = registry.recipe(str(last("run.recipe") or domain_cls.default_recipe))
    registry.check_pair(domain_cls, recipe_cls)

    config = RunConfig(recipe=recipe_cls.Config(), domain=domain_cls.Config())
    plugin_defaults = [flatten(recipe_cls.defaults), flatten(domain_cls.defaults)]
    if last("model.source"):
        # Plugins tune their learning rates for fresh models of their size; a model
        # continued `--from` a checkpoint takes the recipe's pretrained default.
        plugin_defaults = [
            {k: v for k, v in d.items() if k != "train.learning_rate"} for d in plugin_defaults
        ]
    for layer in (*plugin_defaults, *layers):
        for key, value in layer.items():
            assign(config, key, value)
    config.run.domain, config.run.recipe = domain_cls.name, recipe_cls.name
    for options in (config.recipe, config.domain):
        if hasattr(options, "validate"):
            options.validate()
    return config
