"""TFDS splits as a corpus: `--corpus tfds:NAME[/CONFIG][:SPLIT]`.

Only a dataset already prepared in the local data_dir is read (`data.tfds_dir`, else
TFDS's own default, `$TFDS_DATA_DIR` or `~/tensorflow_datasets`): nothing is
downloaded or built at run time. SPLIT is any TFDS split (`train`, `train[:10%]`,
`train+test`; default `train`). It is cut into slices, one per shard file it reads,
so that the slices of a large dataset can be read in parallel. Each example yields
one feature (`data.tfds_field`, or the only one of the domain's kind) in the record
form of the domain's modality: text a `str`, audio a mono float32 waveform at the
domain's rate, an image uint8 `(height, width, channels)`, image-text a `Pair` (the
field is then `IMAGE,TEXT`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ssl_domains.data.records import BadRecord
from ssl_domains.errors import UserError
from ssl_domains.plugin.modality import modality_of

if TYPE_CHECKING:
    import numpy as np

PREFIX = "tfds:"


@dataclass(frozen=True)
class TfdsSpec:
    """What `tfds:NAME[/CONFIG][:SPLIT]` names."""

    name: str
    config: str | None
    split: str

    def __str__(self) -> str:
        config = f"/{self.config}" if self.config else ""
        return f"{PREFIX}{self.name}{config}:{self.split}"


@dataclass(frozen=True)
class TfdsSlice:
    """One corpus item: the examples of a split that one shard file holds.

    `split` has absolute bounds (`train[0:1024]`); `nbytes` is the shard's size,
    prorated to the examples taken, for progress bars; `modified_ns`, the shard's
    mtime, makes a rebuilt dataset a new input to caches that compare items.
    """

    dataset: TfdsSpec
    split: str
    data_dir: str
    field: str
    nbytes: int
    modified_ns: int = 0

    def __str__(self) -> str:
        return str(TfdsSpec(self.dataset.name, self.dataset.config, self.split))


def is_tfds_spec(spec: Any) -> bool:
    return isinstance(spec, str) and spec.startswith(PREFIX)


def parse_spec(spec: str) -> TfdsSpec:
    """`tfds:NAME[/CONFIG][:SPLIT]`; the split may hold colons of its own (`train[1:9]`)."""
    dataset, _, split = spec[len(PREFIX) :].partition(":")
    name, _, config = dataset.partition("/")
    if not name.strip():
        raise UserError(f"{spec!r}: expected tfds:NAME[/CONFIG][:SPLIT]")
    return TfdsSpec(name.strip(), config.strip() or None, split.strip() or "train")


def tfds_slices(spec: str, data_dir: str = "", field: str = "") -> list[TfdsSlice]:
    """The slices of a `tfds:` spec's split, one per shard file, in shard order."""
    dataset = parse_spec(spec)
    splits = load_builder(dataset, data_dir).info.splits
    slices = []
    for part in dataset.split.split("+"):
        base = part.split("[")[0].strip()
        try:
            taken, whole = splits[part], splits[base]
        except (KeyError, ValueError) as error:
            raise UserError(f"{spec}: {error}") from None
        # Where each shard starts in its split, to name a slice by absolute bounds.
        starts, start = {}, 0
        for shard in whole.file_instructions:
            starts[shard.filename] = start
            start += shard.examples_in_shard
        for shard in taken.file_instructions:
            take = shard.take if shard.take >= 0 else shard.examples_in_shard - shard.skip
            first = starts[shard.filename] + shard.skip
            size, modified_ns = _file_stat(shard.filename)
            nbytes = size * take // max(shard.examples_in_shard, 1)
            bounds = f"{base}[{first}:{first + take}]"
            slices.append(TfdsSlice(dataset, bounds, data_dir, field, nbytes, modified_ns))
    return slices


