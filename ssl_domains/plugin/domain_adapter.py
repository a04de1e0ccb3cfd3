"""The domain adapter API: what is special about the data of one field.

A domain never imports a recipe and a recipe never imports a domain; the core joins
them through the registry. Keep plugin modules light: no TensorFlow or Keras import
at module level, no network access at import.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ssl_domains.data.records import ReadOptions
from ssl_domains.version import PLUGIN_API_VERSION

MODALITIES = ("text", "audio", "image", "image-text")


@dataclass
class NoOptions:
    """A domain or recipe without options of its own."""


class DomainAdapter:
    """Base class of every domain plugin, whatever its modality.

    A domain says what its data is (`modality`), how to read and clean a record,
    where its embedded sample corpus lives, and which recipe and model size suit it
    by default. Modality-specific hooks live on subclasses: `TextDomain` for text.
    Register a subclass under the entry-point group `ssl_domains.domains`.

    Hooks meet untrusted input, and an exception one raises never ends the run:
    one raised by `read` skips the rest of that file, one raised by `clean`,
    `quality`, `dedup_key`, `split` or `measure` (or by storing a piece `split`
    returned, counted as `encode`) skips that record; each is counted in the corpus
    report as `plugin NAME: HOOK raised TYPE`. A hook that raised on every record
    (`read`: every file) is a bug, and the run stops with one line saying so. Raise
    `ssl_domains.errors.UserError` for what the user must fix: it stops at once.

    Class attributes:
        name: the `--domain` name.
        modality: one of `"text"`, `"audio"`, `"image"`, `"image-text"`; a recipe
            is only paired with domains whose modality it lists.
        description: one line for `ssl-domains domains list`.
        default_recipe: recipe used when `--recipe` is not given.
        defaults: config overrides this domain wants, as dotted keys, e.g.
            `{"model.size": "tiny", "train.steps": 600}`. The user's config file,
            flags and `--set` all override them.
        Config: a dataclass of the domain's own options (the `[domain]` section).
        api_version: the `ssl_domains.PLUGIN_API_VERSION` the plugin targets.

    Examples:

    Subclass `TextDomain` or `AudioDomain` rather than this class. A domain of
    another modality implements `read`, `clean` and `measure` itself, and its
    modality (`ssl_domains.plugin.modality`) stores the records in shards; an image
    domain, for instance, yields decoded images and pairs with image recipes:

    ```python
    import numpy as np
    from ssl_domains.api import DomainAdapter

    class HistologyDomain(DomainAdapter):
        name = "histology"
        modality = "image"
        description = "Stained tissue slides, as 224x224 tiles."
        default_recipe = "simclr"

        def sample_corpus(self):
            return [Path(__file__).parent / "data" / "tiles"]

        def read(self, path, options):
            yield np.asarray(PIL.Image.open(path).convert("RGB"))  # one tile per file
    ```
    """

    name: ClassVar[str] = ""
    modality: ClassVar[str] = ""
    description: ClassVar[str] = ""
    default_recipe: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    Config: ClassVar[type] = NoOptions
    api_version: ClassVar[int] = PLUGIN_API_VERSION

    def __init__(self, config: Any = None):
        self.config = config if config is not None else self.Config()

    def sample_corpus(self) -> list[Path]:
        """Files or folders of the embedded sample corpus used when no `--corpus`."""
        raise NotImplementedError(f"domain {self.name!r} ships no sample corpus")

    def sample_labels(self) -> Path | None:
        """A small labeled file for `finetune`, if the domain ships one."""
        return None

    def read(self, path: Path, options: ReadOptions) -> Iterator[Any]:
        """Yield the records of one corpus file, or a `BadRecord(reason)` for one that
        cannot be decoded; raise `BadFile(reason)` for a file that cannot be read.

        `path` is a regular file this process can read (the core refuses named pipes,
        symlink loops and unreadable files before calling `read`). Reasons are counted
        as they are: keep them short, without paths. Any other exception skips the
        rest of the file as `plugin NAME: read raised TYPE`; raising it on every
        file stops the run (see the class docstring).
        """
        raise NotImplementedError

    def byte_ranges(self, path: Path, options: ReadOptions, size: int) -> list | None:
        """`path` cut into `FileRange`s of about `size` bytes for several workers to
        read apart (`ssl_domains.data.file_ranges`), or None to read it whole (the
        default). Cut only a file whose records are its lines, for a `read` that
        honours `options.byte_range`."""
        return None

    def clean(self, record: Any, counts: Counter[str]) -> Any | None:
        """Hygiene before training: return the cleaned record, or None to drop it.

        Add what was redacted to `counts` (by kind); the counts go into the run's
        corpus report.
        """
        return record

    def quality(self, record: Any) -> str | None:
        """Why a cleaned record should not be trained on (a short reason), or None."""
        return None

    def dedup_key(self, record: Any) -> str | None:
        """The text duplicates are detected on, or None to skip duplicate detection."""
        return None

    def split(self, record: Any) -> list[Any]:
        """One cleaned document into training records (e.g. legal clause windows).

        Runs after cleaning, checks and duplicate removal, and all pieces of one
        document go to the same side of the train/validation split.
        """
        return [record]

    def divide(self, record: Any, fraction: float) -> tuple[Any, Any] | None:
        """One record into (training part, held-out last `fraction`), for a corpus of a
        single record; None if it cannot be divided (it is then validated on itself)."""
        return None

    unit: ClassVar[str] = "records"

    def measure(self, record: Any) -> float:
        """The size of a cleaned record in `unit`s, for corpus statistics."""
        return 1.0

    @classmethod
    def options(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls.Config)]
