"""The `speech` domain: short spoken utterances, for wav2vec 2.0 pretraining.

What is special about speech data:
- recordings come at every sample rate (8 kHz telephone audio, 16, 22.05, 44.1 or
  48 kHz) and often in stereo; a model hears one rate, so every file is mixed to mono
  and resampled to 16 kHz, the rate of wav2vec 2.0 and of most speech corpora, which
  keeps the whole speech band (up to 8 kHz) at a third of the cost of 48 kHz;
- short utterances (commands, keywords) are mostly silence before and after the
  words: that silence teaches a contrastive model nothing and, batched, it crowds
  out the speech, so leading and trailing silence is trimmed (`trim_silence`);
- levels differ by tens of decibels between microphones and speakers; every
  utterance is scaled to the same loudness (-20 dBFS RMS, never clipping), so that
  loudness is not a cue the model or a classifier can lean on.

The embedded sample is synthetic: 240 utterances of twelve keywords and sixty short
commands, spoken by espeak-ng in eight voices at varied speeds and pitches, stored in
mixed formats (`data/generate.py` writes it). `data/keywords.csv` labels the keyword
utterances for classification; `data/transcripts.csv` transcribes every utterance.
"""

from __future__ import annotations

from pathlib import Path

from ssl_domains.api import AudioDomain

DATA = Path(__file__).parent / "data"
AUDIO = DATA / "audio"
KEYWORDS = DATA / "keywords.csv"
TRANSCRIPTS = DATA / "transcripts.csv"


class SpeechDomain(AudioDomain):
    """Spoken utterances: 16 kHz mono, silence trimmed, loudness normalised.

    Reads WAV, FLAC and Ogg files of any sample rate and channel count, and CSV or
    JSONL manifests with a `path` column. Without `--corpus`, pretraining uses the
    embedded sample of spoken keywords and commands.

    Examples:

    ```python
    from collections import Counter
    from ssl_domains.api import read_audio
    from ssl_domains.plugins.speech import AUDIO, SpeechDomain

    domain = SpeechDomain()
    wave = read_audio(AUDIO / "keyword-yes-02.flac")  # float32, 16 kHz, mono
    cleaned = domain.clean(wave, Counter())            # trimmed, at -20 dBFS
    len(wave) / 16_000, len(cleaned) / 16_000          # seconds before and after
    ```

    ```bash
    ssl-domains pretrain --domain speech
    ssl-domains pretrain --domain speech --corpus ./recordings/ --set train.steps=2000
    ```
    """

    name = "speech"
    description = "Spoken utterances: commands, keywords, dictation; 16 kHz mono."
    default_recipe = "wav2vec2"
    trim_silence = True
    defaults = {"model.size": "tiny", "train.steps": 400, "train.batch_size": 8}

    def sample_corpus(self) -> list[Path]:
        return [AUDIO]

    def sample_labels(self) -> Path:
        """`context_labels.csv`: spoken two-way commands labelled with the way to turn
        first, both words in every command (`KEYWORDS` is the older one-word set)."""
        return DATA / "context_labels.csv"