def read_slice(item: TfdsSlice, domain) -> Iterator:
    """The records of one slice, in `domain`'s record form (`BadRecord` for a bad one)."""
    tfds = import_tfds()
    builder = load_builder(item.dataset, item.data_dir)
    to_record = modality_of(domain).tfds_converter(
        domain, builder.info.features, item.field, str(item.dataset)
    )
    examples = builder.as_dataset(split=item.split, shuffle_files=False)
    for example in tfds.as_numpy(examples):
        yield to_record(example)


def import_tfds():
    try:
        import tensorflow_datasets
    except ImportError:
        raise UserError(
            "tfds: corpora need TensorFlow Datasets: pip install 'ssl-domains[tfds]'"
        ) from None
    return tensorflow_datasets


@functools.cache  # once per process: every slice of a split opens the same builder
def load_builder(dataset: TfdsSpec, data_dir: str = ""):
    """The builder of a dataset prepared in `data_dir`; a `UserError` saying how to
    prepare it if it is not there. Never downloads."""
    tfds = import_tfds()
    where = os.path.expanduser(data_dir) if data_dir else tfds.core.constants.DATA_DIR
    config = f" --config {dataset.config}" if dataset.config else ""
    missing = (
        f"TFDS dataset {dataset.name}{'/' + dataset.config if dataset.config else ''} is not "
        f"prepared in {where}, and nothing is downloaded at run time: prepare it first "
        f"with `tfds build {dataset.name}{config} --data_dir {where}`, or set "
        "data.tfds_dir to the data_dir that holds it"
    )
    try:
        builder = tfds.builder(
            dataset.name, config=dataset.config, data_dir=where if data_dir else None
        )
    except tfds.core.DatasetNotFoundError:
        raise UserError(missing) from None
    except ValueError as error:  # an unknown config, a malformed name
        raise UserError(f"{PREFIX}{dataset.name}: {error}") from None
    if not builder.is_prepared():
        raise UserError(missing)
    return builder


def features_by_name(features, prefix: str = "") -> dict[str, Any]:
    """Every feature, nested ones named by their path (`document/text`)."""
    found = {}
    for name, feature in features.items():
        if hasattr(feature, "items"):  # a nested FeaturesDict
            found.update(features_by_name(feature, f"{prefix}{name}/"))
        else:
            found[f"{prefix}{name}"] = feature
    return found


def pick_feature(features, kind: str, wanted: str, where: str) -> str:
    """The feature of TFDS class `kind` (`"Text"`, `"Audio"`, `"Image"`) to read:
    `wanted`, else the only one there is."""
    available = features_by_name(features)
    kind_class = getattr(import_tfds().features, kind)
    listing = ", ".join(f"{n} ({type(f).__name__})" for n, f in available.items())
    if wanted:
        if not isinstance(available.get(wanted), kind_class):
            raise UserError(f"{where}: no {kind} feature {wanted!r}; its features: {listing}")
        return wanted
    candidates = [n for n, f in available.items() if isinstance(f, kind_class)]
    if not candidates:
        raise UserError(f"{where} has no {kind} feature to read: {listing}")
    if len(candidates) > 1:
        raise UserError(
            f"{where} has more than one {kind} feature; name the one to read with "
            f"--set data.tfds_field=NAME. Its features: {listing}"
        )
    return candidates[0]


def feature_value(example: dict, name: str):
    for part in name.split("/"):
        example = example[part]
    return example


def to_text(value: bytes) -> str | BadRecord:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return BadRecord("not UTF-8")


def to_image(pixels: np.ndarray, channels: int) -> np.ndarray | BadRecord:
    """uint8 `(height, width, channels)`, converted as the image reader converts files."""
    import numpy as np
    from PIL import Image

    if pixels.dtype != np.uint8:
        return BadRecord(f"{pixels.dtype} pixels, not uint8")
    image = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    converted = np.asarray(image.convert("RGB" if channels == 3 else "L"))
    return converted if converted.ndim == 3 else converted[..., None]


def _file_stat(name: str) -> tuple[int, int]:
    """(size, mtime in ns) of a shard file; zeros where the os cannot stat it (gs://)."""
    try:
        stat = os.stat(name)
    except OSError:
        return 0, 0
    return stat.st_size, stat.st_mtime_ns
