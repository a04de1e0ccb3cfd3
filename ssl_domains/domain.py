"""The domain adapter API: what is special about the data of one field.

A domain never imports a recipe and a recipe never imports a domain; the core joins
them through the registry. Keep plugin modules light: no TensorFlow or Keras import
at module level, no network access at import.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ssl_domains.records import ReadOptions
from ssl_domains.rules import Rule, apply_rules_counting
from ssl_domains.version import PLUGIN_API_VERSION

MODALITIES = ("text", "audio", "image", "image-text")
PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_]*\]")


@dataclass
class NoOptions:
    """A domain or recipe without options of its own."""


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

    Subclass `TextDomain` or `AudioDomain` rather than this class. A domain of
    another modality implements `read`, `clean`, `encode` and `measure` itself;
    an image domain, for instance, yields decoded images and pairs with image
    recipes:

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

        def encode(self, record):
            return record.tobytes()
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
        cannot be decoded; raise `BadFile(reason)` for a file that cannot be read."""
        raise NotImplementedError

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

    def encode(self, record: Any) -> bytes:
        """A cleaned record as the bytes stored in the run's shards."""
        raise NotImplementedError

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
        split(text): one cleaned document into training records (legal clause
            windows); its pieces stay on one side of the validation split.

    Class attributes:
        lowercase: whether the domain vocabulary is case-folded.
        language: language of the documents, for the corpus language check
            (`"en"`), or None to skip it (source code).
        min_function_words: share of common function words below which a 20+ word
            document counts as another language (lower it for terse text).

    Examples:

    ```python
    from ssl_domains.api import Rule, TextDomain

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
    language: ClassVar[str | None] = "en"
    min_function_words: ClassVar[float] = 0.05

    def redactions(self) -> list[Rule]:
        return []

    def normalizations(self) -> list[Rule]:
        return []

    def units(self) -> list[str]:
        return []

    def split(self, text: str) -> list[str]:
        return [text]

    def placeholders(self) -> list[str]:
        """Bracketed upper-case tokens the rules write (`[ACCOUNT]`, `[IBAN]`): the
        vocabulary reserves them and tokenisation keeps them whole."""
        rules = self.redactions() + self.normalizations()
        return sorted({m for r in rules for m in PLACEHOLDER.findall(r.replacement)})

    def read(self, path: Path, options: ReadOptions) -> Iterator[str]:
        from ssl_domains.corpus import read_text_records

        yield from read_text_records(path, options)

    def quality(self, record: str) -> str | None:
        from ssl_domains.hygiene import quality_issue

        return quality_issue(record, self.language, self.min_function_words)

    def dedup_key(self, record: str) -> str | None:
        return record

    def encode(self, record: str) -> bytes:
        return record.encode("utf-8")

    def divide(self, record: str, fraction: float) -> tuple[str, str] | None:
        words = record.split()
        held = min(max(1, round(fraction * len(words))), len(words) - 1)
        return (" ".join(words[:-held]), " ".join(words[-held:])) if held > 0 else None

    unit: ClassVar[str] = "words"

    def measure(self, record: str) -> float:
        return float(len(record.split()))

    def clean(self, record: str, counts: Counter[str]) -> str | None:
        if not hasattr(self, "_redaction_rules"):
            self._redaction_rules = self.redactions()
        text = apply_rules_counting(self._redaction_rules, record, counts).strip()
        return text or None


class AudioDomain(DomainAdapter):
    """A domain whose records are recordings: 16 kHz mono float32 waveforms.

    The core reads WAV/FLAC/OGG files of any sample rate and channel count, and
    manifests (CSV/JSONL with a `path` column) listing them; `clean` trims silence if
    asked, normalises loudness and drops what is too short or silent.

    Class attributes:
        sample_rate: what every waveform is resampled to.
        trim_silence: cut leading and trailing silence.
        loudness_dbfs: RMS level every waveform is scaled to.
        min_seconds: shorter records are dropped.

    Examples:

    ```python
    from ssl_domains.api import AudioDomain

    class CallCenterDomain(AudioDomain):
        name = "calls"
        description = "Recorded support calls."
        default_recipe = "wav2vec2"
        trim_silence = True

        def sample_corpus(self):
            return [Path(__file__).parent / "data" / "calls.csv"]
    ```
    """

    modality: ClassVar[str] = "audio"
    sample_rate: ClassVar[int] = 16_000
    trim_silence: ClassVar[bool] = False
    loudness_dbfs: ClassVar[float] = -20.0
    min_seconds: ClassVar[float] = 0.2

    def read(self, path: Path, options: ReadOptions) -> Iterator[Any]:
        from ssl_domains.audio import read_audio_records

        yield from read_audio_records(path, self.sample_rate)

    def clean(self, record, counts: Counter[str]):
        import numpy as np

        from ssl_domains import audio

        wave = audio.trim_silence(record) if self.trim_silence else record
        # No trailing digital silence: served waveforms are zero-padded at the end, so
        # the served model reads trailing zeros as padding; training must agree.
        wave = np.trim_zeros(wave, "b")
        if len(wave) < self.min_seconds * self.sample_rate or not wave.any():
            return None
        return audio.normalize_loudness(wave, self.loudness_dbfs)

    def encode(self, record) -> bytes:
        return record.astype("<f4").tobytes()

    def divide(self, record, fraction: float):
        shortest = int(self.min_seconds * self.sample_rate)
        cut = len(record) - max(round(fraction * len(record)), shortest)
        return (record[:cut], record[cut:]) if cut >= shortest else None

    unit: ClassVar[str] = "seconds"

    def measure(self, record) -> float:
        return len(record) / self.sample_rate

    def dedup_key(self, record) -> str:
        """Exact duplicates only: the digest of the samples (one "word")."""
        import hashlib

        return hashlib.blake2b(record.tobytes(), digest_size=16).hexdigest()
