"""`AudioDomain`: the base of domains whose records are recordings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ssl_domains.data.records import ReadOptions
from ssl_domains.plugin.domain_adapter import DomainAdapter


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
        from ssl_domains.audio.signal import read_audio_records

        yield from read_audio_records(path, self.sample_rate)

    def clean(self, record, counts: Counter[str]):
        import numpy as np

        from ssl_domains.audio import signal as audio

        wave = audio.trim_silence(record) if self.trim_silence else record
        # No trailing digital silence: served waveforms are zero-padded at the end, so
        # the served model reads trailing zeros as padding; training must agree.
        wave = np.trim_zeros(wave, "b")
        if len(wave) < self.min_seconds * self.sample_rate or not wave.any():
            return None
        return audio.normalize_loudness(wave, self.loudness_dbfs)

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
