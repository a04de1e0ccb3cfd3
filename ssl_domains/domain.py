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

from ssl_domains import PLUGIN_API_VERSION
from ssl_domains.rules import Rule, apply_rules_counting

MODALITIES = ("text", "audio", "image", "image-text")


@dataclass
class NoOptions:
    """A domain or recipe without options of its own."""


@dataclass
class ReadOptions:
    """How the core reads corpus files; filled from the `[data]` config section."""

    text_field: str = "text"
    text_column: str = "text"
    txt_mode: str = "line"


class DomainAdapter:
    """Base class of every domain plugin, whatever its modality.

    A domain says what its data is (`modality`), how to read and clean a record,
    where its embedded sample corpus lives, and which recipe and model size suit it
    by default. Modality-specific hooks live on subclasses: `TextDomain` for text.
    Register a subclass under the entry-point group `ssl_domains.domains`.

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

    An audio domain has the same shape; it returns waveforms instead of strings
    and pairs with audio recipes such as `wav2vec2`:

    ```python
    import numpy as np
    from ssl_domains import DomainAdapter

    class BirdsongDomain(DomainAdapter):
        name = "birdsong"
        modality = "audio"
        description = "Field recordings of bird calls."
        default_recipe = "wav2vec2"

        def sample_corpus(self):
            return [Path(__file__).parent / "data" / "calls"]

        def read(self, path, options):
            yield read_wav_as_float32(path)  # one record per file

        def clean(self, record, counts):
            return None if np.abs(record).max() < 1e-4 else record  # drop silence
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
        """Yield the records of one corpus file. Raise `ValueError` for a bad record."""
        raise NotImplementedError

    def clean(self, record: Any, counts: Counter[str]) -> Any | None:
        """Hygiene before training: return the cleaned record, or None to drop it.

        Add what was redacted or dropped to `counts` (by kind); the counts go into
        the run's corpus report.
        """
        return record

    @classmethod
    def options(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls.Config)]


class TextDomain(DomainAdapter):
    """A domain whose records are documents of text.

    Hooks, all optional:
        redactions(): `Rule`s that replace identifiers that must never be trained
            on (account numbers, patient ids, secrets) by a placeholder such as
            `[ACCOUNT]`. They run before anything else, while the corpus is read.
        normalizations(): `Rule`s that put the field's entities into one canonical
            form (`12.5 per cent` -> `12.5%`). They run in the TensorFlow graph, in
            training and in the exported SavedModel alike.
        units(): regexes of entities that tokenisation keeps whole (a currency
            amount, a ticker, a gene symbol) instead of splitting on punctuation.
        split(text): one document into training documents (e.g. legal clauses).

    Class attributes:
        lowercase: whether the domain vocabulary is case-folded.

    Examples:

    ```python
    from ssl_domains import Rule, TextDomain

    class ClaimsDomain(TextDomain):
        name = "claims"
        description = "Insurance claim notes."
        default_recipe = "mlm"
        defaults = {"model.size": "tiny", "model.vocabulary_size": 6000}

        def sample_corpus(self):
            return [Path(__file__).parent / "data" / "claims.txt"]

        def redactions(self):
            return [Rule("policy_number", r"\\bPOL-\\d{8}\\b", "[POLICY]")]

        def units(self):
            return [r"\\$\\d[\\d,]*(?:\\.\\d+)?"]
    ```
    """

    modality: ClassVar[str] = "text"
    lowercase: ClassVar[bool] = False

    def redactions(self) -> list[Rule]:
        return []

    def normalizations(self) -> list[Rule]:
        return []

    def units(self) -> list[str]:
        return []

    def split(self, text: str) -> list[str]:
        return [text]

    def placeholders(self) -> list[str]:
        """Placeholder tokens the redactions write; the vocabulary keeps them whole."""
        return sorted({r.replacement for r in self.redactions() if "\\" not in r.replacement})

    def read(self, path: Path, options: ReadOptions) -> Iterator[str]:
        from ssl_domains.corpus import read_text_records

        for text in read_text_records(path, options):
            yield from self.split(text)

    def clean(self, record: str, counts: Counter[str]) -> str | None:
        if not hasattr(self, "_redaction_rules"):
            self._redaction_rules = self.redactions()
        text = apply_rules_counting(self._redaction_rules, record, counts).strip()
        return text or None
