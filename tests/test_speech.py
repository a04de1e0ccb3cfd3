"""The speech domain: any audio file in, 16 kHz mono float32 out; bad files skipped."""

import csv
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile
from ssl_domains.plugins.speech import AUDIO, KEYWORDS, TRANSCRIPTS, SpeechDomain

from ssl_domains.audio.signal import normalize_loudness, read_audio, rms_dbfs, trim_silence
from ssl_domains.data.prepare_corpus import prepare_corpus
from ssl_domains.data.records import ReadOptions

RATE = 16_000
SAMPLE = sorted(AUDIO.iterdir())


def tone(seconds: float, rate: int = RATE, amplitude: float = 0.5, hz: float = 440.0):
    return (amplitude * np.sin(2 * np.pi * hz * np.arange(round(seconds * rate)) / rate)).astype(
        np.float32
    )


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def sample_files(rate: int, channels: int = 1) -> list[Path]:
    return [
        p
        for p in SAMPLE
        if soundfile.info(p).samplerate == rate and soundfile.info(p).channels == channels
    ]


def good_files(directory: Path, count: int) -> list[Path]:
    """`count` sample files of every stored format, copied into `directory`."""
    directory.mkdir(exist_ok=True)
    picked = SAMPLE[:: len(SAMPLE) // count][:count]
    return [Path(shutil.copy(p, directory / p.name)) for p in picked]


def test_the_sample_mixes_rates_channels_and_containers():
    infos = [soundfile.info(p) for p in SAMPLE]
    assert {i.samplerate for i in infos} == {8_000, 16_000, 22_050, 44_100}
    assert {i.channels for i in infos} == {1, 2}
    assert {i.format for i in infos} == {"FLAC", "WAV", "OGG"}
    assert Counter(p.suffix for p in SAMPLE).most_common(1)[0][0] == ".flac"
    assert 240 <= len(SAMPLE) <= 320
    assert all(0.4 <= i.duration <= 2.5 for i in infos)


def test_every_sample_file_decodes_to_16khz_mono_float32_of_the_same_duration():
    for path in SAMPLE:
        wave = read_audio(path)
        assert wave.dtype == np.float32 and wave.ndim == 1, path.name
        assert abs(len(wave) / RATE - soundfile.info(path).duration) <= 0.001, path.name
        assert 0 < np.abs(wave).max() <= 1.0, path.name


@pytest.mark.parametrize("rate, channels", [(44_100, 2), (8_000, 1), (22_050, 1)])
def test_a_file_is_resampled_to_16khz_keeping_its_duration(tmp_path, rate, channels):
    seconds = 0.7373  # not a whole number of samples at every rate
    left = tone(seconds, rate)
    data = np.stack([left, 0.5 * left], axis=1) if channels == 2 else left
    path = tmp_path / f"tone-{rate}.wav"
    soundfile.write(path, data, rate, subtype="PCM_16")

    wave = read_audio(path)

    assert abs(len(wave) / RATE - len(left) / rate) <= 0.001
    expected = 0.75 * tone(seconds) if channels == 2 else tone(seconds)  # stereo is averaged
    middle = slice(len(wave) // 4, 3 * len(wave) // 4)  # away from the filter's edges
    np.testing.assert_allclose(wave[middle], expected[middle], atol=0.01)


@pytest.mark.parametrize("rate, channels", [(44_100, 2), (8_000, 1)])
def test_sample_files_at_other_rates_come_out_at_16khz(rate, channels):
    paths = sample_files(rate, channels)
    assert paths, f"the sample has no {rate} Hz file with {channels} channels"
    for path in paths:
        assert abs(len(read_audio(path)) - soundfile.info(path).frames * RATE / rate) <= 16


def test_trim_silence_removes_planted_silence_and_keeps_the_voiced_part():
    rng = np.random.default_rng(0)
    speech = tone(0.6)
    before, after = rng.normal(0, 1e-4, 8_123), rng.normal(0, 1e-4, 11_011)  # -80 dBFS
    wave = np.concatenate([before, speech, after]).astype(np.float32)

    trimmed = trim_silence(wave)

    frame = 320  # one 20 ms frame of margin either side, plus frame alignment
    assert len(speech) <= len(trimmed) <= len(speech) + 4 * frame
    assert np.sum(trimmed**2) >= 0.9999 * np.sum(wave**2)  # all of the tone survives


def test_normalize_loudness_reaches_the_target_rms_without_clipping():
    quiet = tone(1.0, amplitude=0.01)
    assert rms_dbfs(normalize_loudness(quiet, -20.0)) == pytest.approx(-20.0, abs=0.05)

    clicks = np.zeros(RATE, np.float32)
    clicks[::4000] = 0.9  # reaching -20 dBFS RMS would push these far past full scale
    louder = normalize_loudness(clicks, -20.0)
    assert np.abs(louder).max() == pytest.approx(1.0)
    assert rms_dbfs(louder) < -20.0


def test_clean_trims_normalises_and_drops_silent_or_too_short_recordings():
    domain = SpeechDomain()
    padded = np.concatenate([np.zeros(8_000), tone(0.5, amplitude=0.05), np.zeros(8_000)])

    cleaned = domain.clean(padded.astype(np.float32), Counter())

    assert len(cleaned) < 0.6 * RATE
    assert rms_dbfs(cleaned) == pytest.approx(domain.loudness_dbfs, abs=0.05)
    assert domain.clean(np.zeros(RATE, np.float32), Counter()) is None
    assert domain.clean(tone(0.1), Counter()) is None


def test_corrupt_and_non_audio_wav_files_are_skipped_with_a_reason_and_the_rest_kept(tmp_path):
    files = good_files(tmp_path / "corpus", 16)
    full = tmp_path / "full.wav"
    soundfile.write(full, tone(1.0), RATE, subtype="PCM_16")
    truncated = tmp_path / "corpus" / "truncated.wav"  # the header promises a second of audio
    truncated.write_bytes(full.read_bytes()[:44])
    noise = tmp_path / "corpus" / "noise.wav"
    noise.write_bytes(np.random.default_rng(0).bytes(5_000))

    report = prepare_corpus(
        SpeechDomain(), [*files, truncated, noise], tmp_path / "out", ReadOptions(), 0.2
    )

    assert report.files == 18
    assert set(report.skipped_files) == {str(truncated), str(noise)}
    assert "empty audio" in report.skipped_files[str(truncated)]
    assert "cannot decode audio" in report.skipped_files[str(noise)]
    assert report.kept == 16 and report.validation_records > 0


def test_a_wav_cut_off_mid_data_is_skipped_not_kept_as_a_shorter_clip(tmp_path):
    full = tmp_path / "full.wav"
    soundfile.write(full, tone(1.0), RATE, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full.read_bytes()[:20_000])

    with pytest.raises(ValueError, match="truncated"):
        read_audio(cut)


def test_a_manifest_entry_whose_file_is_missing_is_a_counted_bad_record(tmp_path):
    files = good_files(tmp_path, 12)
    manifest = tmp_path / "clips.csv"
    names = [p.name for p in files]
    names.insert(5, "gone.flac")
    manifest.write_text("path,label\n" + "".join(f"{name},x\n" for name in names))

    report = prepare_corpus(SpeechDomain(), [manifest], tmp_path / "out", ReadOptions(), 0.2)

    assert report.records == 12 and report.kept == 12
    assert report.skipped_records == 1
    [(reason, count)] = report.skip_reasons.items()
    assert reason.startswith("gone.flac: cannot decode audio") and count == 1
    assert report.skipped_files == {}


def test_the_keyword_sample_is_balanced_and_every_listed_file_exists():
    labeled = rows(KEYWORDS)
    counts = Counter(row["label"] for row in labeled)
    assert len(counts) == 12 and len(set(counts.values())) == 1
    for row in labeled:
        assert (KEYWORDS.parent / row["path"]).is_file(), row["path"]
        assert Path(row["path"]).stem.startswith(f"keyword-{row['label']}-")


def test_every_sample_file_has_a_plain_lower_case_transcript():
    transcribed = rows(TRANSCRIPTS)
    assert sorted((TRANSCRIPTS.parent / row["path"]).resolve() for row in transcribed) == [
        p.resolve() for p in SAMPLE
    ]
    assert all(re.fullmatch(r"[a-z']+(?: [a-z']+)*", row["text"]) for row in transcribed)
    keywords = {row["path"]: row["label"] for row in rows(KEYWORDS)}
    assert all(
        row["text"] == keywords[row["path"]] for row in transcribed if row["path"] in keywords
    )
