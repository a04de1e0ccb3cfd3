"""Reading audio for training: any WAV/FLAC/OGG in, 16 kHz mono float32 out.

Decoding uses soundfile (libsndfile), resampling scipy's polyphase filter; both are
exact and fast enough for corpora read once. A manifest (CSV or JSONL with a `path`
column, paths relative to the manifest) lists files with optional labels.

A header is checked before anything is decoded, since it decides the memory used: a
sample rate outside `RATE_RANGE` (a header claiming 2**31 Hz makes resampling ask for
hundreds of GiB; 1 Hz makes every byte 16000 samples) or a length over
`MAX_SECONDS` (a FLAC of silence compresses a thousandfold) is a reason, not a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from math import gcd
from pathlib import Path

import numpy as np

from ssl_domains.data.corpus_files import read_files_or_manifest
from ssl_domains.data.records import BadRecord

SAMPLE_RATE = 16_000
RATE_RANGE = (1_000, 768_000)  # Hz: below is not audio, above no recorder writes
MAX_SECONDS = 3_600  # one record; longer files are cut into clips before pretraining
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif")


def read_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a file, mix it to mono and resample it: float32 in [-1, 1].

    Raises `ValueError` for a file that cannot be decoded (missing, empty, truncated,
    not audio, or a header that lies: see the module's docstring).
    """
    import soundfile

    try:
        if Path(path).stat().st_size == 0:
            raise ValueError("empty file")
    except OSError:
        pass  # soundfile says what is wrong
    try:
        info = soundfile.info(str(path))
        check_header(info.samplerate, info.frames)
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError, TypeError) as error:
        raise ValueError(f"cannot decode audio: {error}") from None
    if data.size == 0:
        raise ValueError("empty audio")
    if len(data) < _declared_frames(path):
        raise ValueError(f"truncated: {len(data)} of {_declared_frames(path)} frames")
    return mono_at(data, rate, sample_rate)


def check_header(rate: int, frames: int) -> None:
    """`ValueError` for a sample rate or length no real recording has."""
    if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise ValueError(f"implausible sample rate ({rate} Hz)")
    if frames > MAX_SECONDS * rate:
        raise ValueError(f"longer than {MAX_SECONDS // 60} minutes")


def samples_to_wave(samples: np.ndarray, rate: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decoded samples, integer PCM or float, `(frames,)` or `(frames, channels)` (as
    TFDS stores audio), to what `read_audio` makes of a file."""
    if samples.size == 0:
        raise ValueError("empty audio")
    wave = samples.astype(np.float32)
    if samples.dtype.kind == "i":  # full scale is the type's range, as soundfile reads PCM
        wave /= float(np.iinfo(samples.dtype).max) + 1
    return mono_at(wave.reshape(len(wave), -1), rate, sample_rate)


def mono_at(frames: np.ndarray, rate: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """float32 `(frames, channels)` at `rate` Hz, mixed to mono at `sample_rate` Hz."""
    wave = frames.mean(axis=1)
    if rate != sample_rate:
        from scipy.signal import resample_poly

        divisor = gcd(int(rate), sample_rate)
        wave = resample_poly(wave, sample_rate // divisor, int(rate) // divisor)
    return np.asarray(wave, np.float32)


def _declared_frames(path: str | Path) -> int:
    """Frames a PCM WAV header promises (libsndfile reads a cut file without complaint);
    0 where the header says nothing we can check."""
    import wave

    if Path(path).suffix.lower() != ".wav":
        return 0
    try:
        with wave.open(str(path)) as handle:
            return handle.getnframes()
    except (wave.Error, EOFError, OSError):
        return 0


def rms_dbfs(wave: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(wave))) + 1e-12))


def normalize_loudness(wave: np.ndarray, target_dbfs: float = -20.0) -> np.ndarray:
    """Scale to `target_dbfs` RMS, never amplifying beyond clipping."""
    gain = 10 ** ((target_dbfs - rms_dbfs(wave)) / 20)
    peak = float(np.max(np.abs(wave))) * gain
    if peak > 1.0:
        gain /= peak
    return (wave * gain).astype(np.float32)


def trim_silence(
    wave: np.ndarray, threshold_db: float = -40.0, frame: int = 320, margin: int = 1
) -> np.ndarray:
    """Cut leading and trailing 20 ms frames quieter than `threshold_db` below the peak."""
    count = len(wave) // frame
    if count == 0:
        return wave
    frames = wave[: count * frame].reshape(count, frame)
    level = 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-12)
    loud = np.flatnonzero(level > level.max() + threshold_db)
    start = max(loud[0] - margin, 0) * frame
    end = min(loud[-1] + 1 + margin, count) * frame
    return wave[start:end]


def padded_batch(waves: list[np.ndarray]) -> np.ndarray:
    """Waveforms -> one float32 batch, shorter ones padded with trailing zeros (what a
    served audio model takes)."""
    batch = np.zeros((len(waves), max(len(w) for w in waves)), np.float32)
    for row, wave in enumerate(waves):
        batch[row, : len(wave)] = wave
    return batch


def read_audio_records(
    path: Path, sample_rate: int = SAMPLE_RATE
) -> Iterator[np.ndarray | BadRecord]:
    """One waveform per audio file; every listed file of a manifest."""
    yield from read_files_or_manifest(
        path, AUDIO_SUFFIXES, lambda source: read_audio(source, sample_rate)
    )
