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
import math
import numbers
import os
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
    distribute: str = ""  # as in RunSection
    devices: int = 0


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
    ranges: typing.ClassVar[dict[str, Range]] = {"head_warmup_steps": (-1, None, False, False)}


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


def _type_name(kind: Any) -> str:
    """`int`, `float`, `list[str]`: a type as a user writes it."""
    return getattr(kind, "__name__", str(kind)) if not typing.get_args(kind) else str(kind)


def coerce(value: Any, kind: Any, key: str) -> Any:
    """Convert a TOML value or a `--set` string to a field's declared type.

    Strings (from `--set`) are parsed; typed TOML values must already be of the type,
    or an int where a float goes: `steps = true`, `steps = 2.5` and `text_field = 5`
    are user errors that name the type expected.
    """
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
        origin = typing.get_origin(kind)
    try:
        if origin is list:
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list | tuple):
                raise TypeError(value)
            (item,) = typing.get_args(kind) or (str,)
            return [coerce(v, item, key) for v in value]
        if kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
                return True
            if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
                return False
            raise ValueError(value)
        if kind in (int, float):
            if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
                raise TypeError(value)
            if isinstance(value, numbers.Integral) or (
                isinstance(value, str) and value.strip().isdigit()
            ):
                return int(value) if kind is int else float(value)
            number = float(value)
            if not math.isfinite(number) or (kind is int and not number.is_integer()):
                raise ValueError(value)
            return int(number) if kind is int else number
        if kind is str:
            if isinstance(value, os.PathLike):  # from Python callers; TOML has no paths
                return os.fspath(value)
            if not isinstance(value, str):
                raise TypeError(value)
            return value
    except (TypeError, ValueError, OverflowError):
        got = "true" if value is True else "false" if value is False else repr(value)
        raise UserError(f"{key} expects {_type_name(kind)}, got {got}") from None
    return value


def _unknown_key(config: Sections, key: str) -> UserError:
    """Name the section, and the nearest key (or section) that exists."""
    section_name, _, name = key.partition(".")
    sections = [f.name for f in dataclasses.fields(config) if getattr(config, f.name) is not None]
    if section_name not in sections:
        close = difflib.get_close_matches(section_name, sections, n=1)
        hint = f"did you mean [{close[0]}]?" if close else f"sections: {', '.join(sections)}"
        if not name:
            return UserError(f"unknown config key {key!r}: not a section; {hint}")
        return UserError(f"unknown config key {key!r}: no section [{section_name}]; {hint}")
    names = list(_field_types(getattr(config, section_name)))
    if not name:
        return UserError(f"config section [{section_name}] must be a table of keys, not a value")
    head = name.split(".")[0]
    if "." in name and head in names:
        value = f"{section_name}.{head}"
        return UserError(f"unknown config key {key!r}: {value} is a value, not a table")
    where = f"unknown config key {key!r} in [{section_name}]"
    hints = getattr(config, "hints", {})
    if not names:
        more = f" (see `{hints[section_name]}`)" if section_name in hints else ""
        return UserError(f"{where}: this section takes no keys here{more}")
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return UserError(f"{where}; did you mean {section_name}.{close[0]}?")
    return UserError(f"{where}; its keys: {', '.join(names)}")


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
        raise _unknown_key(config, key)
    value = coerce(value, types_[name], key)
    validate_field(key, value, section)
    setattr(section, name, value)


# Values no run could use, as (low, high, low_open, high_open); None: unbounded.
Range = tuple[float | None, float | None, bool, bool]
RANGES: dict[str, Range] = {
    "run.seed": (0, 2**32 - 1, False, False),  # NumPy's seeds
    "run.devices": (0, None, False, False),
    "data.validation_fraction": (0, 1, False, True),
    "data.shuffle_buffer": (0, None, False, False),
    "data.seq_len": (1, None, False, False),
    "data.shots": (0, None, False, False),
    "model.vocabulary_size": (1, None, False, False),
    "model.extend_vocabulary": (0, None, False, False),
    "train.steps": (0, None, False, False),
    "train.epochs": (0, None, False, False),
    "train.batch_size": (1, None, False, False),
    "train.learning_rate": (0, None, False, False),
    "train.weight_decay": (0, None, False, False),
    "train.warmup_fraction": (0, 1, False, False),
    "train.clip_norm": (0, None, False, False),
    "train.checkpoint_every": (1, None, False, False),
    "train.log_every": (1, None, False, False),
    "train.accumulate": (1, None, False, False),
    "train.stop_at": (0, None, False, False),
    "train.head_warmup_steps": (0, None, False, False),
    "train.patience": (0, None, False, False),
    "train.layer_decay": (0, 1, True, False),
    "train.head_learning_rate": (0, None, True, False),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "run.backend": BACKENDS,
    "run.precision": tuple(PRECISIONS),
    "run.distribute": DISTRIBUTIONS,
    "data.txt_mode": TXT_MODES,
}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """`be at least 1`, `not be negative`, `be in [0, 1)`: a range as the message says it."""
    if high is None:
        if low_open:
            return f"be above {_number(low)}"
        return "not be negative" if low == 0 else f"be at least {_number(low)}"
    bounds = f"{_number(low)}, {_number(high)}"
    return f"be in {'(' if low_open else '['}{bounds}{')' if high_open else ']'}"


def validate_field(key: str, value: Any, section: Any = None) -> None:
    """Reject values no run could use, at the moment they are set. A section may narrow
    or widen a range with its own `ranges` (keyed by field name)."""
    own = getattr(type(section), "ranges", None)
    bounds = (own if isinstance(own, dict) else {}).get(key.partition(".")[2]) or RANGES.get(key)
    if bounds is not None and isinstance(value, int | float):
        low, high, low_open, high_open = bounds
        below = low is not None and (value <= low if low_open else value < low)
        above = high is not None and (value >= high if high_open else value > high)
        if below or above:
            raise UserError(f"{key} must {_describe(*bounds)}, got {_number(value)}")
    choices = CHOICES.get(key)
    if choices is not None and value not in choices:
        shown = ", ".join(c or '""' for c in choices)
        raise UserError(f"{key} must be one of {shown}, got {value!r}")
    if key == "run.task" and value:
        check_task(value)  # which modality it needs is known once the source is


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
    config.hints = {
        "recipe": f"ssl-domains recipes show {recipe_cls.name}",
        "domain": f"ssl-domains domains show {domain_cls.name}",
    }
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
    sizes = getattr(recipe_cls, "sizes", None)
    fresh = not (config.model.source or config.model.image_source)
    if fresh and sizes and config.model.size not in sizes:
        raise UserError(
            f"model.size must be one of {', '.join(sizes)} for {recipe_cls.name}, "
            f"got {config.model.size!r}"
        )
    return config
