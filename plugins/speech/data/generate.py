"""Generate the embedded speech sample of ``ssl-domains``: spoken keywords and short commands.

``ssl-domains pretrain --domain speech`` falls back on ``audio/`` when no corpus is given;
``finetune`` uses the two manifests:

* ``audio/``: 240 short utterances (0.4-2.5 s, about three minutes) synthesised with
  espeak-ng: twelve command keywords (``yes``, ``no``, ``up``, ``down``, ... ``buy``,
  ``sell``), each spoken fifteen times, every voice at least once, and sixty short commands
  (``move the cursor up``, ``sell two shares``), each spoken once. Every take has its voice
  (eight espeak-ng voices and variants, male and female; American, British, Scottish,
  Caribbean), speed (130-190 words per minute), pitch (30-70) and amplitude (40-100), so
  that a keyword classifier hears variety within each class.
* Formats are mixed on purpose, to exercise the reader: most takes are 16 kHz mono FLAC,
  the others 22.05 kHz 16-bit WAV (espeak-ng's own rate), 8 kHz mu-law WAV (telephone
  audio), 44.1 kHz stereo FLAC (the right channel quieter than the left) and 16 kHz Ogg
  Vorbis. About one take in five carries 0.1-0.4 s of faint noise (-66 dBFS) before and after
  the speech, for silence trimming; the others are cut close to the speech.
* ``keywords.csv``: ``path,label`` for the keyword takes only, fifteen per keyword: the
  labeled sample for utterance classification.
* ``transcripts.csv``: ``path,text`` for every take (lower case, letters, spaces and
  apostrophes), for CTC fine-tuning.
* ``context/`` and ``context_labels.csv``: 100 spoken two-way commands ("turn left then
  right", "don't turn right turn left") labelled with the way to turn first, ``left`` or
  ``right`` (``path,label,text``): both words are in every command, so the label needs their
  order and what "don't" applies to. Kept apart from ``audio/``, which pretraining reads.

The size is the constraint: speech in 16 kHz FLAC costs about 18 kB a second, and the
folder should stay near 3.5 MB, hence one take per command and few WAV and stereo takes.

Paths in the manifests are relative to them. espeak-ng and sox are deterministic for the
same arguments, and every choice here is drawn from a seeded generator, so a given seed
always writes the same files, byte for byte with the same espeak-ng and sox versions.
Standard library, numpy and soundfile; calls the ``espeak-ng`` and ``sox`` command-line
tools (``apt-get install espeak-ng sox``).

Usage: python generate.py [--out-dir DIR] [--seed N] [--context-only]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

KEYWORDS = ("yes", "no", "up", "down", "left", "right", "stop", "go", "on", "off", "buy", "sell")
TAKES_PER_KEYWORD = 15
TAKES_PER_PHRASE = 1
PHRASES = (
    # pointer and screen
    "move the cursor up",
    "move the cursor left",
    "scroll down a bit",
    "go back one page",
    "zoom in please",
    "close this window",
    "open the menu",
    "select all of it",
    "undo that",
    "save the file",
    # home
    "turn the lights off",
    "turn the lights on",
    "dim the lamp",
    "lock the front door",
    "open the garage",
    "set the heat to twenty",
    "turn the fan off",
    "is the oven on",
    "close the blinds",
    "start the dishwasher",
    # media
    "play some jazz",
    "stop the music",
    "skip this song",
    "turn it up",
    "turn the volume down",
    "pause the video",
    "next track please",
    "go to the start",
    "mute the sound",
    "play it again",
    # trading
    "sell two shares",
    "buy ten shares",
    "buy one hundred shares",
    "sell it all",
    "cancel my order",
    "what's the price",
    "show my balance",
    "don't buy yet",
    "place a limit order",
    "is the market open",
    # moving around
    "turn left here",
    "turn right at the light",
    "go straight on",
    "stop at the corner",
    "take me home",
    "find a parking spot",
    "how far is it",
    "go down the stairs",
    "keep going",
    "we're almost there",
    # talk
    "yes that's right",
    "no thank you",
    "call me later",
    "i don't know",
    "say that again",
    "what time is it",
    "set a timer",
    "wake me up at six",
    "read my messages",
    "it's okay",
)
# espeak-ng voice (language, optionally +variant), male and female.
VOICES = (
    "en-us",
    "en-gb",
    "en+f3",
    "en+m3",
    "en-us+f2",
    "en-gb-scotland",
    "en-029+f4",
    "en-gb-x-rp+m7",
)
SPEEDS = tuple(range(130, 191, 10))  # words per minute
PITCHES = tuple(range(30, 71, 5))  # espeak-ng's 0-99 scale, 50 by default
AMPLITUDES = (40, 60, 80, 100)  # espeak-ng's 0-200 scale, 100 by default; above clips
SYNTH_RATE = 22_050  # what espeak-ng writes
MIN_SECONDS, MAX_SECONDS = 0.4, 2.5
PADDED_SHARE = 0.2  # takes with silence planted before and after the speech
NOISE_DBFS = -66.0  # level of the planted "silence": faint noise, as in a quiet room
TEXT = re.compile(r"[a-z']+(?: [a-z']+)*")


@dataclass(frozen=True)
class Format:
    """How one take is stored: suffix, sample rate, sox output options and effects."""

    name: str
    suffix: str
    rate: int
    options: tuple[str, ...]
    effects: tuple[str, ...] = ()


FLAC = ("-b", "16", "-C", "8")
FLAC_16K = Format("flac-16k-mono", ".flac", 16_000, FLAC)
WAV_22K = Format("wav-22k-mono", ".wav", 22_050, ("-b", "16", "-e", "signed-integer"))
MULAW_8K = Format("wav-8k-mulaw", ".wav", 8_000, ("-e", "u-law"))
# Stereo as a second microphone would hear it: the right channel 2 dB quieter.
FLAC_44K_STEREO = Format("flac-44k-stereo", ".flac", 44_100, FLAC, ("remix", "1", "1v0.8"))
OGG_16K = Format("ogg-16k-mono", ".ogg", 16_000, ("-C", "3"))
# Shares of the takes; 16 kHz FLAC takes the rest. Uncompressed WAV at 22.05 kHz and
# stereo FLAC at 44.1 kHz cost 2.5 times as much per second as 16 kHz FLAC, so few.
SHARES = {WAV_22K: 0.05, MULAW_8K: 0.12, FLAC_44K_STEREO: 0.05, OGG_16K: 0.12}


@dataclass(frozen=True)
class Take:
    """One utterance to synthesise and where it goes."""

    path: str  # relative to the output folder
    text: str
    label: str | None  # the keyword, for keyword takes
    voice: str
    speed: int
    pitch: int
    amplitude: int
    format: Format
    padding: tuple[float, float]  # seconds of planted silence before and after


def plan(rng: random.Random) -> list[Take]:
    """Every take: its text, voice, speed, pitch, amplitude, format and planted silence."""
    utterances = [
        (word, word, f"keyword-{word}-{i:02d}")
        for word in KEYWORDS
        for i in range(1, TAKES_PER_KEYWORD + 1)
    ]
    utterances += [
        (text, None, f"phrase-{n:02d}-{i}")
        for n, text in enumerate(PHRASES, start=1)
        for i in range(1, TAKES_PER_PHRASE + 1)
    ]
    formats = [fmt for fmt, share in SHARES.items() for _ in range(round(share * len(utterances)))]
    formats += [FLAC_16K] * (len(utterances) - len(formats))
    rng.shuffle(formats)
    takes = []
    for (text, label, stem), fmt in zip(utterances, formats, strict=True):
        if label:  # within one keyword, every voice is heard before any is repeated
            voice = VOICES[(int(stem[-2:]) + KEYWORDS.index(label)) % len(VOICES)]
        else:
            voice = VOICES[int(stem.split("-")[1]) % len(VOICES)]
        padding = (0.0, 0.0)
        if rng.random() < PADDED_SHARE:
            padding = (round(rng.uniform(0.1, 0.4), 3), round(rng.uniform(0.1, 0.4), 3))
        takes.append(
            Take(
                path=f"audio/{stem}{fmt.suffix}",
                text=text,
                label=label,
                voice=voice,
                speed=rng.choice(SPEEDS),
                pitch=rng.choice(PITCHES),
                amplitude=rng.choice(AMPLITUDES),
                format=fmt,
                padding=padding,
            )
        )
    return takes


def synthesise(take: Take, speed: int, scratch: Path) -> np.ndarray:
    """espeak-ng's waveform of the take's text at `speed`: float32 at SYNTH_RATE."""
    path = scratch / "espeak.wav"
    command = ["espeak-ng", "-v", take.voice, "-s", str(speed), "-p", str(take.pitch)]
    command += ["-a", str(take.amplitude), "-w", str(path), take.text]
    subprocess.run(command, check=True, capture_output=True)
    wave, rate = soundfile.read(path, dtype="float32")
    assert rate == SYNTH_RATE, f"espeak-ng wrote {rate} Hz"
    return wave


def speech_span(wave: np.ndarray, threshold_db: float = -50.0, margin: float = 0.02) -> np.ndarray:
    """The wave cut to its speech: 10 ms frames within `threshold_db` of the loudest one,
    plus `margin` seconds either side (espeak-ng appends up to half a second of silence)."""
    frame = SYNTH_RATE // 100
    count = len(wave) // frame
    level = 20 * np.log10(
        np.sqrt(np.mean(wave[: count * frame].reshape(count, frame) ** 2, 1)) + 1e-12
    )
    loud = np.flatnonzero(level > level.max() + threshold_db)
    keep = round(margin * SYNTH_RATE)
    return wave[max(loud[0] * frame - keep, 0) : min((loud[-1] + 1) * frame + keep, len(wave))]


def render(take: Take, seed: int, scratch: Path) -> np.ndarray:
    """The take's final waveform at SYNTH_RATE: speech, planted silence, 0.4-2.5 s long."""
    speed = take.speed
    speech = speech_span(synthesise(take, speed, scratch))
    while len(speech) > (MAX_SECONDS - 0.05) * SYNTH_RATE:  # too slow for this text: speed up
        speed += 15
        speech = speech_span(synthesise(take, speed, scratch))
    before, after = (round(s * SYNTH_RATE) for s in take.padding)
    room = round((MAX_SECONDS - 0.02) * SYNTH_RATE) - len(speech)
    if before + after > room:
        before, after = before * room // (before + after), after * room // (before + after)
    if before + after:
        noise = np.random.default_rng(seed).standard_normal(before + after).astype(np.float32)
        noise *= 10 ** (NOISE_DBFS / 20)
        speech = np.concatenate([noise[:before], speech, noise[before:]])
    short = round(MIN_SECONDS * SYNTH_RATE) + 1 - len(speech)
    if short > 0:  # a very fast "go": centre it in a little digital silence
        speech = np.pad(speech, (short // 2, short - short // 2))
    return speech


def store(wave: np.ndarray, fmt: Format, path: Path, scratch: Path) -> None:
    """Write the wave in `fmt` with sox: resampled, re-encoded, made stereo as asked."""
    source = scratch / "take.wav"
    soundfile.write(source, wave, SYNTH_RATE, subtype="PCM_16")
    command = ["sox", "-R", "-D", "-G", "-q", str(source), *fmt.options]
    command += ["-r", str(fmt.rate), str(path), *fmt.effects]
    subprocess.run(command, check=True, capture_output=True)


# --- spoken commands whose label needs word order and negation --------------------------------

# context_labels.csv: which way does the command say to turn first, ``left`` or ``right``? Every
# command says both words, and each template is spoken as often with "left" in one slot as in
# the other, so neither word, nor the bag of words, decides: "turn left then right" and "turn
# right after you turn left" start differently and mean the same; "don't turn right turn left"
# starts with the other word. The words are those of the embedded sample's commands ("turn
# left here", "turn right at the light", "go", "don't ..."). The clips live in context/, apart
# from audio/, so the pretraining sample is unchanged; they are 16 kHz mono FLAC, spoken in the
# sample's voices, speeds, pitches and amplitudes, cut to the same 0.4-2.5 s. ``path,label,text``.
CONTEXT_TAKES_PER_CLASS = 50
CONTEXT_STREAM = 1_000_003  # added to the seed: a stream of its own
TURN_TEMPLATES = (  # {a}: the way to turn first; {b}: the other way
    "turn {a} then {b}",
    "go {a} then turn {b}",
    "turn {a} don't turn {b}",
    "don't turn {b} turn {a}",
    "don't go {b} go {a}",
    "turn {b} after you turn {a}",
    "first turn {a} then turn {b}",
)
TURN_ENDINGS = ("", "", "", " here", " please")


def plan_context(rng: random.Random) -> list[Take]:
    """The context takes: each template and ending as often for either label, the voices in
    turn within each label, the rest drawn like the sample's."""
    takes = []
    for label, other in (("left", "right"), ("right", "left")):
        for i in range(CONTEXT_TAKES_PER_CLASS):
            template = TURN_TEMPLATES[i % len(TURN_TEMPLATES)]
            text = template.format(a=label, b=other) + rng.choice(TURN_ENDINGS)
            padding = (0.0, 0.0)
            if rng.random() < PADDED_SHARE:
                padding = (round(rng.uniform(0.1, 0.4), 3), round(rng.uniform(0.1, 0.4), 3))
            takes.append(
                Take(
                    path=f"context/turn-{label}-{i + 1:02d}.flac",
                    text=text,
                    label=label,
                    voice=VOICES[(i + (label == "right")) % len(VOICES)],
                    speed=rng.choice(SPEEDS),
                    pitch=rng.choice(PITCHES),
                    amplitude=rng.choice(AMPLITUDES),
                    format=FLAC_16K,
                    padding=padding,
                )
            )
    return takes


def write_context(out_dir: Path, seed: int = 0) -> dict[str, object]:
    """Write context/ and context_labels.csv into out_dir; return a summary."""
    folder = Path(out_dir) / "context"
    if folder.exists():
        for old in folder.iterdir():
            if old.suffix == ".flac":
                old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    takes = plan_context(random.Random(seed + CONTEXT_STREAM))
    seconds = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for n, take in enumerate(takes):
            assert TEXT.fullmatch(take.text), take.text
            wave = render(take, (seed + CONTEXT_STREAM) * 100_003 + n, Path(scratch))
            store(wave, take.format, Path(out_dir) / take.path, Path(scratch))
            seconds += len(wave) / SYNTH_RATE
    with (Path(out_dir) / "context_labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["path", "label", "text"])
        writer.writerows((take.path, take.label, take.text) for take in takes)
    return {
        "context_takes": len(takes),
        "context_seconds": round(seconds, 1),
        "context_labels": dict(Counter(take.label for take in takes)),
    }


def main(out_dir: Path, seed: int = 0) -> dict[str, object]:
    """Write audio/, keywords.csv, transcripts.csv, context/ and context_labels.csv into
    out_dir; return a summary."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"needs {' and '.join(missing)}: apt-get install -y espeak-ng sox")
    out_dir = Path(out_dir)
    audio = out_dir / "audio"
    if audio.exists():  # the same set of files on every run, nothing stale left behind
        for old in audio.iterdir():
            if old.suffix in (".wav", ".flac", ".ogg"):
                old.unlink()
    audio.mkdir(parents=True, exist_ok=True)
    takes = plan(random.Random(seed))
    seconds = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for n, take in enumerate(takes):
            assert TEXT.fullmatch(take.text), take.text
            wave = render(take, seed * 100_003 + n, Path(scratch))
            store(wave, take.format, out_dir / take.path, Path(scratch))
            seconds += len(wave) / SYNTH_RATE
    with (out_dir / "keywords.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["path", "label"])
        writer.writerows((take.path, take.label) for take in takes if take.label)
    with (out_dir / "transcripts.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["path", "text"])
        writer.writerows((take.path, take.text) for take in takes)
    return {
        "takes": len(takes),
        "seconds": round(seconds, 1),
        "keywords": dict(Counter(take.label for take in takes if take.label)),
        "formats": dict(Counter(take.format.name for take in takes)),
        "voices": dict(Counter(take.voice for take in takes)),
        "padded": sum(1 for take in takes if take.padding != (0.0, 0.0)),
    } | write_context(out_dir, seed)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--context-only", action="store_true", help="write context/ and context_labels.csv only"
    )
    args = parser.parse_args()
    print((write_context if args.context_only else main)(args.out_dir, args.seed))
