"""The `__NAME__` domain: what is special about its recordings.

Written by `ssl-domains plugins new`; every hook ssl-domains calls is here with what
it is for. Keep this module light: no TensorFlow or Keras import at module level and
no network access at import, because `ssl-domains domains list` imports it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ssl_domains.api import AudioDomain, ReadOptions

DATA = Path(__file__).parent / "data"


class __CLASS__(AudioDomain):
    """The `__NAME__` domain.

    Examples:

    ```python
    from __PACKAGE__ import __CLASS__

    domain = __CLASS__()
    domain.sample_corpus()
    ```
    """

    # -- identity: what `ssl-domains domains list` shows --------------------------------
    name = "__NAME__"
    description = "Describe your recordings in one line."
    api_version = __API__  # the plugin-API version this adapter was written for

    # -- defaults: any config key, overridden by the user's config, flags and --set ------
    default_recipe = "wav2vec2"
    defaults = {"model.size": "nano", "train.steps": 200, "train.batch_size": 8}

    # -- audio specifics ------------------------------------------------------------------
    sample_rate = 16_000  # every recording is resampled to this
    trim_silence = True  # cut leading and trailing silence
    loudness_dbfs = -20.0  # RMS level every recording is scaled to
    min_seconds = 0.2  # shorter recordings are dropped

    def sample_corpus(self) -> list[Path]:
        """Files or folders pretraining reads when the user gives no --corpus."""
        return [DATA / "audio"]

    def sample_labels(self) -> Path | None:
        """A `path,label` manifest `ssl-domains finetune` uses when given no --data."""
        return DATA / "labels.csv"

    def read(self, path: Path, options: ReadOptions) -> Iterator[np.ndarray]:
        """Waveforms of one file (WAV/FLAC/OGG, or a manifest listing them)."""
        yield from super().read(path, options)

    def clean(self, record: np.ndarray, counts: Counter[str]) -> np.ndarray | None:
        """Trim, normalise loudness, or return None to drop the recording."""
        return super().clean(record, counts)
